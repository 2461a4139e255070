/**
 * The reference study's interpretability score of one channel: the mean
 * perceptual distance (LPIPS) between the channel's AM image and each of its
 * top-9 dataset exemplars. Lower = the AM image looks more like the real images
 * that excite the channel.
 *
 * Two controls make the number readable:
 *   floor   (chance)  mean distance between the top-9 and 9 random dataset images:
 *                     a score near it means "no closer than an unrelated photo";
 *   ceiling (best)    mean pairwise distance within the top-9: how close images that
 *                     truly excite the channel are to each other.
 *
 * Resize policy: every image (AM image, exemplars, random images) is resized to
 * `size`×`size` — exemplars with a centre crop (sharp 'cover'), the square AM
 * image directly — before the metric sees it. With `crop: true` exemplars are the
 * receptive-field boxes around their arg-max location instead of the whole image.
 */
import sharp from 'sharp';
import { tf, type Tensor4D } from '../backend/tf.js';
import { readImage, type RgbImage } from '../data/image.js';
import { FeatvisError } from '../core/errors.js';
import type { PerceptualMetric } from './lpips.js';

export interface ExemplarRef {
  path: string;
  /** Receptive-field box in the mining input's pixels (the image resized to `inputSize` with 'cover'). */
  box?: { left: number; top: number; width: number; height: number };
  inputSize?: [number, number];
}

export interface InterpretabilityInput {
  metric: PerceptualMetric;
  /** The channel's AM image, RGB [0,1]. */
  amImage: RgbImage;
  exemplars: readonly ExemplarRef[];
  /** Random dataset images for the chance floor (same count as exemplars is customary). */
  randomImages?: readonly string[];
  /** Side every image is resized to (default 128). */
  size?: number;
  /** Use receptive-field crops of the exemplars instead of whole images. */
  crop?: boolean;
}

export interface InterpretabilityScore {
  /** Distance from the AM image to each exemplar. */
  distances: number[];
  /** Mean of `distances`: the channel's interpretability (lower = closer to real images). */
  score: number;
  /** Mean distance between the exemplars and random images (chance level). */
  floor: number | null;
  /** Mean pairwise distance among the exemplars. */
  ceiling: number | null;
  metric: string;
  size: number;
}

async function loadExemplar(ref: ExemplarRef, size: number, crop: boolean): Promise<RgbImage> {
  if (!crop || !ref.box || !ref.inputSize) return readImage(ref.path, [size, size], 'cover');
  // The box is in the coordinates of the mining input (the image resized to inputSize with 'cover').
  const [ih, iw] = ref.inputSize;
  const { data, info } = await sharp(ref.path)
    .removeAlpha()
    .resize({ width: iw, height: ih, fit: 'cover' })
    .extract(clampBox(ref.box, iw, ih))
    .resize({ width: size, height: size, fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! / 255;
  return { width: info.width, height: info.height, data: out };
}

function clampBox(b: NonNullable<ExemplarRef['box']>, w: number, h: number): { left: number; top: number; width: number; height: number } {
  const left = Math.min(Math.max(0, Math.floor(b.left)), w - 1);
  const top = Math.min(Math.max(0, Math.floor(b.top)), h - 1);
  return { left, top, width: Math.max(1, Math.min(w - left, Math.round(b.width))), height: Math.max(1, Math.min(h - top, Math.round(b.height))) };
}

function stack(images: readonly RgbImage[], size: number): Tensor4D {
  const buf = new Float32Array(images.length * size * size * 3);
  images.forEach((im, i) => {
    if (im.width !== size || im.height !== size) throw new Error(`image is ${im.width}×${im.height}, expected ${size}×${size}`);
    buf.set(im.data, i * size * size * 3);
  });
  return tf.tensor4d(buf, [images.length, size, size, 3]);
}

async function resizeTo(img: RgbImage, size: number): Promise<RgbImage> {
  if (img.width === size && img.height === size) return img;
  const bytes = Buffer.from(Uint8Array.from(img.data, (v) => Math.max(0, Math.min(255, Math.round(v * 255)))));
  const { data } = await sharp(bytes, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize({ width: size, height: size, fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: size, height: size, data: Float32Array.from(data, (v) => v / 255) };
}

/** Mean distance over all pairs (a[i], b[j]) (or i<j pairs when `within`). */
function meanPairwise(metric: PerceptualMetric, a: Tensor4D, b: Tensor4D, within: boolean): number {
  let total = 0;
  let count = 0;
  const n = a.shape[0];
  for (let i = 0; i < n; i++) {
    const d = tf.tidy(() => {
      const ai = tf.slice(a, [i, 0, 0, 0], [1, -1, -1, -1]);
      return Array.from(metric.distance(ai, b).dataSync());
    });
    d.forEach((v, j) => {
      if (within && j <= i) return;
      total += v;
      count++;
    });
  }
  return count ? total / count : Number.NaN;
}

export interface ChannelControls {
  floor: number | null;
  ceiling: number | null;
}

/** Floor and ceiling of one channel (they do not depend on the AM image: compute once per channel). */
export async function channelControls(
  metric: PerceptualMetric,
  exemplars: readonly ExemplarRef[],
  randomImages: readonly string[],
  size = 128,
  crop = false,
): Promise<ChannelControls> {
  const ex = await Promise.all(exemplars.map((e) => loadExemplar(e, size, crop)));
  const exT = stack(ex, size);
  try {
    const ceiling = ex.length > 1 ? meanPairwise(metric, exT, exT, true) : null;
    let floor: number | null = null;
    if (randomImages.length > 0) {
      const rnd = await Promise.all(randomImages.map((p) => readImage(p, [size, size], 'cover')));
      const rT = stack(rnd, size);
      try {
        floor = meanPairwise(metric, exT, rT, false);
      } finally {
        rT.dispose();
      }
    }
    return { floor, ceiling };
  } finally {
    exT.dispose();
  }
}

/** Distances from one AM image to each exemplar, and their mean (the score). */
export async function amDistances(
  metric: PerceptualMetric,
  amImage: RgbImage,
  exemplars: readonly ExemplarRef[],
  size = 128,
  crop = false,
): Promise<{ distances: number[]; score: number }> {
  if (exemplars.length === 0) throw new FeatvisError('interpretability needs at least one exemplar');
  const ex = await Promise.all(exemplars.map((e) => loadExemplar(e, size, crop)));
  const exT = stack(ex, size);
  const amT = stack([await resizeTo(amImage, size)], size);
  try {
    const distances = tf.tidy(() => Array.from(metric.distance(amT, exT).dataSync()));
    return { distances, score: distances.reduce((a, b) => a + b, 0) / distances.length };
  } finally {
    tf.dispose([exT, amT]);
  }
}

export async function interpretability(input: InterpretabilityInput): Promise<InterpretabilityScore> {
  const size = input.size ?? 128;
  const crop = input.crop ?? false;
  const { distances, score } = await amDistances(input.metric, input.amImage, input.exemplars, size, crop);
  const { floor, ceiling } = await channelControls(input.metric, input.exemplars, input.randomImages ?? [], size, crop);
  return { distances, score, floor, ceiling, metric: input.metric.label, size };
}

/** Mean and 95 % confidence half-width (Student t) of scores over seeds. */
export function meanCI(values: readonly number[]): { mean: number; halfWidth: number | null; n: number } {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, n);
  if (n < 2) return { mean, halfWidth: null, n };
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  // two-sided 97.5 % quantiles of Student's t for df = 1..30; normal beyond
  const T = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];
  const t = T[n - 2] ?? 1.96;
  return { mean, halfWidth: (t * sd) / Math.sqrt(n), n };
}
