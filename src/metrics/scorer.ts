/**
 * Distances for the interpretability score: a channel set's top-k exemplars are
 * embedded once (ScoreMetric.embed), then any query image — an AM image, a
 * held-out exemplar, a random photo — is compared with every channel's top-k
 * and with a set of random dataset images.
 *
 * Resize policy (every image, every caller): each image is resized to
 * `size`×`size` before the metric sees it — photos with a centre crop (sharp
 * 'cover'), the square AM image directly. With `crop: true` exemplars are the
 * receptive-field boxes around their arg-max location instead of the whole image.
 *
 * An image is never compared with itself: where a query is one of the images it
 * is compared with (same file, same crop), that distance is NaN and left out of
 * every mean (leave-one-out).
 */
import sharp from 'sharp';
import { tf, type Tensor2D, type Tensor4D } from '../backend/tf.js';
import { readImage, type RgbImage } from '../data/image.js';
import { FeatvisError } from '../core/errors.js';
import { squaredDistances, type ScoreMetric, type ScoreVariant } from './embedding.js';

export interface ExemplarRef {
  path: string;
  /** Image id in its dataset (relative path), when known. */
  id?: string;
  /** Receptive-field box in the mining input's pixels (the image resized to `inputSize` with 'cover'). */
  box?: { left: number; top: number; width: number; height: number };
  inputSize?: [number, number];
}

/** One channel's exemplars: the top-k that define it, and the next ones (held out, the positive control). */
export interface ChannelExemplars {
  channel: number;
  top: readonly ExemplarRef[];
  heldOut: readonly ExemplarRef[];
}

export interface ScorerOptions {
  /** Side every image is resized to (default 128). */
  size?: number;
  /** Receptive-field crops of the exemplars instead of whole images (default false). */
  crop?: boolean;
  /** Images per forward pass of the metric's network (default 16). */
  batchSize?: number;
}

/** A query: an image in memory (AM image) or a dataset image. */
export type QueryImage = RgbImage | ExemplarRef;

/** Distances of one query, per variant. NaN marks the query itself. */
export interface QueryDistances {
  /** [channel index][exemplar rank]: distance to each channel's top-k (channel order of the scorer). */
  toTop: Record<ScoreVariant, number[][]>;
  /** Distance to each random image. */
  toRandom: Record<ScoreVariant, number[]>;
}

function isRef(q: QueryImage): q is ExemplarRef {
  return typeof (q as ExemplarRef).path === 'string';
}

function refKey(r: ExemplarRef, crop: boolean): string {
  return crop && r.box ? `${r.path}#${r.box.left},${r.box.top},${r.box.width},${r.box.height}` : r.path;
}

function clampBox(b: NonNullable<ExemplarRef['box']>, w: number, h: number): { left: number; top: number; width: number; height: number } {
  const left = Math.min(Math.max(0, Math.floor(b.left)), w - 1);
  const top = Math.min(Math.max(0, Math.floor(b.top)), h - 1);
  return { left, top, width: Math.max(1, Math.min(w - left, Math.round(b.width))), height: Math.max(1, Math.min(h - top, Math.round(b.height))) };
}

/** A dataset image as the metric sees it: `size`², centre-cropped, or its receptive-field box with `crop`. */
export async function loadRef(ref: ExemplarRef, size: number, crop: boolean): Promise<RgbImage> {
  if (!crop || !ref.box || !ref.inputSize) return readImage(ref.path, [size, size], 'cover');
  const [ih, iw] = ref.inputSize;
  // two pipelines: sharp applies one resize per pipeline, so extract-then-resize needs the first resize done
  const fitted = await sharp(ref.path).rotate().removeAlpha().toColourspace('srgb').resize({ width: iw, height: ih, fit: 'cover', kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
  const { data, info } = await sharp(fitted.data, { raw: { width: fitted.info.width, height: fitted.info.height, channels: 3 } })
    .extract(clampBox(ref.box, iw, ih))
    .resize({ width: size, height: size, fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: Float32Array.from(data, (v) => v / 255) };
}

/** An image in memory as the metric sees it: resized to `size`² (it is square: AM images are). */
export async function resizeImage(img: RgbImage, size: number): Promise<RgbImage> {
  if (img.width === size && img.height === size) return img;
  const bytes = Buffer.from(Uint8Array.from(img.data, (v) => Math.max(0, Math.min(255, Math.round(v * 255)))));
  const { data } = await sharp(bytes, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize({ width: size, height: size, fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: size, height: size, data: Float32Array.from(data, (v) => v / 255) };
}

/** Embeds images in batches: one Tensor2D (rows in image order) per variant. */
export function embedImages(metric: ScoreMetric, images: readonly RgbImage[], size: number, batchSize = 16): Record<ScoreVariant, Tensor2D> {
  if (images.length === 0) throw new FeatvisError('nothing to embed');
  const parts = new Map<ScoreVariant, Tensor2D[]>(metric.variants.map((v) => [v, []]));
  try {
    for (let i = 0; i < images.length; i += batchSize) {
      const chunk = images.slice(i, i + batchSize);
      const buf = new Float32Array(chunk.length * size * size * 3);
      chunk.forEach((im, j) => {
        if (im.width !== size || im.height !== size) throw new FeatvisError(`image is ${im.width}×${im.height}, expected ${size}×${size}`);
        buf.set(im.data, j * size * size * 3);
      });
      const x = tf.tensor4d(buf, [chunk.length, size, size, 3]) as Tensor4D;
      try {
        const e = metric.embed(x);
        for (const v of metric.variants) {
          const t = e[v];
          if (!t) throw new FeatvisError(`${metric.label}: embed() returned no '${v}' embedding`);
          parts.get(v)!.push(t);
        }
      } finally {
        x.dispose();
      }
    }
    const out = {} as Record<ScoreVariant, Tensor2D>;
    for (const v of metric.variants) {
      const ps = parts.get(v)!;
      out[v] = ps.length === 1 ? ps[0]! : (tf.concat(ps, 0) as Tensor2D);
      if (ps.length > 1) tf.dispose(ps);
    }
    return out;
  } catch (err) {
    for (const ps of parts.values()) tf.dispose(ps);
    throw err;
  }
}

/** Row-major m×n distances → rows, with NaN where the query is the compared image. */
function rows(d: Float32Array, m: number, n: number, same: (i: number, j: number) => boolean): number[][] {
  return Array.from({ length: m }, (_, i) => Array.from({ length: n }, (_, j) => (same(i, j) ? Number.NaN : d[i * n + j]!)));
}

export class ChannelScorer {
  readonly channels: readonly ChannelExemplars[];
  readonly variants: readonly ScoreVariant[];
  readonly size: number;
  readonly crop: boolean;
  private readonly batchSize: number;
  private readonly topKeys: string[];
  /** Channel index of each top row. */
  private readonly topOwner: number[];
  private top: Record<ScoreVariant, Tensor2D> | null;
  private readonly ceilings: Array<Record<ScoreVariant, number | null>>;

  private constructor(
    readonly metric: ScoreMetric,
    channels: readonly ChannelExemplars[],
    opts: ScorerOptions,
    top: Record<ScoreVariant, Tensor2D>,
  ) {
    this.channels = channels;
    this.variants = metric.variants;
    this.size = opts.size ?? 128;
    this.crop = opts.crop ?? false;
    this.batchSize = opts.batchSize ?? 16;
    this.topKeys = channels.flatMap((c) => c.top.map((r) => refKey(r, this.crop)));
    this.topOwner = channels.flatMap((c, i) => c.top.map(() => i));
    this.top = top;
    // ceiling: mean distance over pairs i < j within each channel's top-k (rows are stored channel by channel)
    let start = 0;
    this.ceilings = channels.map((c) => {
      const len = c.top.length;
      const keys = this.topKeys.slice(start, start + len);
      const out = {} as Record<ScoreVariant, number | null>;
      for (const v of this.variants) {
        const block = tf.slice(top[v], [start, 0], [len, -1]);
        const d = squaredDistances(block, block);
        block.dispose();
        let sum = 0;
        let count = 0;
        for (let a = 0; a < len; a++) {
          for (let b = a + 1; b < len; b++) {
            if (keys[a] === keys[b]) continue;
            sum += d[a * len + b]!;
            count++;
          }
        }
        out[v] = count ? sum / count : null;
      }
      start += len;
      return out;
    });
  }

  /** Embeds every channel's top-k (once) and computes the ceilings. */
  static async create(metric: ScoreMetric, channels: readonly ChannelExemplars[], opts: ScorerOptions = {}): Promise<ChannelScorer> {
    if (channels.length === 0) throw new FeatvisError('the score needs at least one channel');
    for (const c of channels) if (c.top.length === 0) throw new FeatvisError(`channel ${c.channel} has no exemplars`);
    const size = opts.size ?? 128;
    const crop = opts.crop ?? false;
    const images: RgbImage[] = [];
    for (const c of channels) for (const r of c.top) images.push(await loadRef(r, size, crop));
    const top = embedImages(metric, images, size, opts.batchSize ?? 16);
    return new ChannelScorer(metric, channels, opts, top);
  }

  /** Ceiling of channel index `i`: mean pairwise distance within its top-k (null with fewer than 2). */
  ceiling(i: number): Record<ScoreVariant, number | null> {
    return this.ceilings[i]!;
  }

  /** Query images → distances to every channel's top-k and to each of `random`. */
  async query(queries: readonly QueryImage[], random: readonly ExemplarRef[]): Promise<QueryDistances[]> {
    const top = this.top;
    if (!top) throw new FeatvisError('ChannelScorer used after dispose()');
    if (queries.length === 0) return [];
    const qKeys = queries.map((q) => (isRef(q) ? refKey(q, this.crop) : null));
    const rKeys = random.map((r) => refKey(r, this.crop));
    const images: RgbImage[] = [];
    for (const q of queries) images.push(isRef(q) ? await loadRef(q, this.size, this.crop) : await resizeImage(q, this.size));
    for (const r of random) images.push(await loadRef(r, this.size, this.crop));
    const emb = embedImages(this.metric, images, this.size, this.batchSize);
    try {
      const m = queries.length;
      const out: QueryDistances[] = queries.map(() => ({ toTop: {} as Record<ScoreVariant, number[][]>, toRandom: {} as Record<ScoreVariant, number[]> }));
      for (const v of this.variants) {
        const [q, r] = random.length ? (tf.split(emb[v], [m, random.length], 0) as [Tensor2D, Tensor2D]) : [emb[v], null];
        try {
          const nT = this.topKeys.length;
          const dT = rows(squaredDistances(q, top[v]), m, nT, (i, j) => qKeys[i] !== null && qKeys[i] === this.topKeys[j]);
          const dR = r ? rows(squaredDistances(q, r), m, random.length, (i, j) => qKeys[i] !== null && qKeys[i] === rKeys[j]) : queries.map(() => []);
          for (let i = 0; i < m; i++) {
            out[i]!.toTop[v] = this.channels.map((_, ci) => dT[i]!.filter((_, j) => this.topOwner[j] === ci));
            out[i]!.toRandom[v] = dR[i]!;
          }
        } finally {
          if (r) tf.dispose([q, r]);
        }
      }
      return out;
    } finally {
      tf.dispose(Object.values(emb));
    }
  }

  dispose(): void {
    if (this.top) tf.dispose(Object.values(this.top));
    this.top = null;
  }
}
