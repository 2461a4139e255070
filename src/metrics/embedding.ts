/**
 * Scores as distances between embeddings. Every distance the interpretability
 * score uses is a squared Euclidean distance between two vectors, one per image,
 * so a channel's exemplars are run through the metric's network once and then
 * compared with any number of AM images, held-out exemplars and random photos.
 *
 * Variants of the LPIPS formula on a backbone's taps f_l (unit-normalised over
 * channels: n = f / (‖f‖₂ + 1e-10), channel weights w_l: the LPIPS heads, or 1):
 *
 *   lpips   the study's formula: Σ_l mean_hw Σ_c w_c (n_a − n_b)²  — compares the
 *           two images position by position (pixel-aligned);
 *   pooled  spatially invariant: Σ_l Σ_c w_c (mean_hw n_a − mean_hw n_b)²  — the
 *           same normalised features after spatial average pooling;
 *   stats   spatially invariant: as pooled, plus the spatial standard deviations
 *           (channel statistics, as in style / texture losses).
 *
 * An AM image and a photo are not pixel-aligned (the channel is maximised
 * everywhere, the exemplar shows the pattern once, somewhere), which is why the
 * invariant variants are reported beside the study's formula, never instead.
 */
import { tf, type Tensor1D, type Tensor2D, type Tensor4D } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';

export const SCORE_VARIANTS = ['lpips', 'pooled', 'stats'] as const;
export type ScoreVariant = (typeof SCORE_VARIANTS)[number];

export const VARIANT_TITLES: Readonly<Record<ScoreVariant, string>> = {
  lpips: "study's formula (pixel-aligned)",
  pooled: 'pooled features (spatially invariant)',
  stats: 'channel statistics (spatially invariant)',
};

/** A distance between images given as embeddings (squared Euclidean distance of rows). */
export interface ScoreMetric {
  /** Short label for tables and plots, e.g. `LPIPS-like(equal) MobileNetV2`. */
  readonly label: string;
  /** Variants `embed` returns. */
  readonly variants: readonly ScoreVariant[];
  /** What is computed, with the network and the weight files actually used. */
  describe(): string;
  /**
   * One row per image (NHWC RGB in [0, 1]) for each of `variants`: the squared
   * Euclidean distance between two rows is the variant's distance between the
   * two images. The caller disposes the tensors.
   */
  embed(images: Tensor4D): Partial<Record<ScoreVariant, Tensor2D>>;
}

export function isScoreVariant(s: string): s is ScoreVariant {
  return (SCORE_VARIANTS as readonly string[]).includes(s);
}

/** lpips.normalize_tensor: x / (sqrt(sum_c x²) + 1e-10). The max() keeps the gradient finite at x = 0 without changing values measurably. */
export function normalizeChannels(x: Tensor4D): Tensor4D {
  const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(x), 3, true), 1e-30));
  return tf.div(x, tf.add(norm, 1e-10));
}

/**
 * Embeddings of the variants from a backbone's feature maps (one per tap, N×H×W×C)
 * and per-tap channel weights (null = all 1). Call inside tf.tidy.
 */
export function featureEmbeddings(feats: readonly Tensor4D[], weights: ReadonlyArray<Tensor1D | null>, variants: readonly ScoreVariant[]): Partial<Record<ScoreVariant, Tensor2D>> {
  const parts: Record<ScoreVariant, Tensor2D[]> = { lpips: [], pooled: [], stats: [] };
  feats.forEach((f, k) => {
    const [n, h, w, c] = f.shape;
    const wk = weights[k];
    let x = normalizeChannels(f);
    if (wk) x = tf.mul(x, tf.sqrt(wk));
    if (variants.includes('lpips')) parts.lpips.push(tf.reshape(tf.mul(x, 1 / Math.sqrt(h * w)), [n, h * w * c]));
    if (variants.includes('pooled') || variants.includes('stats')) {
      const { mean, variance } = tf.moments(x, [1, 2]);
      if (variants.includes('pooled')) parts.pooled.push(mean as Tensor2D);
      if (variants.includes('stats')) parts.stats.push(mean as Tensor2D, tf.sqrt(tf.maximum(variance, 0)) as Tensor2D);
    }
  });
  const out: Partial<Record<ScoreVariant, Tensor2D>> = {};
  for (const v of variants) out[v] = parts[v].length === 1 ? parts[v][0]! : tf.concat(parts[v], 1);
  return out;
}

/** Problems up to this many multiply-adds are computed exactly (float64 differences on the host). */
const DIRECT_LIMIT = 1 << 24;

/**
 * Squared Euclidean distances between the rows of `a` (m×D) and `b` (n×D),
 * row-major m×n. Small problems: Σ (a − b)² in float64 on the host (exact for
 * float32 inputs up to rounding of the sum). Large ones (identification over
 * hundreds of images with 10⁵-long LPIPS embeddings): ‖a‖² + ‖b‖² − 2 a·b as one
 * float32 matmul, after centring both on b's mean row (the distance does not
 * change; the cancellation shrinks to the spread of the points), clamped at 0.
 */
export function squaredDistances(a: Tensor2D, b: Tensor2D): Float32Array {
  if (a.shape[1] !== b.shape[1]) throw new FeatvisError(`embeddings differ in length: ${a.shape[1]} vs ${b.shape[1]}`);
  const [m, dim] = a.shape;
  const n = b.shape[0];
  if (m * n * dim <= DIRECT_LIMIT) {
    const av = a.dataSync();
    const bv = b.dataSync();
    const out = new Float32Array(m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < dim; k++) {
          const d = av[i * dim + k]! - bv[j * dim + k]!;
          s += d * d;
        }
        out[i * n + j] = s;
      }
    }
    return out;
  }
  return tf.tidy(() => {
    const centre = tf.mean(b, 0, true);
    const ac = tf.sub(a, centre);
    const bc = tf.sub(b, centre);
    const na = tf.sum(tf.square(ac), 1, true);
    const nb = tf.reshape(tf.sum(tf.square(bc), 1), [1, -1]);
    const d = tf.sub(tf.add(na, nb), tf.mul(tf.matMul(ac, bc, false, true), 2));
    return tf.relu(d).dataSync() as Float32Array;
  });
}
