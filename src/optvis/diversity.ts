/**
 * Diverse sets of one channel (lucid's `diversity(layer)`, Olah et al. 2017,
 * "Feature Visualization", section Diversity): N images that all maximise the
 * same channel, optimised together while the similarity of their styles is
 * penalised. An image's style at a layer is the Gram matrix of its
 * activations (C × C, Σ over positions of a_c · a_c′), normalised to unit
 * Frobenius norm; two images' similarity is the cosine of their Gram matrices.
 *
 *   diversity(layer, n)  per image: mean cosine similarity of its Gram matrix with
 *                        the other images of its group (consecutive groups of n;
 *                        default: the whole batch) — a penalty, subtract it
 *   renderDiverse(…)     n images per channel for several channels in one batch
 *                        (renderChannels with the penalty as its `extra` term)
 *   gramSimilarity(…)    the mean pairwise similarity of a set of images (what the
 *                        penalty lowers), to measure a set
 */
import { tf, type Tensor, type Tensor1D, type Tensor2D, type Tensor3D, type Tensor4D } from '../backend/tf.js';
import type { RgbImage } from '../data/image.js';
import { FeatvisError } from '../core/errors.js';
import { checkName } from '../core/check.js';
import type { FeatModel } from '../core/types.js';
import { activationsOf, channels as channelObjective, objective, type Objective } from './objectives.js';
import { scoreImages } from './render.js';
import { renderChannels, type ChannelBatch } from './renderChannels.js';
import { channelSeed } from './settings.js';

/** [N, …, C] activations → [N, C·C] Gram matrices, each of unit Frobenius norm (lucid: l2_normalize over both axes). */
export function normalizedGrams(acts: Tensor): Tensor2D {
  return tf.tidy(() => {
    const n = acts.shape[0]!;
    const c = acts.shape.at(-1)!;
    const flat = tf.reshape(acts, [n, -1, c]) as Tensor3D;
    const grams = tf.reshape(tf.matMul(flat, flat, true, false), [n, c * c]) as Tensor2D;
    const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(grams), 1, true), 1e-20));
    return tf.div(grams, norm) as Tensor2D;
  });
}

/** [N, N] mask: 1/(g−1) where i ≠ j are in the same group of g consecutive items, else 0. */
function groupMask(n: number, group: number): Tensor2D {
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    const g0 = Math.floor(i / group) * group;
    for (let j = g0; j < Math.min(n, g0 + group); j++) if (j !== i) m[i * n + j] = 1 / (group - 1);
  }
  return tf.tensor2d(m, [n, n]);
}

/** Per item: mean cosine similarity of its normalised Gram matrix with the others of its group ([N]; 0 alone). */
export function gramSimilarityOf(acts: Tensor, group?: number): Tensor1D {
  const n = acts.shape[0]!;
  const g = group ?? n;
  if (!Number.isInteger(g) || g < 1) throw new FeatvisError(`diversity group size must be a positive integer, got ${String(group)}`);
  if (n % g !== 0) throw new FeatvisError(`diversity: a batch of ${n} images does not split into groups of ${g}`);
  if (g === 1) return tf.zeros([n]) as Tensor1D;
  return tf.tidy(() => {
    const grams = normalizedGrams(acts);
    const sim = tf.matMul(grams, grams, false, true);
    return tf.sum(tf.mul(sim, groupMask(n, g)), 1) as Tensor1D;
  });
}

/**
 * The diversity penalty of lucid: each image's mean Gram-matrix cosine
 * similarity to the other images of its group (consecutive groups of `group`
 * images; default the whole batch). Subtract it, weighted:
 * `channels(layer, [c, c, c, c]).minus(diversity(layer).times(w))`.
 */
export function diversity(layer: string, group?: number): Objective {
  checkName('diversity()', 'layer', layer);
  if (group !== undefined && (!Number.isInteger(group) || group < 1)) throw new FeatvisError(`diversity(): group must be a positive integer, got ${String(group)}`);
  return objective({ name: `diversity(${layer}${group ? `, ${group}` : ''})`, layers: [layer], score: (ctx) => gramSimilarityOf(activationsOf(ctx, layer), group) });
}

/** Mean pairwise Gram-matrix cosine similarity of `images` at `layer` (1 = identical styles). Inference only. */
export function gramSimilarity(model: FeatModel, layer: string, images: readonly RgbImage[]): number {
  if (images.length < 2) throw new FeatvisError('gramSimilarity needs at least 2 images');
  const { width, height } = images[0]!;
  if (images.some((im) => im.width !== width || im.height !== height)) throw new FeatvisError('gramSimilarity: images must have one size');
  return tf.tidy(() => {
    const buf = new Float32Array(images.length * width * height * 3);
    images.forEach((im, i) => buf.set(im.data, i * width * height * 3));
    const batch = tf.tensor4d(buf, [images.length, height, width, 3]);
    const acts = model.activations(batch, [layer])[layer];
    if (!acts) throw new FeatvisError(`model '${model.name}' returned no activations for layer '${layer}'`);
    return tf.mean(gramSimilarityOf(acts)).dataSync()[0]!;
  });
}

/** −w_c · penalty for every image of channel c's group (groups of n consecutive images). */
function weightedPenalty(penalty: Objective, weights: readonly number[], n: number): Objective {
  if (weights.every((w) => w === weights[0])) return penalty.times(-weights[0]!);
  const perImage = weights.flatMap((w) => Array.from({ length: n }, () => -w));
  return objective({
    name: `−w·${penalty.name}`,
    layers: penalty.layers,
    score: (ctx) => tf.mul(penalty.score(ctx), tf.tensor1d(perImage)) as Tensor1D,
    validate: (m) => penalty.validate(m),
  });
}

/** Starting seed of image i of channel c's diverse set (distinct from the channel's single-image seed). */
export function diverseSeed(seed: number, channel: number, i: number): number {
  return channelSeed(seed, channel) ^ Math.imul(i + 1, 0x27d4eb2f) ^ 0x5bd1e995;
}

export interface DiverseBatch extends Omit<ChannelBatch, 'extra' | 'imageSeeds'> {
  /** Images per channel (≥ 2). */
  n: number;
  /** Strength of the penalty, in units of the channel objective: one for every channel, or one per channel. */
  weight: number | readonly number[];
}

export interface DiverseSet {
  channel: number;
  images: RgbImage[];
  /** Each image's channel objective (mean activation), without the penalty. */
  activations: number[];
  /** Mean pairwise Gram similarity of the set at the layer. */
  similarity: number;
}

/**
 * `n` images of each of `b.channels`, one batch of channels.length × n images,
 * the diversity penalty applied within each channel's group.
 */
export async function renderDiverse(model: FeatModel, b: DiverseBatch, opts: Parameters<typeof renderChannels>[2] = {}): Promise<{ sets: DiverseSet[]; millis: number }> {
  if (!Number.isInteger(b.n) || b.n < 2) throw new FeatvisError(`a diverse set needs at least 2 images, got ${String(b.n)}`);
  const weights = typeof b.weight === 'number' ? b.channels.map(() => b.weight as number) : [...b.weight];
  if (weights.length !== b.channels.length) throw new FeatvisError(`${weights.length} diversity weights for ${b.channels.length} channels`);
  if (!weights.every((w) => typeof w === 'number' && Number.isFinite(w) && w >= 0)) throw new FeatvisError(`diversity weights must be numbers ≥ 0, got ${String(b.weight)}`);
  const list = b.channels.flatMap((c) => Array.from({ length: b.n }, () => c));
  const imageSeeds = b.channels.flatMap((c) => Array.from({ length: b.n }, (_, i) => diverseSeed(b.seed, c, i)));
  const r = await renderChannels(model, { ...b, channels: list, imageSeeds, ...(weights.some((w) => w > 0) ? { extra: weightedPenalty(diversity(b.layer, b.n), weights, b.n) } : {}) }, opts);
  const plain = channelObjective(b.layer, list);
  const acts = tf.tidy(() => {
    const { width, height } = r.images[0]!;
    const buf = new Float32Array(r.images.length * width * height * 3);
    r.images.forEach((im, i) => buf.set(im.data, i * width * height * 3));
    return scoreImages(model, plain, tf.tensor4d(buf, [r.images.length, height, width, 3]) as Tensor4D);
  });
  const sets = b.channels.map((channel, ci) => {
    const images = r.images.slice(ci * b.n, (ci + 1) * b.n);
    return { channel, images, activations: acts.slice(ci * b.n, (ci + 1) * b.n), similarity: gramSimilarity(model, b.layer, images) };
  });
  return { sets, millis: r.millis };
}
