/**
 * Every featvis command, in the order `featvis --help` lists them. A command is
 * a spec module (specs/<name>.ts: its options and help, no TensorFlow, and
 * `load` of its code); adding one is its spec module plus one line here.
 */
import type { CommandSpec } from './options.js';

export const COMMANDS: Readonly<Record<string, () => Promise<{ spec: CommandSpec }>>> = {
  am: () => import('./specs/am.js'),
  dream: () => import('./specs/dream.js'),
  layers: () => import('./specs/layers.js'),
  predict: () => import('./specs/predict.js'),
  top9: () => import('./specs/top9.js'),
  lpips: () => import('./specs/lpips.js'),
  score: () => import('./specs/score.js'),
  identify: () => import('./specs/identify.js'),
  sweep: () => import('./specs/sweep.js'),
  report: () => import('./specs/report.js'),
  study: () => import('./specs/study.js'),
  atlas: () => import('./specs/atlas.js'),
  train: () => import('./specs/train.js'),
  doctor: () => import('./specs/doctor.js'),
};

/** Every command's spec, in table order. */
export async function commandSpecs(): Promise<CommandSpec[]> {
  return Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).spec));
}
