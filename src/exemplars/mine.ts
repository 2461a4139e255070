/**
 * Dataset exemplar mining ("top-9 images per channel"), in ONE pass over a
 * dataset for every channel of every requested layer.
 *
 * Per batch, on the backend inside tf.tidy, each layer's activations [N,H,W,C]
 * are reduced to three [N,C] tensors: spatial mean, spatial max and the
 * arg-max position; only those reach the host. The host keeps, per layer,
 * channel and reduce mode, the k best images (value desc, then image id asc,
 * so the result does not depend on batch order or size), and every batch is
 * committed to the ExemplarStore in one transaction: killing the process at
 * any moment loses at most the batch in flight, and mining again resumes.
 *
 * The same pass keeps, per layer, channel and reduce mode, a bounded histogram
 * of the per-image values over the whole dataset (histogram.ts: 64 bins whose
 * width adapts, exact counts), committed in the same transaction as the batch.
 */
import { tf, type Tensor4D } from '../backend/tf.js';
import { resolveImageSource, type ImageSource, type SkippedEntry } from '../data/folder.js';
import type { ResizeFit } from '../data/image.js';
import { BatchStream, type SkippedImage } from '../data/stream.js';
import { FeatvisError, unknownLayerError } from '../core/errors.js';
import type { FeatModel } from '../core/types.js';
import { modelIdentity } from '../models/fingerprint.js';
import { StreamHistogram } from './histogram.js';
import { DEFAULT_RF_FACTOR, ExemplarStore, REDUCES, type HistogramRow, type LayerShape, type Reduce, type TopKRow } from './store.js';

export interface MineProgress {
  /** Images handled (mined or skipped) in this run, all sessions together. */
  done: number;
  total: number;
  /** Images handled in this call. */
  doneThisCall: number;
  skipped: number;
  /** Batches committed in this call. */
  batches: number;
  elapsedSeconds: number;
  /** Images per second in this call. */
  imagesPerSecond: number;
}

export interface MineOptions {
  model: FeatModel;
  layers: readonly string[];
  images: ImageSource;
  /** Exemplars kept per channel and reduce mode (default 9). */
  k?: number;
  /** Default 32. */
  batchSize?: number;
  /** A store, or a path to an SQLite file (opened and closed by the call). */
  store: ExemplarStore | string;
  /** Input size [h, w] (default: the model's). Fully convolutional layers accept others. */
  size?: [number, number];
  /** How images are fitted to `size` (default 'cover'). */
  fit?: ResizeFit;
  /** The reduce mode `store.topK` returns by default. Both are always stored. */
  reduce?: Reduce;
  /** Crop box side in layer strides (see `receptiveBox`). Default 4. */
  rfFactor?: number;
  /**
   * Called after each committed batch. If it returns a promise, mining waits
   * for it (back-pressure for UIs; tests use it to slow mining down).
   */
  onProgress?: (p: MineProgress) => void | Promise<void>;
  /** Stops after the batch in flight is committed; the run can be resumed later. */
  signal?: AbortSignal;
}

export interface MineResult {
  runId: number;
  storeFile: string;
  total: number;
  /** Handled before this call (resumed run). */
  alreadyDone: number;
  /** Images mined in this call. */
  mined: number;
  /** Every image of the run skipped so far, with reasons. */
  skipped: SkippedImage[];
  /** Folder entries the dataset walk did not use (FIFOs, broken links, cycles, depth limit…), with reasons. */
  folderSkipped: SkippedEntry[];
  /** All images handled; false if stopped by `signal`. */
  complete: boolean;
  seconds: number;
  imagesPerSecond: number;
}

/** Top-k lists for one (layer, reduce), flat per channel: slot c·k + r. */
class TopK {
  readonly values: Float64Array;
  readonly ids: string[];
  readonly xs: Int32Array;
  readonly ys: Int32Array;
  readonly counts: Int32Array;
  /** Lowest rank changed since the last flush, per channel (k = clean). */
  readonly dirtyFrom: Int32Array;

  constructor(readonly layer: string, readonly reduce: Reduce, readonly channels: number, readonly k: number) {
    this.values = new Float64Array(channels * k);
    this.ids = new Array<string>(channels * k).fill('');
    this.xs = new Int32Array(channels * k);
    this.ys = new Int32Array(channels * k);
    this.counts = new Int32Array(channels);
    this.dirtyFrom = new Int32Array(channels).fill(k);
  }

  /** Inserts a candidate if it ranks in the top k (value desc, id asc). NaN never ranks. */
  offer(c: number, value: number, id: string, x: number, y: number): void {
    if (Number.isNaN(value)) return;
    const k = this.k;
    const base = c * k;
    let n = this.counts[c]!;
    if (n === k) {
      const lv = this.values[base + k - 1]!;
      if (value < lv || (value === lv && id >= this.ids[base + k - 1]!)) return;
      n = k - 1; // drop the last
    }
    let r = n;
    while (r > 0) {
      const pv = this.values[base + r - 1]!;
      if (pv > value || (pv === value && this.ids[base + r - 1]! < id)) break;
      this.values[base + r] = pv;
      this.ids[base + r] = this.ids[base + r - 1]!;
      this.xs[base + r] = this.xs[base + r - 1]!;
      this.ys[base + r] = this.ys[base + r - 1]!;
      r--;
    }
    this.values[base + r] = value;
    this.ids[base + r] = id;
    this.xs[base + r] = x;
    this.ys[base + r] = y;
    this.counts[c] = n + 1;
    if (r < this.dirtyFrom[c]!) this.dirtyFrom[c] = r;
  }

  /** Loads a stored row (resume). */
  set(row: TopKRow): void {
    if (row.channel < 0 || row.channel >= this.channels || row.rank < 0 || row.rank >= this.k) return;
    const i = row.channel * this.k + row.rank;
    this.values[i] = row.value;
    this.ids[i] = row.imageId;
    this.xs[i] = row.x;
    this.ys[i] = row.y;
    this.counts[row.channel] = Math.max(this.counts[row.channel]!, row.rank + 1);
  }

  /** Rows changed since the last call, then marks everything clean. */
  flush(out: TopKRow[]): void {
    const k = this.k;
    for (let c = 0; c < this.channels; c++) {
      const from = this.dirtyFrom[c]!;
      if (from >= k) continue;
      for (let r = from; r < this.counts[c]!; r++) {
        const i = c * k + r;
        out.push({ layer: this.layer, channel: c, reduce: this.reduce, rank: r, imageId: this.ids[i]!, value: this.values[i]!, x: this.xs[i]!, y: this.ys[i]! });
      }
      this.dirtyFrom[c] = k;
    }
  }
}

/** Runs the model on one zero image to learn each layer's map size at `size`. */
function probeShapes(model: FeatModel, layers: readonly string[], size: [number, number]): LayerShape[] {
  const shapes = tf.tidy(() => {
    const acts = model.activations(tf.zeros([1, size[0], size[1], 3]), layers);
    return layers.map((l) => {
      const t = acts[l];
      if (!t) throw new FeatvisError(`model '${model.name}' returned no activations for layer '${l}'`);
      return t.shape;
    });
  });
  return layers.map((layer, i) => {
    const s = shapes[i]!;
    if (s.length === 4) return { layer, mapH: s[1]!, mapW: s[2]!, channels: s[3]! };
    if (s.length === 2) return { layer, mapH: 1, mapW: 1, channels: s[1]! };
    throw new FeatvisError(`layer '${layer}' has output shape [${s.join(', ')}]; exemplar mining needs [N,H,W,C] or [N,C]`);
  });
}

/**
 * Per-layer [N,C] mean, max and arg-max (flat index y·W + x) of a batch's activations,
 * computed on the backend; returns host copies, frees every tensor.
 */
async function reduceBatch(model: FeatModel, images: Tensor4D, shapes: readonly LayerShape[]): Promise<Array<{ mean: Float32Array; max: Float32Array; arg: Int32Array }>> {
  const outs = tf.tidy(() => {
    const acts = model.activations(images, shapes.map((s) => s.layer));
    return shapes.flatMap((s) => {
      const a = acts[s.layer]!;
      const n = a.shape[0]!;
      const flat = a.reshape([n, s.mapH * s.mapW, s.channels]);
      return [flat.mean(1), flat.max(1), flat.argMax(1)];
    });
  });
  try {
    const host = await Promise.all(outs.map((t) => t.data()));
    return shapes.map((_, i) => ({
      mean: host[3 * i] as Float32Array,
      max: host[3 * i + 1] as Float32Array,
      arg: host[3 * i + 2] as Int32Array,
    }));
  } finally {
    tf.dispose(outs);
  }
}

export async function mineExemplars(opts: MineOptions): Promise<MineResult> {
  const { model } = opts;
  const k = opts.k ?? 9;
  const batchSize = opts.batchSize ?? 32;
  const reduce = opts.reduce ?? 'mean';
  const rfFactor = opts.rfFactor ?? DEFAULT_RF_FACTOR;
  const fit = opts.fit ?? 'cover';
  const size = opts.size ?? model.preprocess.size;
  if (!Number.isInteger(k) || k < 1 || k > 10_000) throw new FeatvisError(`k must be an integer in 1..10000, got ${k}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new FeatvisError(`batchSize must be a positive integer, got ${batchSize}`);
  if (!REDUCES.includes(reduce)) throw new FeatvisError(`reduce must be 'mean' or 'max', got '${String(reduce)}'`);
  if (!(rfFactor > 0)) throw new FeatvisError(`rfFactor must be > 0, got ${rfFactor}`);
  const layers = [...new Set(opts.layers)];
  if (layers.length === 0) throw new FeatvisError('mineExemplars needs at least one layer');
  const known = model.layers.map((l) => l.name);
  for (const l of layers) if (!known.includes(l)) throw unknownLayerError(l, known, model.name);

  const dataset = resolveImageSource(opts.images);
  if (dataset.entries.length === 0) {
    const first = dataset.skipped[0];
    const why = first ? ` (${dataset.skipped.length} entries skipped, e.g. ${first.id}: ${first.reason})` : '';
    throw new FeatvisError(`no images (jpg, jpeg, png, bmp, webp) found in ${dataset.root}${why}`);
  }
  const shapes = probeShapes(model, layers, size);

  const ownStore = typeof opts.store === 'string';
  const store = typeof opts.store === 'string' ? new ExemplarStore(opts.store) : opts.store;
  try {
    const run = store.openRun({
      model: modelIdentity(model),
      layers,
      dataset: dataset.key,
      size,
      k,
      root: dataset.root,
      fit,
      rfFactor,
      reduce,
      total: dataset.entries.length,
      layerShapes: shapes,
    });
    const tops = shapes.map((s) => REDUCES.map((r) => new TopK(s.layer, r, s.channels, k)));
    for (const row of store.topKRows(run.id)) {
      const li = shapes.findIndex((s) => s.layer === row.layer);
      if (li >= 0) tops[li]![REDUCES.indexOf(row.reduce)]!.set(row);
    }
    const hists = shapes.map((s) => REDUCES.map(() => Array.from({ length: s.channels }, () => new StreamHistogram())));
    for (const row of store.histogramRows(run.id)) {
      const li = shapes.findIndex((s) => s.layer === row.layer);
      if (li >= 0 && row.channel >= 0 && row.channel < shapes[li]!.channels) hists[li]![REDUCES.indexOf(row.reduce)]![row.channel] = StreamHistogram.from(row.histogram);
    }
    const processed = store.processedIds(run.id);
    const todo = dataset.entries.filter((e) => !processed.has(e.id));
    const alreadyDone = dataset.entries.length - todo.length;
    let skippedCount = store.skippedImages(run.id).length;

    const t0 = performance.now();
    let doneThisCall = 0;
    let mined = 0;
    let batches = 0;
    let complete = true;
    const stream = new BatchStream(todo, { size, batchSize, fit });
    for await (const b of stream) {
      const hadImages = b.images !== null;
      if (b.images) {
        const red = await reduceBatch(model, b.images, shapes);
        b.release();
        shapes.forEach((s, li) => {
          const { mean, max, arg } = red[li]!;
          const [tMean, tMax] = tops[li] as [TopK, TopK];
          const [hMean, hMax] = hists[li] as [StreamHistogram[], StreamHistogram[]];
          const C = s.channels;
          b.entries.forEach((e, n) => {
            for (let c = 0; c < C; c++) {
              const j = n * C + c;
              const a = arg[j]!;
              const x = a % s.mapW;
              const y = (a - x) / s.mapW;
              tMean.offer(c, mean[j]!, e.id, x, y);
              tMax.offer(c, max[j]!, e.id, x, y);
              hMean[c]!.add(mean[j]!);
              hMax[c]!.add(max[j]!);
            }
          });
        });
      }
      const rows: TopKRow[] = [];
      for (const pair of tops) for (const t of pair) t.flush(rows);
      const histograms: HistogramRow[] = hadImages
        ? shapes.flatMap((s, li) => REDUCES.flatMap((reduce, ri) => hists[li]![ri]!.map((h, channel) => ({ layer: s.layer, channel, reduce, histogram: h.toJSON() }))))
        : [];
      store.commitBatch(run.id, { done: b.entries, skipped: b.skipped, topk: rows, histograms });
      batches++;
      mined += b.entries.length;
      doneThisCall += b.entries.length + b.skipped.length;
      skippedCount += b.skipped.length;
      const elapsed = (performance.now() - t0) / 1000;
      await opts.onProgress?.({
        done: alreadyDone + doneThisCall,
        total: dataset.entries.length,
        doneThisCall,
        skipped: skippedCount,
        batches,
        elapsedSeconds: elapsed,
        imagesPerSecond: elapsed > 0 ? doneThisCall / elapsed : 0,
      });
      if (opts.signal?.aborted && doneThisCall < todo.length) {
        complete = false;
        break;
      }
    }
    if (complete) store.finishRun(run.id);
    const seconds = (performance.now() - t0) / 1000;
    return {
      runId: run.id,
      storeFile: store.file,
      total: dataset.entries.length,
      alreadyDone,
      mined,
      skipped: store.skippedImages(run.id),
      folderSkipped: dataset.skipped,
      complete,
      seconds,
      imagesPerSecond: seconds > 0 ? doneThisCall / seconds : 0,
    };
  } finally {
    if (ownStore) store.close();
  }
}
