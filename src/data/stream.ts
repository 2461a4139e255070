/**
 * Streams a list of images as decoded, resized NHWC RGB [0,1] batches with
 * bounded memory, decoding the next batch (sharp works on its own threads)
 * while the caller runs the model on the current one.
 *
 * At most two batches are alive at any time: the one the caller holds and the
 * one being decoded. A yielded batch's tensor belongs to the stream and is
 * disposed when the caller asks for the next batch (or leaves the loop), so a
 * `for await` loop cannot leak it; call `batch.release()` to free it earlier.
 *
 * Unreadable files (empty, truncated, not an image, too large) never stop the
 * stream: they come back in `batch.skipped` with a reason.
 */
import fs from 'node:fs';
import { tf, type Tensor4D } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import type { ImageEntry } from './folder.js';
import { readImageRgb8, type ResizeFit } from './image.js';

export interface SkippedImage {
  id: string;
  path: string;
  reason: string;
}

export interface ImageBatch {
  /** 0-based position of this batch in the stream. */
  index: number;
  /** The images in `images`, in order (the chunk minus skipped files). */
  entries: ImageEntry[];
  /** [entries.length, h, w, 3] in [0,1]; null when every file of the chunk was skipped. Owned by the stream. */
  images: Tensor4D | null;
  /** Files of this chunk that could not be decoded. */
  skipped: SkippedImage[];
  /** Frees `images` now (idempotent). Otherwise freed when the next batch is requested. */
  release(): void;
}

export interface StreamOptions {
  /** Output size [height, width]. */
  size: [number, number];
  batchSize: number;
  /** How images are fitted to `size` (default 'cover': scale and centre-crop). */
  fit?: ResizeFit;
  /**
   * Images handed to sharp at once within a batch (default: the whole batch, at most 64).
   * sharp decodes on libuv's thread pool (UV_THREADPOOL_SIZE, default 4 threads), so only
   * that many are decoded at a time; queueing the whole batch lets decoding continue while
   * the main thread is blocked running the model.
   */
  concurrency?: number;
  /** Files larger than this are skipped unread (default 256 MiB). */
  maxFileBytes?: number;
  /** Decode the next batch while the caller works on the current one (default true). */
  prefetch?: boolean;
}

export interface StreamStats {
  /** Batches currently alive (decoding, decoded or held by the caller). */
  liveBatches: number;
  /** Most batches alive at once so far. */
  peakLiveBatches: number;
  batches: number;
  images: number;
  skipped: number;
  /** Batches whose decoding had already finished when the caller asked for them (prefetch hits). */
  readyOnRequest: number;
}

interface Decoded {
  index: number;
  entries: ImageEntry[];
  /** 8-bit RGB of the batch; the tensor is made from it on the backend (x / 255). */
  data: Uint8Array;
  skipped: SkippedImage[];
}

function reasonOf(err: unknown, file: string): string {
  const msg = err instanceof Error ? err.message : String(err);
  const clean = msg.startsWith(`${file}: `) ? msg.slice(file.length + 2) : msg;
  return clean.split('\n')[0] ?? clean;
}

export class BatchStream implements AsyncIterable<ImageBatch> {
  readonly stats: StreamStats = { liveBatches: 0, peakLiveBatches: 0, batches: 0, images: 0, skipped: 0, readyOnRequest: 0 };
  private readonly ready = new Set<number>();
  private readonly size: [number, number];
  private readonly batchSize: number;
  private readonly fit: ResizeFit;
  private readonly concurrency: number;
  private readonly maxFileBytes: number;
  private readonly prefetch: boolean;
  private started = false;

  constructor(private readonly entries: readonly ImageEntry[], opts: StreamOptions) {
    const [h, w] = opts.size;
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1 || h > 8192 || w > 8192) {
      throw new FeatvisError(`image size must be two integers in 1..8192, got ${JSON.stringify(opts.size)}`);
    }
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new FeatvisError(`batchSize must be a positive integer, got ${opts.batchSize}`);
    this.size = [h, w];
    this.batchSize = opts.batchSize;
    this.fit = opts.fit ?? 'cover';
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? Math.min(opts.batchSize, 64)));
    this.maxFileBytes = opts.maxFileBytes ?? 256 * 2 ** 20;
    this.prefetch = opts.prefetch ?? true;
  }

  private current = -1;

  /** True once the batch after the one the caller holds is fully decoded (prefetch done). */
  get nextReady(): boolean {
    return this.ready.has(this.current + 1);
  }

  /** Number of batches (chunks of `batchSize` files) the stream yields. */
  get length(): number {
    return Math.ceil(this.entries.length / this.batchSize);
  }

  private async decodeOne(e: ImageEntry, buf: Uint8Array, slot: number): Promise<string | null> {
    try {
      const st = fs.statSync(e.path);
      if (!st.isFile()) return 'not a regular file';
      if (st.size === 0) return 'empty file (0 bytes)';
      if (st.size > this.maxFileBytes) return `file too large (${st.size} bytes > ${this.maxFileBytes})`;
      const img = await readImageRgb8(e.path, this.size, this.fit);
      const n = this.size[0] * this.size[1] * 3;
      if (img.data.length !== n) return `decoded to ${img.width}x${img.height}, expected ${this.size[1]}x${this.size[0]}`;
      buf.set(img.data, slot * n);
      return null;
    } catch (err) {
      return reasonOf(err, e.path);
    }
  }

  private async decodeChunk(index: number): Promise<Decoded> {
    const chunk = this.entries.slice(index * this.batchSize, (index + 1) * this.batchSize);
    const n = this.size[0] * this.size[1] * 3;
    const buf = new Uint8Array(chunk.length * n);
    const reasons: Array<string | null> = new Array<string | null>(chunk.length).fill(null);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunk.length) {
        const i = next++;
        reasons[i] = await this.decodeOne(chunk[i]!, buf, i);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, chunk.length) }, worker));
    const good: ImageEntry[] = [];
    const skipped: SkippedImage[] = [];
    let w = 0;
    chunk.forEach((e, i) => {
      const r = reasons[i];
      if (r !== null && r !== undefined) {
        skipped.push({ id: e.id, path: e.path, reason: r });
        return;
      }
      if (w !== i) buf.copyWithin(w * n, i * n, (i + 1) * n);
      good.push(e);
      w++;
    });
    return { index, entries: good, data: w === chunk.length ? buf : buf.subarray(0, w * n), skipped };
  }

  private startDecode(index: number): Promise<Decoded> | null {
    if (index >= this.length) return null;
    this.stats.liveBatches++;
    this.stats.peakLiveBatches = Math.max(this.stats.peakLiveBatches, this.stats.liveBatches);
    return this.decodeChunk(index).then((d) => {
      this.ready.add(index);
      return d;
    });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ImageBatch, void, undefined> {
    if (this.started) throw new FeatvisError('a BatchStream can be iterated only once');
    this.started = true;
    const [h, w] = this.size;
    let pending = this.startDecode(0);
    let current: ImageBatch | null = null;
    try {
      for (let i = 0; pending; i++) {
        if (this.ready.delete(i)) this.stats.readyOnRequest++;
        const d = await pending;
        this.ready.delete(i);
        pending = null;
        const images = d.entries.length > 0 ? toUnitBatch(d.data, [d.entries.length, h, w, 3]) : null;
        let released = false;
        const batch: ImageBatch = {
          index: d.index,
          entries: d.entries,
          images,
          skipped: d.skipped,
          release: () => {
            if (released) return;
            released = true;
            images?.dispose();
            this.stats.liveBatches--;
          },
        };
        current = batch;
        this.current = i;
        this.stats.batches++;
        this.stats.images += d.entries.length;
        this.stats.skipped += d.skipped.length;
        if (this.prefetch) pending = this.startDecode(i + 1);
        yield batch;
        batch.release();
        current = null;
        if (!this.prefetch) pending = this.startDecode(i + 1);
      }
    } finally {
      current?.release();
      if (pending) {
        // Left the loop early: let the in-flight decode finish, then drop it.
        await pending.catch(() => undefined);
        this.stats.liveBatches--;
      }
    }
  }
}

/**
 * 8-bit batch → float32 tensor in [0,1]: the bytes widen to float32 natively
 * (TypedArray.set) and the division by 255 runs on the backend, in float32:
 * the same numbers as readImage's x / 255 (checked for all 256 values in
 * test/stream.test.ts), without a per-pixel loop on the thread that drives
 * TensorFlow.
 */
function toUnitBatch(data: Uint8Array, shape: [number, number, number, number]): Tensor4D {
  const f = new Float32Array(data.length);
  f.set(data);
  return tf.tidy(() => tf.div(tf.tensor4d(f, shape), 255));
}

/** `for await (const b of streamBatches(entries, { size, batchSize })) …` */
export function streamBatches(entries: readonly ImageEntry[], opts: StreamOptions): BatchStream {
  return new BatchStream(entries, opts);
}
