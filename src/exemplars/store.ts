/**
 * ExemplarStore: top-k dataset exemplars per channel, in SQLite (better-sqlite3, WAL).
 *
 * A run is one mining job, keyed by (model, layer set, dataset, image size, k).
 * Each mined batch is committed in ONE transaction: its `done_images` (and
 * `skipped_images`) rows plus every `topk` row the batch changed. A process
 * killed at any moment (even kill -9) therefore leaves the store at the end of
 * its last committed batch, and mining the same run again resumes from there.
 *
 * topk rows hold (value, image, x, y) where x, y is the arg-max position in the
 * layer's activation map; the crop box in input pixels is derived on read
 * (see `receptiveBox`), so it can be recomputed with another `rfFactor`.
 * Tie-breaking everywhere: value descending, then image id ascending.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ImageEntry } from '../data/folder.js';
import type { SkippedImage } from '../data/stream.js';
import { channelRangeError, FeatvisError, unknownLayerError } from '../core/errors.js';
import type { HistogramData } from './histogram.js';

export type Reduce = 'mean' | 'max';
export const REDUCES: readonly Reduce[] = ['mean', 'max'];

const SCHEMA_VERSION = 1;

/** Default receptive-field box side, in units of the layer's stride (input size / map size). */
export const DEFAULT_RF_FACTOR = 4;

export interface RunKey {
  model: string;
  /** Layer names; order does not matter (the key uses the sorted set). */
  layers: readonly string[];
  /** Dataset identity (see `Dataset.key`). */
  dataset: string;
  /** Input image size [height, width]. */
  size: [number, number];
  k: number;
}

export interface LayerShape {
  layer: string;
  /** Activation map height / width at the run's image size (1 × 1 for dense layers). */
  mapH: number;
  mapW: number;
  channels: number;
}

export interface RunSpec extends RunKey {
  root: string;
  fit: string;
  rfFactor: number;
  reduce: Reduce;
  total: number;
  layerShapes: readonly LayerShape[];
}

export interface RunInfo extends RunSpec {
  id: number;
  /** Batches committed so far (over all sessions). */
  batches: number;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Exemplar {
  rank: number;
  imageId: string;
  path: string;
  value: number;
  /** Arg-max position in the activation map (column, row). */
  x: number;
  y: number;
  /** Receptive-field crop in input pixels (the image resized to the run's size). */
  box: Box;
}

/** One row of a channel's top-k list as kept by the miner. */
export interface TopKRow {
  layer: string;
  channel: number;
  reduce: Reduce;
  rank: number;
  imageId: string;
  value: number;
  x: number;
  y: number;
}

/** One channel's histogram of per-image activations (reduced by `reduce`) over the images mined so far. */
export interface HistogramRow {
  layer: string;
  channel: number;
  reduce: Reduce;
  histogram: HistogramData;
}

export interface BatchCommit {
  done: readonly ImageEntry[];
  skipped: readonly SkippedImage[];
  /** Rows to insert or replace (keyed by layer, channel, reduce, rank). */
  topk: readonly TopKRow[];
  /** Histograms to insert or replace (keyed by layer, channel, reduce); none from older callers. */
  histograms?: readonly HistogramRow[];
}

/**
 * Crop box for map position (x, y): a square-ish box centred on the position's
 * centre in input pixels, ((x + 0.5) · strideX, (y + 0.5) · strideY) with
 * stride = input size / map size, and side = rfFactor · stride (at most the
 * image). The box is shifted, not shrunk, to stay inside the image, so every
 * crop of a layer has the same size.
 *
 * rfFactor approximates the effective receptive field in strides. The
 * theoretical receptive field grows much faster than the stride (MobileNetV1's
 * conv_pw_5: stride 8, 43 px), but the effective one is concentrated in its
 * centre; 4 strides is a compromise for mid layers. Deep layers want larger
 * factors, early layers smaller: pass `rfFactor` to mining or to `topK`.
 */
export function receptiveBox(x: number, y: number, shape: LayerShape, size: [number, number], rfFactor = DEFAULT_RF_FACTOR): Box {
  const [imgH, imgW] = size;
  const sy = imgH / shape.mapH;
  const sx = imgW / shape.mapW;
  const height = Math.max(1, Math.min(imgH, Math.round(rfFactor * sy)));
  const width = Math.max(1, Math.min(imgW, Math.round(rfFactor * sx)));
  const top = Math.min(imgH - height, Math.max(0, Math.round((y + 0.5) * sy - height / 2)));
  const left = Math.min(imgW - width, Math.max(0, Math.round((x + 0.5) * sx - width / 2)));
  return { left, top, width, height };
}

interface RunRow {
  id: number;
  model: string;
  layers: string;
  dataset: string;
  image_h: number;
  image_w: number;
  k: number;
  root: string;
  fit: string;
  rf_factor: number;
  reduce: string;
  total: number;
  batches: number;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

interface LayerRow {
  layer: string;
  map_h: number;
  map_w: number;
  channels: number;
}

interface TopKDbRow {
  layer: string;
  channel: number;
  reduce: string;
  rank: number;
  image_id: string;
  value: number;
  x: number;
  y: number;
  path: string | null;
}

function layerKey(layers: readonly string[]): string {
  return JSON.stringify([...new Set(layers)].sort());
}

function asReduce(s: string): Reduce {
  if (s === 'mean' || s === 'max') return s;
  throw new FeatvisError(`reduce must be 'mean' or 'max', got '${s}'`);
}

const now = (): string => new Date().toISOString();

export interface StoreOptions {
  readonly?: boolean;
}

export class ExemplarStore {
  readonly file: string;
  private readonly db: Database.Database;

  constructor(file: string, opts: StoreOptions = {}) {
    this.file = path.resolve(file);
    if (opts.readonly) {
      if (!fs.existsSync(this.file)) throw new FeatvisError(`exemplar store not found: ${file}`);
    } else {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
    }
    try {
      this.db = new Database(this.file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
      this.db.pragma('busy_timeout = 10000');
      if (!opts.readonly) {
        this.db.pragma('journal_mode = WAL');
        // FULL: a commit survives power loss too; one fsync per batch is cheap.
        this.db.pragma('synchronous = FULL');
        this.migrate();
      }
    } catch (err) {
      if (err instanceof FeatvisError) throw err;
      throw new FeatvisError(`cannot open exemplar store ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private migrate(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS runs (
        id INTEGER PRIMARY KEY,
        model TEXT NOT NULL, layers TEXT NOT NULL, dataset TEXT NOT NULL,
        image_h INTEGER NOT NULL, image_w INTEGER NOT NULL, k INTEGER NOT NULL,
        root TEXT NOT NULL, fit TEXT NOT NULL, rf_factor REAL NOT NULL, reduce TEXT NOT NULL,
        total INTEGER NOT NULL, batches INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL, finished_at TEXT,
        UNIQUE (model, layers, dataset, image_h, image_w, k)
      );
      CREATE TABLE IF NOT EXISTS run_layers (
        run_id INTEGER NOT NULL REFERENCES runs(id), layer TEXT NOT NULL,
        map_h INTEGER NOT NULL, map_w INTEGER NOT NULL, channels INTEGER NOT NULL,
        PRIMARY KEY (run_id, layer)
      );
      CREATE TABLE IF NOT EXISTS done_images (
        run_id INTEGER NOT NULL, image_id TEXT NOT NULL, path TEXT NOT NULL, batch INTEGER NOT NULL,
        PRIMARY KEY (run_id, image_id)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS skipped_images (
        run_id INTEGER NOT NULL, image_id TEXT NOT NULL, path TEXT NOT NULL, reason TEXT NOT NULL, batch INTEGER NOT NULL,
        PRIMARY KEY (run_id, image_id)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS topk (
        run_id INTEGER NOT NULL, layer TEXT NOT NULL, channel INTEGER NOT NULL, reduce TEXT NOT NULL, rank INTEGER NOT NULL,
        image_id TEXT NOT NULL, value REAL NOT NULL, x INTEGER NOT NULL, y INTEGER NOT NULL,
        PRIMARY KEY (run_id, layer, channel, reduce, rank)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS histograms (
        run_id INTEGER NOT NULL, layer TEXT NOT NULL, channel INTEGER NOT NULL, reduce TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (run_id, layer, channel, reduce)
      ) WITHOUT ROWID;
    `);
    const v = this.db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'schema'`).get();
    if (!v) this.db.prepare(`INSERT INTO meta (key, value) VALUES ('schema', ?)`).run(String(SCHEMA_VERSION));
    else if (Number(v.value) !== SCHEMA_VERSION) {
      throw new FeatvisError(`exemplar store ${this.file} has schema ${v.value}, this featvis reads ${SCHEMA_VERSION}`);
    }
  }

  private toInfo(r: RunRow): RunInfo {
    const shapes = this.db
      .prepare<[number], LayerRow>(`SELECT layer, map_h, map_w, channels FROM run_layers WHERE run_id = ? ORDER BY layer`)
      .all(r.id)
      .map((l) => ({ layer: l.layer, mapH: l.map_h, mapW: l.map_w, channels: l.channels }));
    return {
      id: r.id,
      model: r.model,
      layers: JSON.parse(r.layers) as string[],
      dataset: r.dataset,
      size: [r.image_h, r.image_w],
      k: r.k,
      root: r.root,
      fit: r.fit,
      rfFactor: r.rf_factor,
      reduce: asReduce(r.reduce),
      total: r.total,
      layerShapes: shapes,
      batches: r.batches,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      finishedAt: r.finished_at,
    };
  }

  /** All runs, most recently updated first. */
  runs(): RunInfo[] {
    return this.db
      .prepare<[], RunRow>(`SELECT * FROM runs ORDER BY updated_at DESC, id DESC`)
      .all()
      .map((r) => this.toInfo(r));
  }

  run(id: number): RunInfo {
    const r = this.db.prepare<[number], RunRow>(`SELECT * FROM runs WHERE id = ?`).get(id);
    if (!r) throw new FeatvisError(`no run ${id} in ${this.file}`);
    return this.toInfo(r);
  }

  findRun(key: RunKey): RunInfo | null {
    const r = this.db
      .prepare<[string, string, string, number, number, number], RunRow>(
        `SELECT * FROM runs WHERE model = ? AND layers = ? AND dataset = ? AND image_h = ? AND image_w = ? AND k = ?`,
      )
      .get(key.model, layerKey(key.layers), key.dataset, key.size[0], key.size[1], key.k);
    return r ? this.toInfo(r) : null;
  }

  /**
   * Returns the run for `spec`'s key, creating it if new. An existing run must
   * agree on fit and layer shapes (else its rows would mean something else);
   * its total, default reduce and rfFactor are updated.
   */
  openRun(spec: RunSpec): RunInfo {
    return this.db.transaction((): RunInfo => {
      const old = this.findRun(spec);
      if (old) {
        if (old.fit !== spec.fit) {
          throw new FeatvisError(`run ${old.id} in ${this.file} was mined with fit '${old.fit}', not '${spec.fit}': use another store or the same fit`);
        }
        for (const s of spec.layerShapes) {
          const o = old.layerShapes.find((l) => l.layer === s.layer);
          if (!o || o.mapH !== s.mapH || o.mapW !== s.mapW || o.channels !== s.channels) {
            throw new FeatvisError(
              `run ${old.id} in ${this.file}: layer '${s.layer}' had shape ${o ? `${o.mapH}x${o.mapW}x${o.channels}` : 'none'}, ` +
                `the model now gives ${s.mapH}x${s.mapW}x${s.channels}. Is it the same model?`,
            );
          }
        }
        this.db
          .prepare(`UPDATE runs SET total = ?, reduce = ?, rf_factor = ?, root = ?, updated_at = ? WHERE id = ?`)
          .run(spec.total, spec.reduce, spec.rfFactor, spec.root, now(), old.id);
        return this.run(old.id);
      }
      const t = now();
      const res = this.db
        .prepare(
          `INSERT INTO runs (model, layers, dataset, image_h, image_w, k, root, fit, rf_factor, reduce, total, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(spec.model, layerKey(spec.layers), spec.dataset, spec.size[0], spec.size[1], spec.k, spec.root, spec.fit, spec.rfFactor, spec.reduce, spec.total, t, t);
      const id = Number(res.lastInsertRowid);
      const ins = this.db.prepare(`INSERT INTO run_layers (run_id, layer, map_h, map_w, channels) VALUES (?, ?, ?, ?, ?)`);
      for (const s of spec.layerShapes) ins.run(id, s.layer, s.mapH, s.mapW, s.channels);
      return this.run(id);
    }).immediate();
  }

  /** Ids already handled (mined or skipped) in a run. */
  processedIds(runId: number): Set<string> {
    const ids = new Set<string>();
    for (const r of this.db.prepare<[number], { image_id: string }>(`SELECT image_id FROM done_images WHERE run_id = ?`).iterate(runId)) ids.add(r.image_id);
    for (const r of this.db.prepare<[number], { image_id: string }>(`SELECT image_id FROM skipped_images WHERE run_id = ?`).iterate(runId)) ids.add(r.image_id);
    return ids;
  }

  /** The images a run mined (its dataset, without the skipped ones), sorted by id. */
  minedImages(runId: number): ImageEntry[] {
    return this.db
      .prepare<[number], { image_id: string; path: string }>(`SELECT image_id, path FROM done_images WHERE run_id = ?`)
      .all(runId)
      .map((r) => ({ id: r.image_id, path: r.path }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  doneCount(runId: number): number {
    return this.db.prepare<[number], { n: number }>(`SELECT COUNT(*) AS n FROM done_images WHERE run_id = ?`).get(runId)?.n ?? 0;
  }

  skippedImages(runId: number): SkippedImage[] {
    return this.db
      .prepare<[number], { image_id: string; path: string; reason: string }>(`SELECT image_id, path, reason FROM skipped_images WHERE run_id = ? ORDER BY image_id`)
      .all(runId)
      .map((r) => ({ id: r.image_id, path: r.path, reason: r.reason }));
  }

  /** Every top-k row of a run (for resuming). */
  topKRows(runId: number): TopKRow[] {
    return this.db
      .prepare<[number], TopKDbRow>(`SELECT layer, channel, reduce, rank, image_id, value, x, y FROM topk WHERE run_id = ? ORDER BY layer, channel, reduce, rank`)
      .all(runId)
      .map((r) => ({ layer: r.layer, channel: r.channel, reduce: asReduce(r.reduce), rank: r.rank, imageId: r.image_id, value: r.value, x: r.x, y: r.y }));
  }

  private hasHistograms(): boolean {
    return this.db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'histograms'`).get()!.n > 0;
  }

  /** Every histogram row of a run (for resuming); none in stores mined before histograms were kept. */
  histogramRows(runId: number): HistogramRow[] {
    if (!this.hasHistograms()) return [];
    return this.db
      .prepare<[number], { layer: string; channel: number; reduce: string; data: string }>(`SELECT layer, channel, reduce, data FROM histograms WHERE run_id = ? ORDER BY layer, channel, reduce`)
      .all(runId)
      .map((r) => ({ layer: r.layer, channel: r.channel, reduce: asReduce(r.reduce), histogram: JSON.parse(r.data) as HistogramData }));
  }

  /**
   * One channel's histogram of per-image activations (spatial mean or max, as
   * `reduce`; default the run's) over the images mined so far, or null where the
   * run was mined before histograms were kept. Its `n` says how many images it covers.
   */
  histogram(layer: string, channel: number, reduce?: Reduce, opts: { runId?: number } = {}): HistogramData | null {
    const run = this.runForLayer(layer, opts.runId);
    if (!this.hasHistograms()) return null;
    const r = this.db
      .prepare<[number, string, number, string], { data: string }>(`SELECT data FROM histograms WHERE run_id = ? AND layer = ? AND channel = ? AND reduce = ?`)
      .get(run.id, layer, channel, asReduce(reduce ?? run.reduce));
    return r ? (JSON.parse(r.data) as HistogramData) : null;
  }

  /** Commits one mined batch atomically. Returns the run's new batch count. */
  commitBatch(runId: number, batch: BatchCommit): number {
    const insDone = this.db.prepare(`INSERT INTO done_images (run_id, image_id, path, batch) VALUES (?, ?, ?, ?)`);
    const insSkip = this.db.prepare(`INSERT INTO skipped_images (run_id, image_id, path, reason, batch) VALUES (?, ?, ?, ?, ?)`);
    const upTop = this.db.prepare(
      `INSERT OR REPLACE INTO topk (run_id, layer, channel, reduce, rank, image_id, value, x, y) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const bump = this.db.prepare<[string, number], { batches: number }>(`UPDATE runs SET batches = batches + 1, updated_at = ? WHERE id = ? RETURNING batches`);
    const upHist = batch.histograms?.length ? this.db.prepare(`INSERT OR REPLACE INTO histograms (run_id, layer, channel, reduce, data) VALUES (?, ?, ?, ?, ?)`) : null;
    return this.db.transaction((): number => {
      const n = bump.get(now(), runId)?.batches;
      if (n === undefined) throw new FeatvisError(`no run ${runId} in ${this.file}`);
      for (const e of batch.done) insDone.run(runId, e.id, e.path, n);
      for (const s of batch.skipped) insSkip.run(runId, s.id, s.path, s.reason, n);
      for (const t of batch.topk) upTop.run(runId, t.layer, t.channel, t.reduce, t.rank, t.imageId, t.value, t.x, t.y);
      for (const h of batch.histograms ?? []) upHist!.run(runId, h.layer, h.channel, h.reduce, JSON.stringify(h.histogram));
      return n;
    }).immediate();
  }

  finishRun(runId: number): void {
    this.db.prepare(`UPDATE runs SET finished_at = ?, updated_at = ? WHERE id = ?`).run(now(), now(), runId);
  }

  /** The run `topK` reads for `layer`: the given one, else the most recently updated run that mined it. */
  runForLayer(layer: string, runId?: number): RunInfo {
    if (runId !== undefined) {
      const r = this.run(runId);
      if (!r.layers.includes(layer)) throw unknownLayerError(layer, r.layers, `run ${runId} (${r.model})`);
      return r;
    }
    const all = this.runs();
    const r = all.find((x) => x.layers.includes(layer));
    if (!r) {
      const names = [...new Set(all.flatMap((x) => x.layers))];
      if (names.length === 0) throw new FeatvisError(`exemplar store ${this.file} holds no runs yet: mine exemplars first`);
      throw unknownLayerError(layer, names, `exemplar store ${path.basename(this.file)}`);
    }
    return r;
  }

  /**
   * Top-k exemplars of one channel, best first (value desc, then image id asc).
   * `reduce` defaults to the run's (set when mining); `rfFactor` overrides the run's box size.
   */
  topK(layer: string, channel: number, reduce?: Reduce, opts: { runId?: number; rfFactor?: number } = {}): Exemplar[] {
    const run = this.runForLayer(layer, opts.runId);
    const shape = run.layerShapes.find((s) => s.layer === layer);
    if (!shape) throw new FeatvisError(`run ${run.id} has no shape for layer '${layer}'`);
    if (!Number.isInteger(channel) || channel < 0 || channel >= shape.channels) throw channelRangeError(layer, channel, shape.channels);
    const mode = reduce ?? run.reduce;
    asReduce(mode);
    const rows = this.db
      .prepare<[number, string, number, string], TopKDbRow>(
        `SELECT t.rank, t.image_id, t.value, t.x, t.y, d.path FROM topk t
         LEFT JOIN done_images d ON d.run_id = t.run_id AND d.image_id = t.image_id
         WHERE t.run_id = ? AND t.layer = ? AND t.channel = ? AND t.reduce = ? ORDER BY t.rank`,
      )
      .all(run.id, layer, channel, mode);
    const rf = opts.rfFactor ?? run.rfFactor;
    return rows.map((r) => ({
      rank: r.rank,
      imageId: r.image_id,
      path: r.path ?? path.join(run.root, ...r.image_id.split('/')),
      value: r.value,
      x: r.x,
      y: r.y,
      box: receptiveBox(r.x, r.y, shape, run.size, rf),
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
