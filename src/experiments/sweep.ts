/**
 * Regularisation sweeps: the baseline (nothing swept) once per (channel, seed),
 * then for every knob × strength × seed the AM images of all channels (one
 * batch, renderChannels), each scored against every channel's top-k (score and
 * identification) and against the random images of its (channel, seed) (chance).
 * The controls — ceiling per channel; held-out exemplars (positive control) and
 * random images (negative control) per (channel, seed) — are computed once.
 * Every finished batch is written to `<out>/sweep.sqlite` in one transaction (its
 * PNGs first, atomically), so an interrupted sweep resumes with nothing redone
 * and nothing lost; exemplar mining resumes the same way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { savePng, removeStaleTemps } from '../data/image.js';
import { resolveImageSource } from '../data/folder.js';
import { sampleFolder } from '../data/sample.js';
import { channelSets, randomRefs, type ChannelSets } from '../exemplars/channelSets.js';
import { mineExemplars, type MineProgress } from '../exemplars/mine.js';
import { ExemplarStore } from '../exemplars/store.js';
import { FeatvisError } from '../core/errors.js';
import { runKey } from '../core/runKey.js';
import { loadModel } from '../models/load.js';
import type { FeatModel } from '../core/types.js';
import { modelIdentity } from '../models/fingerprint.js';
import { queryScore, type QueryKind, type QueryScore } from '../metrics/interpretability.js';
import { ChannelScorer, type ExemplarRef, type QueryImage } from '../metrics/scorer.js';
import { renderChannels } from '../optvis/renderChannels.js';
import { BASELINE_KNOB, baselineRenderSettings, cellRenderSettings, isBaselineCell, type SweepConfig, type SweepKnob } from './config.js';
import { resolveMetric } from './metricFactory.js';
import { SweepStore, type CellRow, type ChannelRow, type ControlRow, type VariantScores } from './sweepStore.js';

export { SweepStore, type CellRow, type ChannelRow, type ControlRow } from './sweepStore.js';

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

/** Run key of a sweep: its whole configuration (the model's weights and the resolved metric are checked separately). */
export function sweepRunKey(cfg: SweepConfig): string {
  return runKey(cfg);
}

export function cellImageName(knob: string, strength: number, seed: number, channel: number): string {
  return `images/${knob}_${strength}_s${seed}_c${channel}.png`;
}

export interface SweepResult {
  cells: CellRow[];
  channels: Map<number, ChannelRow>;
  controls: ControlRow[];
  newCells: number;
  complete: boolean;
  metric: string;
}

/** The images a sweep mines exemplars from (its folder, evenly sampled down to `limit`). */
export function sweepImages(cfg: SweepConfig): { root: string; files: string[] } {
  const files = sampleFolder(cfg.exemplars.images, cfg.exemplars.limit);
  if (files.length === 0) throw new FeatvisError(`no images found in ${cfg.exemplars.images}`);
  return { root: cfg.exemplars.images, files };
}

/** The random images of (channel, seed) in a sweep: the shared draw (randomRefs) over the mined images. */
export function sweepRandomImages(sets: ChannelSets, channel: number, seed: number, cfg: Pick<SweepConfig, 'randomImages'>): ExemplarRef[] {
  const set = sets.sets.find((s) => s.channel === channel);
  if (!set) throw new FeatvisError(`channel ${channel} is not in this sweep`);
  return randomRefs(sets, set, seed, cfg.randomImages);
}

function queryScores(scorer: ChannelScorer, owner: number, channel: number, seed: number, kind: QueryKind, d: Awaited<ReturnType<ChannelScorer['query']>>[number]): VariantScores<QueryScore> {
  const out: VariantScores<QueryScore> = {};
  for (const v of scorer.variants) out[v] = queryScore(kind, owner, channel, seed, d, v, scorer.ceiling(owner)[v]);
  return out;
}

export async function runSweep(cfg: SweepConfig, opts: SweepOptions): Promise<SweepResult> {
  const out = opts.outDir;
  fs.mkdirSync(out, { recursive: true });
  removeStaleTemps(out); // what a killed run was writing
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
  let resolved;
  try {
    resolved = await resolveMetric(cfg.metric);
  } catch (err) {
    if (!opts.model) model.dispose();
    store.close();
    throw err;
  }
  const metric = resolved.metric;
  const metricKey = JSON.stringify(resolved.config);
  const weights = modelIdentity(model);
  const mismatch =
    (store.meta('metricConfig') ?? metricKey) !== metricKey
      ? `was scored with ${store.meta('metricLabel')}, now ${metric.label}`
      : (store.meta('modelIdentity') ?? weights) !== weights
        ? `was run with other weights (${store.meta('modelIdentity')}, now ${weights})`
        : null;
  if (mismatch) {
    metric.dispose();
    if (!opts.model) model.dispose();
    store.close();
    throw new FeatvisError(`${out} holds a sweep that ${mismatch}: use another output folder or delete it`);
  }
  store.setMeta('metric', metric.describe());
  store.setMeta('metricLabel', metric.label);
  store.setMeta('metricConfig', metricKey);
  store.setMeta('metricWhy', resolved.why);
  store.setMeta('variants', JSON.stringify(metric.variants));
  store.setMeta('modelIdentity', weights);
  store.setMeta('model', model.name);
  let scorer: ChannelScorer | null = null;
  try {
    // 1. exemplars: top-(k + held-out), resumable
    const { root, files } = sweepImages(cfg);
    const exFile = path.join(out, 'exemplars.sqlite');
    const exSize = cfg.exemplars.size ? ([cfg.exemplars.size, cfg.exemplars.size] as [number, number]) : model.preprocess.size;
    const mined = await mineExemplars({
      model,
      layers: [cfg.layer],
      images: { root, files },
      k: cfg.exemplars.k + cfg.exemplars.heldOut,
      batchSize: cfg.exemplars.batchSize,
      store: exFile,
      size: exSize,
      reduce: cfg.exemplars.reduce,
      onProgress: (m) => opts.onProgress?.({ phase: 'mining', done: m.done, total: m.total, mining: m }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (!mined.complete) return { cells: store.cells(), channels: store.channels(), controls: store.controls(), newCells: 0, complete: false, metric: metric.label };
    store.setMeta('images', String(resolveImageSource({ root, files }).entries.length));
    // 2. channels (exemplars, ceilings) and controls per (channel, seed)
    const exStore = new ExemplarStore(exFile, { readonly: true });
    let sets: ChannelSets;
    try {
      sets = channelSets(exStore, cfg.layer, cfg.channels, { k: cfg.exemplars.k, heldOut: cfg.exemplars.heldOut, runId: mined.runId, reduce: cfg.exemplars.reduce });
    } finally {
      exStore.close();
    }
    scorer = await ChannelScorer.create(metric, sets.sets, { size: cfg.metricSize });
    const sc = scorer;
    if (store.channels().size !== cfg.channels.length) {
      store.putChannels(sets.sets.map((s, i) => ({ channel: s.channel, top: [...s.top], heldOut: [...s.heldOut], ceiling: sc.ceiling(i) })));
    }
    const haveControls = new Set(store.controls().map((c) => `${c.channel}/${c.seed}`));
    const randomOf = new Map<string, ExemplarRef[]>();
    let done = 0;
    const totalControls = cfg.channels.length * cfg.seeds.length;
    for (let i = 0; i < sets.sets.length; i++) {
      const set = sets.sets[i]!;
      for (const seed of cfg.seeds) {
        const random = sweepRandomImages(sets, set.channel, seed, cfg);
        randomOf.set(`${set.channel}/${seed}`, random);
        if (!haveControls.has(`${set.channel}/${seed}`)) {
          const kinds: QueryKind[] = [...set.heldOut.map((): QueryKind => 'heldOut'), ...random.map((): QueryKind => 'random')];
          const res = await sc.query([...set.heldOut, ...random], random);
          const queries: VariantScores<QueryScore[]> = {};
          for (const v of sc.variants) queries[v] = res.map((d, j) => queryScores(sc, i, set.channel, seed, kinds[j]!, d)[v]!);
          store.putControls({ channel: set.channel, seed, random, queries });
        }
        // After the work: the last report says all of them are done.
        opts.onProgress?.({ phase: 'controls', done: ++done, total: totalControls });
      }
    }
    // 3. cells: the baseline once per (channel, seed), then every knob × strength that is not the baseline
    const knobs = Object.entries(cfg.sweep) as Array<[SweepKnob, number[]]>;
    const jobs: Array<{ knob: SweepKnob | 'baseline'; strength: number }> = [{ knob: BASELINE_KNOB, strength: 0 }];
    for (const [knob, strengths] of knobs) for (const strength of strengths) if (!isBaselineCell(cfg, knob, strength)) jobs.push({ knob, strength });
    const total = jobs.length * cfg.seeds.length * cfg.channels.length;
    done = store.cells().length;
    let newCells = 0;
    opts.onProgress?.({ phase: 'cells', done, total });
    const owner = new Map(cfg.channels.map((c, i) => [c, i]));
    for (const { knob, strength } of jobs) {
      for (const seed of cfg.seeds) {
        if (opts.signal?.aborted || (opts.maxNewCells !== undefined && newCells >= opts.maxNewCells)) {
          return { cells: store.cells(), channels: store.channels(), controls: store.controls(), newCells, complete: false, metric: metric.label };
        }
        let todo = cfg.channels.filter((ch) => !store.hasCell(knob, strength, ch, seed));
        if (opts.maxNewCells !== undefined) todo = todo.slice(0, opts.maxNewCells - newCells);
        if (todo.length === 0) continue;
        const { regularizers, transforms } = knob === BASELINE_KNOB ? baselineRenderSettings(cfg) : cellRenderSettings(cfg, knob, strength);
        const r = await renderChannels(model, { ...cfg, channels: todo, regularizers, transforms, seed }, opts.signal ? { signal: opts.signal } : {});
        const ms = Math.round(r.millis / todo.length);
        const rows: CellRow[] = [];
        for (let j = 0; j < todo.length; j++) {
          const ch = todo[j]!;
          const image = cellImageName(knob, strength, seed, ch);
          await savePng(path.join(out, image), r.images[j]!);
          const [d] = await sc.query([r.images[j]! as QueryImage], randomOf.get(`${ch}/${seed}`)!);
          rows.push({ knob, strength, channel: ch, seed, activation: r.activations[j]!, image, millis: ms, scores: queryScores(sc, owner.get(ch)!, ch, seed, 'am', d!) });
        }
        store.putCells(rows);
        newCells += rows.length;
        done += rows.length;
        for (const row of rows) opts.onProgress?.({ phase: 'cells', done, total, cell: row });
      }
    }
    store.setMeta('finished', new Date().toISOString());
    return { cells: store.cells(), channels: store.channels(), controls: store.controls(), newCells, complete: true, metric: metric.label };
  } finally {
    scorer?.dispose();
    metric.dispose();
    if (!opts.model) model.dispose();
    store.close();
  }
}

