/**
 * Sweep configuration: regularisers × strengths × channels × seeds, one job.
 * Read from JSON (untrusted: validated field by field).
 */
import { FeatvisError, oneLine } from '../core/errors.js';
import { readTextFile } from '../io/readFile.js';
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

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isCount = (v: unknown, min: number): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Checks an untrusted sweep configuration (parsed JSON or a notebook object)
 * field by field and fills in the defaults. Every field the sweep reads is
 * checked for its type and range; the result keeps the input's keys and
 * order (its hash keys resumable runs).
 */
export function parseSweepConfig(raw: unknown, where = 'sweep config'): SweepConfig {
  if (!isRecord(raw)) throw new FeatvisError(`${where}: expected a JSON object`);
  const r = raw;
  const fail = (msg: string): never => {
    throw new FeatvisError(`${where}: ${msg}`);
  };
  const need = (k: string): unknown => {
    if (r[k] === undefined) fail(`missing "${k}"`);
    return r[k];
  };
  const { floorImages, ...rest } = r;
  const cfg = { ...DEFAULTS, ...rest } as SweepConfig;
  if (r.randomImages === undefined && floorImages !== undefined) cfg.randomImages = floorImages as number; // the name before chance was matched to the AM image
  if (!isText(need('model'))) fail('"model" must be a non-empty string');
  if (!isText(need('layer'))) fail('"layer" must be a non-empty string');
  const channels = need('channels');
  if (!isNumArray(channels) || channels.length === 0 || !channels.every((c) => isCount(c, 0))) fail('"channels" must be a non-empty list of channel numbers (integers ≥ 0)');
  if (!isNumArray(cfg.seeds) || cfg.seeds.length === 0 || !cfg.seeds.every((c) => isCount(c, 0))) fail('"seeds" must be a non-empty list of integers ≥ 0');
  const sweep = need('sweep');
  if (!isRecord(sweep) || Object.keys(sweep).length === 0) fail('"sweep" must map knobs to strength lists');
  for (const [k, v] of Object.entries(sweep as Record<string, unknown>)) {
    if (!(SWEEP_KNOBS as readonly string[]).includes(k)) fail(`unknown knob "${k.slice(0, 60)}" (known: ${SWEEP_KNOBS.join(', ')})`);
    if (!isNumArray(v) || v.length === 0 || v.some((x) => x < 0)) fail(`"${k}" needs a non-empty list of strengths ≥ 0`);
  }
  const ex = need('exemplars');
  if (!isRecord(ex) || !isText(ex.images)) fail('"exemplars.images" must name an image folder');
  cfg.exemplars = { k: 9, heldOut: 9, batchSize: 32, reduce: 'mean', ...(ex as Partial<SweepConfig['exemplars']>), images: (ex as { images: string }).images };
  const e = cfg.exemplars;
  if (e.limit !== undefined && !isCount(e.limit, 1)) fail('"exemplars.limit" must be a positive integer');
  if (!isCount(e.k, 2) || e.k > 10_000) fail('"exemplars.k" must be an integer in 2..10000');
  if (!isCount(e.heldOut, 0) || e.heldOut > 10_000) fail('"exemplars.heldOut" must be an integer in 0..10000');
  if (!isCount(e.batchSize, 1)) fail('"exemplars.batchSize" must be a positive integer');
  if (e.reduce !== 'mean' && e.reduce !== 'max') fail('"exemplars.reduce" must be "mean" or "max"');
  if (e.size !== undefined && (!isCount(e.size, 1) || e.size > 8192)) fail('"exemplars.size" must be an integer in 1..8192');
  cfg.metric = parseMetricConfig(r.metric ?? { kind: 'auto' }, where);
  for (const k of ['steps', 'size', 'metricSize', 'blurEvery'] as const) {
    if (!isCount(cfg[k], 1)) fail(`"${k}" must be a positive integer`);
  }
  if (!isCount(cfg.randomImages, 1)) fail('"randomImages" must be a positive integer');
  if (typeof cfg.learningRate !== 'number' || !Number.isFinite(cfg.learningRate) || cfg.learningRate <= 0) fail('"learningRate" must be a positive number');
  if (!(PARAM_KINDS as readonly string[]).includes(cfg.param)) fail(`"param" must be one of ${PARAM_KINDS.join(', ')}`);
  if (typeof cfg.decorrelate !== 'boolean') fail('"decorrelate" must be true or false');
  if (!isRecord(cfg.base)) fail('"base" must map regularisers to strengths');
  for (const [k, v] of Object.entries(cfg.base)) {
    if (!(REGULARIZER_NAMES as readonly string[]).includes(k)) fail(`unknown regulariser "${k.slice(0, 60)}" in "base" (known: ${REGULARIZER_NAMES.join(', ')})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`"base.${k}" must be a number ≥ 0`);
  }
  try {
    cfg.transforms = parseTransforms(r.transforms ?? [], cfg.size, 'transforms');
    validateRegularizers(cfg.base);
  } catch (err) {
    fail(err instanceof Error ? err.message : String(err));
  }
  return cfg;
}

/** Checks a metric configuration: 'auto', or one of the kinds with its fields. */
export function parseMetricConfig(raw: unknown, where: string): MetricConfig {
  const fail = (msg: string): never => {
    throw new FeatvisError(`${where}: ${msg}`);
  };
  if (raw === 'auto') return { kind: 'auto' };
  if (!isRecord(raw) || !(METRIC_KINDS as readonly unknown[]).includes(raw.kind)) fail(`"metric" must be "auto" or have "kind" one of ${METRIC_KINDS.join(', ')}`);
  const metric = raw as Record<string, unknown>;
  if (metric.kind === 'lpips') {
    if (metric.net !== undefined && !['alex', 'vgg', 'squeeze'].includes(metric.net as string)) fail('"metric.net" must be "alex", "vgg" or "squeeze"');
    if (metric.version !== undefined && metric.version !== '0.1' && metric.version !== '0.0') fail('"metric.version" must be "0.1" or "0.0"');
    for (const k of ['backboneWeights', 'linWeights']) if (metric[k] !== undefined && !isText(metric[k])) fail(`"metric.${k}" must be a file path`);
  } else if (metric.kind === 'lpips-like') {
    if (!isText(metric.model) || !Array.isArray(metric.layers) || metric.layers.length === 0 || !metric.layers.every(isText)) {
      fail('an lpips-like metric needs "model" and "layers" (a non-empty list of layer names)');
    }
    if (metric.preset !== undefined && metric.preset !== 'squeezenet-caffe') fail('"metric.preset" must be "squeezenet-caffe"');
  } else if (metric.kind === 'backbone' && !isText(metric.backbone)) fail('a backbone metric needs "backbone" (e.g. "mobilenet_v1")');
  return metric as unknown as MetricConfig;
}

/** Largest sweep config file read. */
const MAX_CONFIG_BYTES = 16 << 20;

/** Parses the text of a sweep config (JSON); `where` names it in messages. */
export function parseSweepConfigText(text: string, where = 'sweep config'): SweepConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FeatvisError(`cannot read sweep config ${where}: ${oneLine(err instanceof Error ? err.message : String(err), 160)}`);
  }
  return parseSweepConfig(raw, where);
}

export function readSweepConfig(file: string): SweepConfig {
  return parseSweepConfigText(readTextFile(file, { what: 'sweep config', maxBytes: MAX_CONFIG_BYTES }), file);
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
