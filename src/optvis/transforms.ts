/**
 * Per-step random transforms ("transformation robustness", Olah et al. 2017):
 * pad, then one random affine map per image (jitter, scale, rotate), all
 * differentiable. Randomness comes from the render's seeded Rng.
 */
import { tf, type Tensor4D } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import { affineSampleShared, type Affine } from './affine.js';
import type { Rng } from './rng.js';

export interface TransformSpec {
  /** Pixels of padding on each side (0 = none). */
  pad?: number;
  padMode?: 'constant' | 'reflect';
  /** Max random translation in whole pixels (uniform in ±jitter), per image and step. */
  jitter?: number;
  /** Candidate scale factors, one drawn per image and step. */
  scales?: number[];
  /** Candidate rotation angles in degrees. */
  rotateDegrees?: number[];
}

export const NO_TRANSFORMS: TransformSpec = {};

/** Lucid's "standard_transforms", adapted to pixel units. */
export const STANDARD_TRANSFORMS: TransformSpec = {
  pad: 12,
  padMode: 'constant',
  jitter: 8,
  scales: [1, 0.975, 1.025, 0.95, 1.05],
  rotateDegrees: [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5],
};

export function transformPreset(name: string): TransformSpec {
  switch (name) {
    case 'none':
      return NO_TRANSFORMS;
    case 'standard':
      return STANDARD_TRANSFORMS;
    case 'jitter':
      return { jitter: 8 };
    default:
      throw new FeatvisError(`unknown transform preset '${name}' (use none, jitter or standard)`);
  }
}

export function isIdentity(spec: TransformSpec): boolean {
  return !spec.pad && !spec.jitter && !(spec.scales?.some((s) => s !== 1)) && !(spec.rotateDegrees?.some((r) => r !== 0));
}

/**
 * Applies `spec` to a batch with fresh random parameters from `rng`: one draw
 * per step, shared by the whole batch (as Lucid does), so a channel's image
 * depends on the render seed and not on which channels share its batch.
 */
export function applyTransforms(images: Tensor4D, spec: TransformSpec, rng: Rng): Tensor4D {
  if (isIdentity(spec)) return images;
  return tf.tidy(() => {
    let x = images;
    const pad = spec.pad ?? 0;
    if (pad > 0) {
      const paddings: Array<[number, number]> = [[0, 0], [pad, pad], [pad, pad], [0, 0]];
      x = spec.padMode === 'reflect' ? tf.mirrorPad(x, paddings, 'reflect') : tf.pad(x, paddings, 0.5);
    }
    const j = spec.jitter ?? 0;
    const m: Affine = {
      dx: j ? rng.int(-j, j) : 0,
      dy: j ? rng.int(-j, j) : 0,
      scale: spec.scales?.length ? rng.pick(spec.scales) : 1,
      angle: spec.rotateDegrees?.length ? (rng.pick(spec.rotateDegrees) * Math.PI) / 180 : 0,
    };
    return m.dx || m.dy || m.scale !== 1 || m.angle ? affineSampleShared(x, m) : x;
  });
}
