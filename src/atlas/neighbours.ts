/**
 * Nearest channels, two cheap measures that mean something for any layer:
 *
 *   co-activation  Pearson correlation of two channels' spatial-mean activations
 *                  over a probe of dataset images (evenly spaced through the
 *                  mined images, default 256): channels that fire on the same
 *                  photos. One forward pass over the probe; dense (every pair has
 *                  a value), so every channel gets neighbours.
 *   overlap        Jaccard index of the two channels' top-(k + held-out) image
 *                  sets, free from the exemplar store: channels whose strongest
 *                  images are the same photos. Sparse (most pairs share none).
 *
 * Weight similarity was left out: it exists only for layers that are a
 * convolution's output (not for `add` or `concatenate` joins such as
 * MobileNetV2's `expanded_conv_7/add` or InceptionV3's `mixed6`).
 */
import { tf } from '../backend/tf.js';
import type { ImageEntry } from '../data/folder.js';
import { readImageBatch, type ResizeFit } from '../data/image.js';
import type { FeatModel } from '../core/types.js';
import type { AtlasNeighbours, Neighbour } from './types.js';

/** `n` images evenly spaced through `pool` (all of them when it has no more). */
export function probeImages(pool: readonly ImageEntry[], n: number): ImageEntry[] {
  if (n >= pool.length) return [...pool];
  return Array.from({ length: n }, (_, i) => pool[Math.floor((i * pool.length) / n)]!);
}

/** [images × channels] spatial-mean activations of `channels` over `images`, in batches. */
export async function probeActivations(
  model: FeatModel,
  layer: string,
  channels: readonly number[],
  images: readonly ImageEntry[],
  size: [number, number],
  fit: ResizeFit,
  batchSize = 16,
  onProgress?: (done: number, total: number) => void,
): Promise<Float64Array[]> {
  const rows: Float64Array[] = [];
  const idx = tf.tensor1d([...channels], 'int32');
  try {
    for (let i = 0; i < images.length; i += batchSize) {
      const x = await readImageBatch(images.slice(i, i + batchSize).map((e) => e.path), size, fit);
      try {
        const m = tf.tidy(() => {
          const a = model.activations(x, [layer])[layer]!;
          const mean = a.rank === 4 ? tf.mean(a, [1, 2]) : a;
          return tf.gather(mean, idx, 1);
        });
        const data = await m.data();
        m.dispose();
        for (let r = 0; r < data.length / channels.length; r++) rows.push(Float64Array.from(data.subarray(r * channels.length, (r + 1) * channels.length)));
      } finally {
        x.dispose();
      }
      onProgress?.(Math.min(images.length, i + batchSize), images.length);
    }
  } finally {
    idx.dispose();
  }
  return rows;
}

/** Pearson correlation matrix (channels × channels) of the columns of `rows`; 0 where a column is constant. */
export function correlations(rows: readonly Float64Array[], nChannels: number): Float64Array {
  const n = rows.length;
  const mean = new Float64Array(nChannels);
  for (const r of rows) for (let c = 0; c < nChannels; c++) mean[c]! += r[c]! / n;
  const z = rows.map((r) => r.map((v, c) => v - mean[c]!));
  const sd = new Float64Array(nChannels);
  for (const r of z) for (let c = 0; c < nChannels; c++) sd[c]! += r[c]! * r[c]!;
  for (let c = 0; c < nChannels; c++) sd[c] = Math.sqrt(sd[c]!);
  const out = new Float64Array(nChannels * nChannels);
  for (let a = 0; a < nChannels; a++) {
    for (let b = a; b < nChannels; b++) {
      let s = 0;
      for (const r of z) s += r[a]! * r[b]!;
      const v = sd[a]! > 0 && sd[b]! > 0 ? s / (sd[a]! * sd[b]!) : 0;
      out[a * nChannels + b] = v;
      out[b * nChannels + a] = v;
    }
  }
  return out;
}

/** Jaccard index |A ∩ B| / |A ∪ B| of two id lists (as sets). */
export function jaccard(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  let inter = 0;
  for (const x of sa) if (sb.has(x)) inter++;
  const union = sa.size + sb.size - inter;
  return union ? inter / union : 0;
}

/** The `n` highest-valued other channels per channel (ties: lower channel first); values ≤ `min` left out. */
function topNeighbours(channels: readonly number[], value: (i: number, j: number) => number, n: number, min: number): Record<string, Neighbour[]> {
  const out: Record<string, Neighbour[]> = {};
  channels.forEach((c, i) => {
    const list: Neighbour[] = [];
    channels.forEach((d, j) => {
      if (j === i) return;
      const v = value(i, j);
      if (v > min) list.push({ channel: d, value: Math.round(v * 1e4) / 1e4 });
    });
    list.sort((x, y) => y.value - x.value || x.channel - y.channel);
    out[String(c)] = list.slice(0, n);
  });
  return out;
}

export function atlasNeighbours(key: string, channels: readonly number[], probe: readonly Float64Array[], topIds: ReadonlyArray<readonly string[]>, n = 6): AtlasNeighbours {
  const corr = correlations(probe, channels.length);
  const C = channels.length;
  return {
    key,
    probeImages: probe.length,
    coactivation: topNeighbours(channels, (i, j) => corr[i * C + j]!, n, -Infinity),
    overlap: topNeighbours(channels, (i, j) => jaccard(topIds[i]!, topIds[j]!), n, 0),
  };
}
