/**
 * Sweep configuration: regularisers × strengths × channels × seeds, one job.
 * Read from JSON (untrusted: validated field by field).
 */
import fs from 'node:fs';
import { FeatvisError } from '../core/errors.js';
import type { AmImageSettings } from '../optvis/settings.js';
import { PARAM_KINDS } from '../optvis/param/index.js';
import { REGULARIZER_NAMES, validateRegularizers, type Regularizers } from '../optvis/regularizers.js';
import { parseTransforms, type TransformList, type TransformStep } from '../optvis/transforms.js';

/** What a sweep varies: a regulariser strength, the blur sigma (blur every `blurEvery` steps) or the jitter in pixels. */
export type SweepKnob = keyof Regularizers | 'blur' | 'jitter';
export const SWEEP_KNOBS: readonly SweepKnob[] = [...REGULARIZER_NAMES, 'blur', 'jitter'];

export type MetricConfig =
  | { kind: 'lpips'; net?: 'alex' | 'vgg' | 'squeeze'; version?: '0.1' | '0.0'; backboneWeights?: string; linWeights?: string }
  | { kind: 'lpips-like'; model: string; layers: string[]; preset?: 'squeezenet-caffe' };

/** One sweep: the AM settings (transforms apply in every cell; the 'jitter' knob overrides `jitter`) plus what varies. */
export interface SweepConfig extends AmImageSettings {
  model: string;
  layer: string;
  channels: number[];
  seeds: number[];
  /** Regularisers applied in every cell besides the swept one. */
  base: Regularizers;
  /** Steps between blurs for the 'blur' knob. */
  blurEvery: number;
  sweep: Partial<Record<SweepKnob, number[]>>;
  exemplars: { images: string; limit?: number; k: number; batchSize: number; reduce: 'mean' | 'max'; size?: number };
  metric: MetricConfig;
  /** Side of the images the metric compares. */
  metricSize: number;
  /** Random dataset images per channel for the chance floor. */
  floorImages: number;
}

const DEFAULTS: Omit<SweepConfig, 'model' | 'layer' | 'channels' | 'sweep' | 'exemplars' | 'metric'> = {
  seeds: [0],
  steps: 128,
  size: 128,
  learningRate: 0.05,
  param: 'pixel',
  decorrelate: true,
  transforms: [],
  base: {},
  blurEvery: 4,
  metricSize: 128,
  floorImages: 9,
};

function isNumArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

export function parseSweepConfig(raw: unknown, where = 'sweep config'): SweepConfig {
  if (typeof raw !== 'object' || raw === null) throw new FeatvisError(`${where}: expected a JSON object`);
  const r = raw as Record<string, unknown>;
  const need = (k: string): unknown => {
    if (r[k] === undefined) throw new FeatvisError(`${where}: missing "${k}"`);
    return r[k];
  };
  const cfg = { ...DEFAULTS, ...r } as SweepConfig;
  if (typeof need('model') !== 'string') throw new FeatvisError(`${where}: "model" must be a string`);
  if (typeof need('layer') !== 'string') throw new FeatvisError(`${where}: "layer" must be a string`);
  if (!isNumArray(need('channels')) || cfg.channels.length === 0) throw new FeatvisError(`${where}: "channels" must be a non-empty list of numbers`);
  if (!isNumArray(cfg.seeds) || cfg.seeds.length === 0) throw new FeatvisError(`${where}: "seeds" must be a non-empty list of numbers`);
  const sweep = need('sweep');
  if (typeof sweep !== 'object' || sweep === null) throw new FeatvisError(`${where}: "sweep" must map knobs to strength lists`);
  for (const [k, v] of Object.entries(sweep)) {
    if (!(SWEEP_KNOBS as readonly string[]).includes(k)) throw new FeatvisError(`${where}: unknown knob "${k}" (known: ${SWEEP_KNOBS.join(', ')})`);
    if (!isNumArray(v) || v.length === 0 || v.some((x) => x < 0)) throw new FeatvisError(`${where}: "${k}" needs a non-empty list of strengths ≥ 0`);
  }
  const ex = need('exemplars') as Partial<SweepConfig['exemplars']> | null;
  if (typeof ex !== 'object' || ex === null || typeof ex.images !== 'string') throw new FeatvisError(`${where}: "exemplars.images" must name an image folder`);
  cfg.exemplars = { k: 9, batchSize: 32, reduce: 'mean', ...ex, images: ex.images };
  const m = need('metric') as MetricConfig;
  if (m.kind !== 'lpips' && m.kind !== 'lpips-like') throw new FeatvisError(`${where}: "metric.kind" must be "lpips" or "lpips-like"`);
  if (m.kind === 'lpips-like' && (typeof m.model !== 'string' || !Array.isArray(m.layers) || m.layers.length === 0)) {
    throw new FeatvisError(`${where}: an lpips-like metric needs "model" and "layers"`);
  }
  for (const k of ['steps', 'size', 'metricSize', 'blurEvery'] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] <= 0) throw new FeatvisError(`${where}: "${k}" must be a positive integer`);
  }
  if (!(PARAM_KINDS as readonly string[]).includes(cfg.param)) throw new FeatvisError(`${where}: "param" must be one of ${PARAM_KINDS.join(', ')}`);
  cfg.transforms = parseTransforms(r.transforms ?? [], cfg.size, `${where}: transforms`);
  try {
    validateRegularizers(cfg.base);
  } catch (err) {
    throw new FeatvisError(`${where}: "base": ${err instanceof Error ? err.message : String(err)}`);
  }
  return cfg;
}

export function readSweepConfig(file: string): SweepConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new FeatvisError(`cannot read sweep config ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseSweepConfig(raw, file);
}

/** Render settings of one cell: the base plus the knob at `strength`. */
export function cellRenderSettings(cfg: SweepConfig, knob: SweepKnob, strength: number): { regularizers: Regularizers; transforms: TransformList } {
  const regularizers: Regularizers = { ...cfg.base };
  let transforms: TransformList = cfg.transforms;
  if (knob === 'jitter') transforms = withJitter(cfg.transforms, strength);
  else if (knob === 'blur') {
    if (strength > 0) {
      regularizers.blurEvery = cfg.blurEvery;
      regularizers.blurSigma = strength;
    }
  } else regularizers[knob] = strength;
  return { regularizers, transforms };
}

/** The list with its jitter set to `px` (inserted after any padding when it has none). */
export function withJitter(list: TransformList, px: number): TransformList {
  const step: TransformStep = { op: 'jitter', px };
  if (list.some((s) => s.op === 'jitter')) return list.map((s) => (s.op === 'jitter' ? step : s));
  let at = 0;
  while (at < list.length && list[at]!.op === 'pad') at++;
  return [...list.slice(0, at), step, ...list.slice(at)];
}
