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

/**
 * The perceptual metric of a score or sweep: 'auto' (calibrated LPIPS where its
 * weights can be had, else the default offline metric — see metricFactory.ts),
 * calibrated LPIPS, an offline backbone (metrics/backbones.ts), or LPIPS-like on
 * any model's layers.
 */
export type MetricConfig =
  | { kind: 'auto' }
  | { kind: 'lpips'; net?: 'alex' | 'vgg' | 'squeeze'; version?: '0.1' | '0.0'; backboneWeights?: string; linWeights?: string }
  | { kind: 'backbone'; backbone: string }
  | { kind: 'lpips-like'; model: string; layers: string[]; preset?: 'squeezenet-caffe' };

export const METRIC_KINDS: readonly MetricConfig['kind'][] = ['auto', 'lpips', 'backbone', 'lpips-like'];

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
  /** Top-k exemplars define a channel; the next `heldOut` are the positive control (mined: k + heldOut). */
  exemplars: { images: string; limit?: number; k: number; heldOut: number; batchSize: number; reduce: 'mean' | 'max'; size?: number };
  metric: MetricConfig;
  /** Side of the images the metric compares. */
  metricSize: number;
  /** Random dataset images per (channel, seed): the chance level and the negative control. */
  randomImages: number;
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
  randomImages: 9,
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
  const { floorImages, ...rest } = r;
  const cfg = { ...DEFAULTS, ...rest } as SweepConfig;
  if (r.randomImages === undefined && floorImages !== undefined) cfg.randomImages = floorImages as number; // the name before chance was matched to the AM image
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
  cfg.exemplars = { k: 9, heldOut: 9, batchSize: 32, reduce: 'mean', ...ex, images: ex.images };
  if (!Number.isInteger(cfg.exemplars.k) || cfg.exemplars.k < 2) throw new FeatvisError(`${where}: "exemplars.k" must be an integer ≥ 2`);
  if (!Number.isInteger(cfg.exemplars.heldOut) || cfg.exemplars.heldOut < 0) throw new FeatvisError(`${where}: "exemplars.heldOut" must be an integer ≥ 0`);
  cfg.metric = parseMetricConfig(r.metric ?? { kind: 'auto' }, where);
  for (const k of ['steps', 'size', 'metricSize', 'blurEvery', 'randomImages'] as const) {
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

export function parseMetricConfig(raw: unknown, where: string): MetricConfig {
  if (raw === 'auto') return { kind: 'auto' };
  const m = raw as Partial<Record<string, unknown>> | null;
  if (typeof m !== 'object' || m === null || !(METRIC_KINDS as readonly unknown[]).includes(m.kind)) throw new FeatvisError(`${where}: "metric.kind" must be one of ${METRIC_KINDS.join(', ')}`);
  if (m.kind === 'lpips-like' && (typeof m.model !== 'string' || !Array.isArray(m.layers) || m.layers.length === 0)) {
    throw new FeatvisError(`${where}: an lpips-like metric needs "model" and "layers"`);
  }
  if (m.kind === 'backbone' && typeof m.backbone !== 'string') throw new FeatvisError(`${where}: a backbone metric needs "backbone" (e.g. "squeezenet")`);
  return m as MetricConfig;
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

/** The knob name of the cells rendered without any swept setting (once per channel and seed). */
export const BASELINE_KNOB = 'baseline';

/** Regularisers with zero strengths dropped (0 = off), blur only when it has a sigma. */
function activeRegularizers(r: Regularizers): Regularizers {
  const out: Regularizers = {};
  const entries = (Object.entries(r) as Array<[keyof Regularizers, number | undefined]>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [k, v] of entries) if (v !== undefined && v !== 0) out[k] = v;
  if (!out.blurSigma) delete out.blurEvery;
  return out;
}

/** Render settings of the baseline: the base regularisers and transforms, nothing swept. */
export function baselineRenderSettings(cfg: SweepConfig): { regularizers: Regularizers; transforms: TransformList } {
  return { regularizers: activeRegularizers(cfg.base), transforms: cfg.transforms };
}

/** True when (knob, strength) renders exactly the baseline (e.g. strength 0 of a regulariser the base does not use). */
export function isBaselineCell(cfg: SweepConfig, knob: SweepKnob, strength: number): boolean {
  const c = cellRenderSettings(cfg, knob, strength);
  const b = baselineRenderSettings(cfg);
  return JSON.stringify([activeRegularizers(c.regularizers), c.transforms]) === JSON.stringify([b.regularizers, b.transforms]);
}
