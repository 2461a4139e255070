/**
 * Regularisation sweeps: for every knob × strength × seed, AM images for all
 * channels (one batch), each scored against the channel's top-k exemplars.
 * Every finished cell is written to `<out>/sweep.sqlite` in one transaction
 * (its PNG first, atomically), so an interrupted sweep resumes with nothing
 * redone and nothing lost; exemplar mining resumes the same way.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { savePng } from '../data/image.js';
import { listImages, resolveImageSource } from '../data/folder.js';
import { mineExemplars, type MineProgress } from '../exemplars/mine.js';
import { ExemplarStore } from '../exemplars/store.js';
import { amDistances, channelControls, type ExemplarRef } from '../metrics/interpretability.js';
import { FeatvisError } from '../core/errors.js';
import { runKey } from '../core/runKey.js';
import { loadModel } from '../models/load.js';
import type { FeatModel } from '../core/types.js';
import { modelIdentity } from '../models/fingerprint.js';
import { renderChannels } from '../optvis/renderChannels.js';
import { Rng } from '../optvis/rng.js';
import { channelSeed } from '../optvis/settings.js';
import { cellRenderSettings, type SweepConfig, type SweepKnob } from './config.js';
import { createMetric } from './metricFactory.js';

export interface CellRow {
  knob: SweepKnob;
  strength: number;
  channel: number;
  seed: number;
  activation: number;
  score: number;
  distances: number[];
  image: string;
  millis: number;
}

export interface ControlRow {
  channel: number;
  floor: number | null;
  ceiling: number | null;
  exemplars: ExemplarRef[];
}

export interface SweepProgress {
  phase: 'mining' | 'controls' | 'cells';
  done: number;
  total: number;
  mining?: MineProgress;
  cell?: CellRow;
}

export interface SweepOptions {
  outDir: string;
  onProgress?: (p: SweepProgress) => void;
  signal?: AbortSignal;
  /** Stop after this many new cells (tests use it to simulate an interruption). */
  maxNewCells?: number;
  /** Use this already-loaded model instead of loading `config.model`. */
  model?: FeatModel;
}

/** Run key of a sweep: its whole configuration (the model's weights are checked separately). */
export function sweepRunKey(cfg: SweepConfig): string {
  return runKey(cfg);
}

/** The sweep's persistent store (SQLite, WAL, one transaction per finished batch). */
export class SweepStore {
  readonly db: Database.Database;

  constructor(file: string, readonly = false) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file, readonly ? { readonly: true, fileMustExist: true } : {});
    if (readonly) return;
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS controls (channel INTEGER PRIMARY KEY, floor REAL, ceiling REAL, exemplars TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS cells (
        knob TEXT NOT NULL, strength REAL NOT NULL, channel INTEGER NOT NULL, seed INTEGER NOT NULL,
        activation REAL NOT NULL, score REAL NOT NULL, distances TEXT NOT NULL, image TEXT NOT NULL, millis INTEGER NOT NULL,
        PRIMARY KEY (knob, strength, channel, seed));
    `);
  }

  meta(key: string): string | null {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  controls(): Map<number, ControlRow> {
    const rows = this.db.prepare('SELECT channel, floor, ceiling, exemplars FROM controls').all() as Array<{ channel: number; floor: number | null; ceiling: number | null; exemplars: string }>;
    return new Map(rows.map((r) => [r.channel, { channel: r.channel, floor: r.floor, ceiling: r.ceiling, exemplars: JSON.parse(r.exemplars) as ExemplarRef[] }]));
  }

  putControls(c: ControlRow): void {
    this.db.prepare('INSERT OR REPLACE INTO controls (channel, floor, ceiling, exemplars) VALUES (?, ?, ?, ?)').run(c.channel, c.floor, c.ceiling, JSON.stringify(c.exemplars));
  }

  cells(): CellRow[] {
    const rows = this.db.prepare('SELECT * FROM cells ORDER BY knob, strength, channel, seed').all() as Array<Omit<CellRow, 'distances'> & { distances: string }>;
    return rows.map((r) => ({ ...r, distances: JSON.parse(r.distances) as number[] }));
  }

  hasCell(knob: string, strength: number, channel: number, seed: number): boolean {
    return !!this.db.prepare('SELECT 1 FROM cells WHERE knob = ? AND strength = ? AND channel = ? AND seed = ?').get(knob, strength, channel, seed);
  }

  putCells(rows: readonly CellRow[]): void {
    const ins = this.db.prepare(
      'INSERT INTO cells (knob, strength, channel, seed, activation, score, distances, image, millis) VALUES (@knob, @strength, @channel, @seed, @activation, @score, @distances, @image, @millis)',
    );
    this.db.transaction((rs: readonly CellRow[]) => {
      for (const r of rs) ins.run({ ...r, distances: JSON.stringify(r.distances) });
    })(rows);
  }

  close(): void {
    this.db.close();
  }
}

/** Evenly spaced subset of a sorted folder listing (so a limit samples every class). */
export function sampleFolder(root: string, limit?: number): string[] {
  const all = listImages(root).map((e) => e.path);
  if (!limit || limit >= all.length) return all;
  return Array.from({ length: limit }, (_, i) => all[Math.floor((i * all.length) / limit)]!);
}

export function cellImageName(knob: string, strength: number, seed: number, channel: number): string {
  return `images/${knob}_${strength}_s${seed}_c${channel}.png`;
}

export interface SweepResult {
  cells: CellRow[];
  controls: Map<number, ControlRow>;
  newCells: number;
  complete: boolean;
  metric: string;
}

export async function runSweep(cfg: SweepConfig, opts: SweepOptions): Promise<SweepResult> {
  const out = opts.outDir;
  fs.mkdirSync(out, { recursive: true });
  const store = new SweepStore(path.join(out, 'sweep.sqlite'));
  const hash = sweepRunKey(cfg);
  const prev = store.meta('runKey');
  if (prev && prev !== hash) {
    store.close();
    throw new FeatvisError(`${out} holds a sweep with another configuration: use another output folder or delete it`);
  }
  store.setMeta('runKey', hash);
  store.setMeta('config', JSON.stringify(cfg));
  const model = opts.model ?? (await loadModel(cfg.model));
  const metric = await createMetric(cfg.metric);
  store.setMeta('metric', metric.describe());
  store.setMeta('metricLabel', metric.label);
  const weights = modelIdentity(model);
  const prevWeights = store.meta('modelIdentity');
  if (prevWeights && prevWeights !== weights) {
    store.close();
    throw new FeatvisError(`${out} holds a sweep run with other weights (${prevWeights}, now ${weights}): use another output folder or delete it`);
  }
  store.setMeta('modelIdentity', weights);
  store.setMeta('model', model.name);
  try {
    // 1. exemplars (resumable mining)
    const files = sampleFolder(cfg.exemplars.images, cfg.exemplars.limit);
    if (files.length === 0) throw new FeatvisError(`no images found in ${cfg.exemplars.images}`);
    const exFile = path.join(out, 'exemplars.sqlite');
    const exSize = cfg.exemplars.size ? ([cfg.exemplars.size, cfg.exemplars.size] as [number, number]) : model.preprocess.size;
    await mineExemplars({
      model,
      layers: [cfg.layer],
      images: { root: cfg.exemplars.images, files },
      k: cfg.exemplars.k,
      batchSize: cfg.exemplars.batchSize,
      store: exFile,
      size: exSize,
      reduce: cfg.exemplars.reduce,
      onProgress: (m) => opts.onProgress?.({ phase: 'mining', done: m.done, total: m.total, mining: m }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    // 2. controls per channel (floor, ceiling), computed once
    const exStore = new ExemplarStore(exFile, { readonly: true });
    const controls = store.controls();
    const dataset = resolveImageSource({ root: cfg.exemplars.images, files }).entries.map((e) => e.path);
    try {
      let i = 0;
      for (const ch of cfg.channels) {
        opts.onProgress?.({ phase: 'controls', done: i++, total: cfg.channels.length });
        if (controls.has(ch)) continue;
        const top = exStore.topK(cfg.layer, ch, cfg.exemplars.reduce);
        const exemplars: ExemplarRef[] = top.map((t) => ({ path: t.path, box: t.box, inputSize: exSize }));
        const chosen = new Set(exemplars.map((e) => e.path));
        const rng = new Rng(channelSeed(7919, ch));
        const pool = dataset.filter((p) => !chosen.has(p));
        const random: string[] = [];
        while (random.length < Math.min(cfg.floorImages, pool.length)) {
          const p = pool[rng.int(0, pool.length - 1)]!;
          if (!random.includes(p)) random.push(p);
        }
        const c = await channelControls(metric, exemplars, random, cfg.metricSize);
        const row = { channel: ch, ...c, exemplars };
        store.putControls(row);
        controls.set(ch, row);
      }
    } finally {
      exStore.close();
    }
    // 3. cells
    const knobs = Object.entries(cfg.sweep) as Array<[SweepKnob, number[]]>;
    const total = knobs.reduce((s, [, v]) => s + v.length, 0) * cfg.seeds.length * cfg.channels.length;
    let done = store.cells().length;
    let newCells = 0;
    opts.onProgress?.({ phase: 'cells', done, total });
    for (const [knob, strengths] of knobs) {
      for (const strength of strengths) {
        for (const seed of cfg.seeds) {
          if (opts.signal?.aborted || (opts.maxNewCells !== undefined && newCells >= opts.maxNewCells)) {
            return { cells: store.cells(), controls, newCells, complete: false, metric: metric.label };
          }
          let todo = cfg.channels.filter((ch) => !store.hasCell(knob, strength, ch, seed));
          if (opts.maxNewCells !== undefined) todo = todo.slice(0, opts.maxNewCells - newCells);
          if (todo.length === 0) continue;
          const { regularizers, transforms } = cellRenderSettings(cfg, knob, strength);
          const r = await renderChannels(model, { ...cfg, channels: todo, regularizers, transforms, seed }, opts.signal ? { signal: opts.signal } : {});
          const ms = Math.round(r.millis / todo.length);
          const rows: CellRow[] = [];
          for (let j = 0; j < todo.length; j++) {
            const ch = todo[j]!;
            const image = cellImageName(knob, strength, seed, ch);
            await savePng(path.join(out, image), r.images[j]!);
            const { distances, score } = await amDistances(metric, r.images[j]!, controls.get(ch)!.exemplars, cfg.metricSize);
            rows.push({ knob, strength, channel: ch, seed, activation: r.activations[j]!, score, distances, image, millis: ms });
          }
          store.putCells(rows);
          newCells += rows.length;
          done += rows.length;
          for (const row of rows) opts.onProgress?.({ phase: 'cells', done, total, cell: row });
        }
      }
    }
    store.setMeta('finished', new Date().toISOString());
    return { cells: store.cells(), controls, newCells, complete: true, metric: metric.label };
  } finally {
    metric.dispose();
    if (!opts.model) model.dispose();
    store.close();
  }
}
