/**
 * The settings of an AM job, with one defaults object: callers give what they
 * change and `amSettings` fills the rest (Horama's "one call with defaults").
 *
 *   amSettings({ layer: 'mixed6', channels: [0, 1, 2] })
 *   amSettings({ layer: 'mixed6', channels: [3], steps: 512, regularizers: { tv: 0.5 } })
 */
import { FeatvisError, quoteName } from '../core/errors.js';
import { AM_BASE_DEFAULTS, AM_TRANSFORM_PRESET, PARAM_DEFAULTS } from './amDefaults.js';
import { PARAM_KINDS, type ParamExtras, type ParamKind } from './param/index.js';
import { validateRegularizers, type Regularizers } from './regularizers.js';
import { parseTransforms, type TransformList } from './transforms.js';

/** How each AM image is made (shared by single runs and sweeps). */
export interface AmImageSettings {
  steps: number;
  /** Side of the square image in pixels. */
  size: number;
  learningRate: number;
  param: ParamKind;
  /** Optimise in a decorrelated colour space (Olah et al. 2017). */
  decorrelate: boolean;
  /** Per-step random transforms (a list of steps, see transforms.ts). */
  transforms: TransformList;
  /** Options of the parameterisation (MACO: contrast; fft: decayPower). */
  paramOptions?: ParamExtras;
}

/** One AM job: which channels, and how. */
export interface AmSettings extends AmImageSettings {
  layer: string;
  channels: number[];
  regularizers: Regularizers;
  seed: number;
  /** Channels optimised together in one batch. */
  batchSize: number;
  /** Steps at which to keep a copy of the images. */
  snapshots: number[];
}

export type AmOverrides = Partial<Omit<AmSettings, 'transforms'>> & { layer: string; channels: number[]; transforms?: TransformList | string };

/**
 * The defaults of every AM job: the CLI, the notebooks, sweeps and benches
 * start from these (the numbers live in amDefaults.ts, which needs no TensorFlow).
 */
export const AM_DEFAULTS: Readonly<Omit<AmSettings, 'layer' | 'channels'>> = Object.freeze({
  // In this order: run keys hash the settings as written.
  steps: AM_BASE_DEFAULTS.steps,
  size: AM_BASE_DEFAULTS.size,
  learningRate: AM_BASE_DEFAULTS.learningRate,
  param: AM_BASE_DEFAULTS.param,
  decorrelate: AM_BASE_DEFAULTS.decorrelate,
  paramOptions: { ...AM_BASE_DEFAULTS.paramOptions },
  transforms: parseTransforms(AM_TRANSFORM_PRESET),
  regularizers: {},
  seed: AM_BASE_DEFAULTS.seed,
  batchSize: AM_BASE_DEFAULTS.batchSize,
  snapshots: [],
});

export { PARAM_DEFAULTS };

/** Defaults + overrides, checked (clear errors for anything off). */
export function amSettings(o: AmOverrides): AmSettings {
  if (typeof o !== 'object' || o === null) throw new FeatvisError('amSettings needs an object with at least { layer, channels }');
  const size = o.size ?? AM_DEFAULTS.size;
  const s: AmSettings = {
    ...AM_DEFAULTS,
    ...o,
    regularizers: { ...(o.regularizers ?? AM_DEFAULTS.regularizers) },
    snapshots: [...(o.snapshots ?? AM_DEFAULTS.snapshots)],
    transforms: o.transforms === undefined ? AM_DEFAULTS.transforms : parseTransforms(o.transforms, size),
  };
  // Learning rate and options not given follow the parameterisation's own defaults.
  const perParam = PARAM_DEFAULTS[s.param] ?? PARAM_DEFAULTS[AM_DEFAULTS.param]!;
  if (o.learningRate === undefined) s.learningRate = perParam.learningRate;
  if (o.paramOptions === undefined) {
    if (perParam.paramOptions) s.paramOptions = { ...perParam.paramOptions };
    else delete s.paramOptions;
  }
  checkAmSettings(s);
  return s;
}

const posInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v > 0;

export function checkAmSettings(s: AmSettings): void {
  if (typeof s.layer !== 'string' || !s.layer) throw new FeatvisError('AM settings need a layer name');
  if (!Array.isArray(s.channels) || s.channels.length === 0) throw new FeatvisError('AM settings need a non-empty channel list');
  if (!posInt(s.steps)) throw new FeatvisError(`steps must be a positive integer, got ${String(s.steps)}`);
  if (!posInt(s.size) || s.size < 8 || s.size > 4096) throw new FeatvisError(`size must be an integer in 8–4096, got ${String(s.size)}`);
  if (!(typeof s.learningRate === 'number' && s.learningRate > 0 && Number.isFinite(s.learningRate))) throw new FeatvisError(`learning rate must be > 0, got ${String(s.learningRate)}`);
  if (!PARAM_KINDS.includes(s.param)) throw new FeatvisError(`unknown parameterisation ${quoteName(s.param)} (use ${PARAM_KINDS.join(', ')})`);
  if (typeof s.decorrelate !== 'boolean') throw new FeatvisError('decorrelate must be true or false');
  if (!(typeof s.seed === 'number' && Number.isInteger(s.seed) && s.seed >= 0)) throw new FeatvisError(`seed must be an integer ≥ 0, got ${String(s.seed)}`);
  if (!posInt(s.batchSize)) throw new FeatvisError(`batch size must be a positive integer, got ${String(s.batchSize)}`);
  if (!Array.isArray(s.snapshots) || s.snapshots.some((n) => !posInt(n))) throw new FeatvisError('snapshots must be a list of positive step numbers');
  validateRegularizers(s.regularizers);
  const po = s.paramOptions;
  if (po !== undefined) {
    if (typeof po !== 'object' || po === null) throw new FeatvisError('paramOptions must be an object such as { contrast: 2.5 }');
    for (const [k, v] of Object.entries(po)) {
      if (k !== 'contrast' && k !== 'decayPower') throw new FeatvisError(`unknown parameterisation option ${quoteName(k)} (known: contrast, decayPower)`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (k === 'contrast' && v === 0) || v > 100) throw new FeatvisError(`paramOptions.${k} must be a number in (0, 100], got ${String(v)}`);
    }
  }
}

/** Seed of channel c: images do not depend on which other channels run. */
export function channelSeed(seed: number, channel: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(channel + 1, 0x85ebca6b)) >>> 0;
}

export type { ParamKind };
