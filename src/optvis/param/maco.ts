/**
 * MACO, magnitude-constrained optimisation (Fel et al., "Unlocking Feature
 * Visualization for Deeper Networks with MAgnitude Constrained Optimization",
 * NeurIPS 2023): the image's Fourier magnitude is fixed to the mean spectrum
 * of natural photos (naturalStats.ts) and only the phase is optimised, so every
 * image keeps a natural power spectrum, whatever the network asks for:
 *
 *   d  = standardise(irfft2(M · e^{iφ}))      (per image; decorrelated colour space)
 *   x  = sigmoid(contrast · d · Cᵀ)           (C: colour covariance square root, normalised)
 *
 * The phases start uniform in [−π, π). (Horama draws them from N(0, 1) and
 * standardises them at every step; phases concentrated around 0 make every
 * frequency peak at the same pixel, a bright blob in the image's corner that
 * featvis measured on every seed.)
 */
import { tf, type Tensor, type Tensor3D, type Tensor4D, type Variable } from '../../backend/tf.js';
import { batchUniform } from '../rng.js';
import { createDft2, twinWeights } from '../../data/dft.js';
import { magnitudeTemplate, naturalStats, type NaturalStats } from './naturalStats.js';
import type { ImageParam, ParamOptions } from './types.js';

export interface MacoOptions extends ParamOptions {
  /** Natural-image statistics (default: the shipped data/natural-stats.json). */
  stats?: NaturalStats;
  /** Gain before the sigmoid (default 2.5, measured in bench/recipes.ts): the standardised image's contrast. */
  contrast?: number;
}

/** (x − mean) / (std + 1e-4) over every axis but the first. */
function standardise(x: Tensor): Tensor {
  const axes = Array.from({ length: x.rank - 1 }, (_, i) => i + 1);
  const { mean, variance } = tf.moments(x, axes, true);
  return tf.div(tf.sub(x, mean), tf.add(tf.sqrt(variance), 1e-4));
}

export function macoParam(opts: MacoOptions): ImageParam {
  const { batch, height: H, width: W } = opts;
  const stats = opts.stats ?? naturalStats();
  const wf = Math.floor(W / 2) + 1;
  const contrast = opts.contrast ?? 2.5;
  const phase: Variable = (() => {
    const t = tf.tensor4d(batchUniform(opts.seed, batch, 3 * H * wf, -Math.PI, Math.PI), [batch, 3, H, wf]);
    const v = tf.variable(t);
    t.dispose();
    return v;
  })();
  // Magnitude × twin weight (columns standing for a conjugate pair count twice), [3, H, wf].
  const twin = twinWeights(W);
  const mag = magnitudeTemplate(stats, H, W).map((m, i) => m * twin[i % wf]!);
  const magnitude = tf.keep(tf.tensor3d(mag, [3, H, wf]));
  const maxNorm = Math.max(...[0, 1, 2].map((j) => Math.hypot(...stats.colorSqrt.map((r) => r[j]!))));
  const color = tf.keep(tf.tensor2d(stats.colorSqrt.flat().map((v) => v / maxNorm), [3, 3]));
  const dft = createDft2(H, W);

  const toImage = (): Tensor4D =>
    tf.tidy(() => {
      const a = tf.reshape(tf.mul(tf.cos(phase), magnitude), [batch * 3, H, wf]) as Tensor3D;
      const b = tf.reshape(tf.mul(tf.sin(phase), magnitude), [batch * 3, H, wf]) as Tensor3D;
      const d = standardise(tf.reshape(dft.inverse(a, b), [batch, 3, H, W]));
      const nhwc = tf.transpose(d, [0, 2, 3, 1]);
      const rgb = tf.reshape(tf.matMul(tf.reshape(nhwc, [batch * H * W, 3]), color, false, true), [batch, H, W, 3]);
      return tf.sigmoid(tf.mul(rgb, contrast)) as Tensor4D;
    });

  return {
    kind: 'maco',
    batch,
    height: H,
    width: W,
    variables: [phase],
    pixels: null,
    toImage,
    dispose: () => {
      tf.dispose([phase, magnitude, color]);
      dft.dispose();
    },
  };
}
