/** Notebook 02's step: AM for channels of the study's layer with the default recipe, resumable, then its images and table. */
import { AM_BASE_DEFAULTS } from '../optvis/amDefaults.js';
import { parseChannelList } from '../optvis/objectiveParse.js';
import { PARAM_KINDS, type ParamKind } from '../optvis/param/kinds.js';
import { amSettings, type AmSettings } from '../optvis/settings.js';
import { amRunKey, visualizeChannels, type VisualizeResult } from '../optvis/visualize.js';
import { FeatvisError } from '../core/errors.js';
import { showGrid, showTable, withProgress } from './display.js';
import type { NotebookSettings } from './notebookSettings.js';
import { runDir } from './settings.js';
import { openStudy, type Study } from './study.js';

export interface AmRun {
  study: Study;
  settings: AmSettings;
  result: VisualizeResult;
  outDir: string;
}

export function paramKind(name: string): ParamKind {
  if (!(PARAM_KINDS as readonly string[]).includes(name)) throw new FeatvisError(`param must be one of ${PARAM_KINDS.join(', ')}, got '${name}'`);
  return name as ParamKind;
}

/** The channels of a setting ('0-7,12'), checked against the layer. */
export function layerChannels(study: Study, spec: string): number[] {
  return parseChannelList(spec, { channels: study.info.shape.at(-1) ?? 0, layer: study.layer });
}

/** Renders (or reuses) one AM image per channel; a progress line while it runs. */
export async function activationMaximisation(s: NotebookSettings<'am'>): Promise<AmRun> {
  const study = await openStudy(s);
  const settings = amSettings({
    layer: study.layer,
    channels: layerChannels(study, s.channels),
    steps: s.steps,
    size: s.size,
    param: paramKind(s.param),
    ...(s.lr > 0 ? { learningRate: s.lr } : {}),
    transforms: s.transforms,
    seed: s.seed,
    batchSize: s.batch,
  });
  const outDir = runDir('am', study.layer, amRunKey(study.model, settings));
  const result = await withProgress(
    'starting …',
    (update) =>
      visualizeChannels(study.model, settings, {
        outDir,
        onProgress: (p) => update(`${p.done}/${p.total} channels${p.step ? `, step ${p.step.step}/${settings.steps}` : ''}`),
      }),
    (r) => `${r.results.length} channels → ${outDir}`,
  );
  return { study, settings, result, outDir };
}

/** One tile per channel captioned with its activation, then the first channel large. */
export async function showAmImages(run: AmRun): Promise<void> {
  const { result, study, settings } = run;
  await showGrid(result.images, {
    captions: result.results.map((r) => `ch ${r.channel}: ${r.activation.toFixed(2)}`),
    title: `${study.model.name} · ${study.layer}`,
    tile: Math.max(128, settings.size),
    cols: Math.min(result.images.length, 4),
  });
  await showGrid([result.images[0]!], { tile: 256, captions: [`channel ${result.results[0]!.channel}`] });
}

export function showAmTable(run: AmRun): void {
  const r = run.result.results.map((x) => ({ channel: x.channel, activation: x.activation, 'ms / channel': x.millis, file: x.file ?? '' }));
  showTable(r, { title: `AM activations, ${run.study.layer} (${run.settings.param}, ${run.settings.steps} steps; recipe defaults: ${AM_BASE_DEFAULTS.param})` });
}
