/**
 * A synthetic exemplar store whose answers are known by hand: every image is a
 * constant grey level, and the metric is the squared difference of mean grey
 * levels, d(a, b) = (mean(a) − mean(b))², in grey levels (0–255; the mean is
 * rounded to the 8-bit level the image was stored with, so distances are exact).
 *
 *   channel 0: top-9 = 8 × level 100 + 1 × level 103, held-out (ranks 10–18) = 9 × level 101
 *   channel 1: top-9 = 8 × level 200 + 1 × level 203, held-out = 9 × level 201
 *   the rest of the dataset: 20 × level 145 and 20 × level 155
 *
 * Hence ceiling = 8·3²/36 = 2, held-out score = (8·1² + 2²)/9 = 4/3 for both channels.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { tf, type Tensor2D, type Tensor4D } from '../../src/backend/tf.js';
import { ExemplarStore, type TopKRow } from '../../src/exemplars/store.js';
import type { ScoreMetric, ScoreVariant } from '../../src/metrics/embedding.js';
import type { RgbImage } from '../../src/data/image.js';

export const LAYER = 'synthetic';
export const SIZE = 16;

export interface SyntheticStore {
  dir: string;
  storeFile: string;
  /** Grey level (0–255) of every image file. */
  level: Map<string, number>;
  /** Files of each channel's top-9. */
  top: Record<number, string[]>;
  cleanup(): void;
}

/** A constant image of grey `level` (0–255) in memory, `SIZE`². */
export function grey(level: number): RgbImage {
  return { width: SIZE, height: SIZE, data: new Float32Array(SIZE * SIZE * 3).fill(level / 255) };
}

/** The metric: one number per image (its mean grey level), so distances are squared mean differences. */
export const meanGreyMetric: ScoreMetric = {
  label: 'mean grey (synthetic)',
  variants: ['lpips'] as readonly ScoreVariant[],
  describe: () => 'squared difference of mean grey levels (synthetic test metric)',
  embed: (images: Tensor4D) => ({ lpips: tf.tidy(() => tf.reshape(tf.round(tf.mul(tf.mean(images, [1, 2, 3]), 255)), [-1, 1]) as Tensor2D) }),
};

export async function syntheticStore(): Promise<SyntheticStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-synthetic-'));
  const level = new Map<string, number>();
  const write = async (name: string, l: number): Promise<string> => {
    const file = path.join(dir, name);
    await sharp(Buffer.alloc(SIZE * SIZE * 3, l), { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toFile(file);
    level.set(file, l);
    return file;
  };
  const ranked: Array<[number, string[]]> = [];
  for (const [ch, base] of [[0, 100], [1, 200]] as const) {
    const files: string[] = [];
    for (let r = 0; r < 18; r++) files.push(await write(`c${ch}_r${String(r).padStart(2, '0')}.png`, r < 8 ? base : r === 8 ? base + 3 : base + 1));
    ranked.push([ch, files]);
  }
  for (let i = 0; i < 40; i++) await write(`pool_${String(i).padStart(2, '0')}.png`, i % 2 ? 155 : 145);
  const storeFile = path.join(dir, 'exemplars.sqlite');
  const store = new ExemplarStore(storeFile);
  try {
    const entries = [...level.keys()].map((p) => ({ id: path.basename(p), path: p }));
    const run = store.openRun({
      model: 'synthetic',
      layers: [LAYER],
      dataset: dir,
      size: [SIZE, SIZE],
      k: 18,
      root: dir,
      fit: 'cover',
      rfFactor: 4,
      reduce: 'mean',
      total: entries.length,
      layerShapes: [{ layer: LAYER, mapH: 1, mapW: 1, channels: 2 }],
    });
    const topk: TopKRow[] = ranked.flatMap(([channel, files]) =>
      files.flatMap((f, rank) => (['mean', 'max'] as const).map((reduce) => ({ layer: LAYER, channel, reduce, rank, imageId: path.basename(f), value: 100 - rank, x: 0, y: 0 }))),
    );
    store.commitBatch(run.id, { done: entries, skipped: [], topk });
    store.finishRun(run.id);
  } finally {
    store.close();
  }
  const top = Object.fromEntries(ranked.map(([ch, files]) => [ch, files.slice(0, 9)]));
  return { dir, storeFile, level, top, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
