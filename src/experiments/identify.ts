/**
 * `featvis identify`: does a metric measure anything? For channels of one layer
 * it mines the top-(k + held-out) exemplars (resumable store), renders the
 * default-recipe AM images (resumable run folders keyed by the AM settings, so a
 * new default recipe only re-renders the AM images), and for every backbone ×
 * variant reports channel-identification accuracy (2AFC, Wilson 95 %) of the AM
 * images, of the held-out exemplars (positive control) and of random images
 * (negative control, ≈ 50 %), with the normalised interpretability scores.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ImageSource } from '../data/folder.js';
import { writeFileAtomic } from '../data/image.js';
import { mineExemplars, type MineProgress } from '../exemplars/mine.js';
import { ExemplarStore } from '../exemplars/store.js';
import { FeatvisError } from '../core/errors.js';
import { fileSafe } from '../core/names.js';
import type { FeatModel } from '../core/types.js';
import { loadBackboneMetric } from '../metrics/backbones.js';
import { SCORE_VARIANTS, type ScoreVariant } from '../metrics/embedding.js';
import type { Identification } from '../metrics/identification.js';
import type { MeanCI } from '../metrics/stats.js';
import type { PerceptualMetric } from '../metrics/lpips.js';
import { modelIdentity } from '../models/fingerprint.js';
import { amSettings, type AmOverrides } from '../optvis/settings.js';
import { amRunKey, visualizeChannels } from '../optvis/visualize.js';
import { scoreLayer, type AmSample } from './layerScore.js';

export interface IdentifyOptions {
  model: FeatModel;
  layer: string;
  channels: readonly number[];
  images: ImageSource;
  outDir: string;
  /** Backbone ids (metrics/backbones.ts), or metrics built by the caller. */
  metrics: ReadonlyArray<string | { id: string; load: () => Promise<PerceptualMetric> }>;
  seeds?: readonly number[];
  k?: number;
  heldOut?: number;
  randomK?: number;
  size?: number;
  crop?: boolean;
  /** AM settings beyond the defaults (tests: fewer steps). */
  am?: Partial<AmOverrides>;
  mineBatch?: number;
  onProgress?: (p: IdentifyProgress) => void;
}

export interface IdentifyProgress {
  phase: 'mining' | 'am' | 'score';
  done: number;
  total: number;
  label?: string;
  mining?: MineProgress;
}

export interface IdentifyRow {
  backbone: string;
  label: string;
  variant: ScoreVariant;
  /** The metric runs the studied network itself: its accuracies are not independent evidence. */
  circular: boolean;
  am: Identification | null;
  heldOut: Identification | null;
  random: Identification | null;
  normalized: MeanCI;
  positive: MeanCI | null;
  negative: MeanCI | null;
  score: number;
  chance: number;
  ceiling: number;
  positiveScore: number | null;
  seconds: number;
}

export interface IdentifyResult {
  model: string;
  layer: string;
  channels: number[];
  seeds: number[];
  images: number;
  k: number;
  heldOut: number;
  size: number;
  amRuns: string[];
  rows: IdentifyRow[];
  skipped: Array<{ backbone: string; reason: string }>;
  seconds: { mining: number; am: number; score: number };
}

export async function runIdentification(opts: IdentifyOptions): Promise<IdentifyResult> {
  const { model, layer } = opts;
  const k = opts.k ?? 9;
  const heldOut = opts.heldOut ?? 9;
  const seeds = [...(opts.seeds ?? [0])];
  const size = opts.size ?? 128;
  if (opts.channels.length < 2) throw new FeatvisError('identification needs at least 2 channels');
  fs.mkdirSync(opts.outDir, { recursive: true });
  const t0 = performance.now();
  // 1. exemplars: top-(k + held-out), resumable
  const storeFile = path.join(opts.outDir, 'exemplars.sqlite');
  const mined = await mineExemplars({
    model,
    layers: [layer],
    images: opts.images,
    k: k + heldOut,
    batchSize: opts.mineBatch ?? 32,
    store: storeFile,
    onProgress: (m) => opts.onProgress?.({ phase: 'mining', done: m.done, total: m.total, mining: m }),
  });
  if (!mined.complete) throw new FeatvisError('exemplar mining stopped before the end');
  const t1 = performance.now();
  // 2. AM images with the default recipe, one resumable run folder per settings
  const samples: AmSample[] = [];
  const amRuns: string[] = [];
  for (const seed of seeds) {
    const s = amSettings({ ...opts.am, layer, channels: [...opts.channels], seed });
    const dir = path.join(opts.outDir, 'am', `${fileSafe(layer)}-${amRunKey(model, s)}`);
    const res = await visualizeChannels(model, s, {
      outDir: dir,
      onProgress: (p) => opts.onProgress?.({ phase: 'am', done: p.done, total: p.total, label: `seed ${seed}` }),
    });
    samples.push({ seed, images: res.images });
    amRuns.push(dir);
  }
  const t2 = performance.now();
  // 3. every metric
  const rows: IdentifyRow[] = [];
  const skipped: IdentifyResult['skipped'] = [];
  const store = new ExemplarStore(storeFile, { readonly: true });
  let images = 0;
  try {
    for (const m of opts.metrics) {
      const id = typeof m === 'string' ? m : m.id;
      let metric: PerceptualMetric;
      try {
        metric = typeof m === 'string' ? await loadBackboneMetric(m) : await m.load();
      } catch (err) {
        if (!(err instanceof FeatvisError)) throw err;
        skipped.push({ backbone: id, reason: err.message });
        continue;
      }
      const started = performance.now();
      try {
        let res;
        try {
          res = await scoreLayer({
            metric,
            store,
            layer,
            channels: opts.channels,
            runId: mined.runId,
            am: samples,
            k,
            heldOut,
            randomK: opts.randomK ?? k,
            size,
            crop: opts.crop ?? false,
            onProgress: (done, total) => opts.onProgress?.({ phase: 'score', done, total, label: id }),
          });
        } catch (err) {
          // a metric that cannot score these images (e.g. InceptionV3 below 75 px) is skipped with its reason
          if (!(err instanceof FeatvisError)) throw err;
          skipped.push({ backbone: id, reason: err.message.split('\n')[0]! });
          continue;
        }
        images = res.dataset.images;
        const seconds = (performance.now() - started) / 1000;
        const circular = modelIdentity(metric.features) === modelIdentity(model);
        for (const v of SCORE_VARIANTS) {
          const e = res.variants[v];
          if (!e) continue;
          rows.push({
            backbone: id,
            label: metric.label,
            variant: v,
            circular,
            am: e.identification.am,
            heldOut: e.identification.heldOut,
            random: e.identification.random,
            normalized: e.normalized,
            positive: e.positive,
            negative: e.negative,
            score: e.score,
            chance: e.chance,
            ceiling: e.ceiling,
            positiveScore: e.positiveScore,
            seconds,
          });
        }
        writeFileAtomic(path.join(opts.outDir, 'scores', `${fileSafe(id)}.json`), JSON.stringify(res, null, 1));
      } finally {
        metric.dispose();
      }
    }
  } finally {
    store.close();
  }
  const t3 = performance.now();
  const result: IdentifyResult = {
    model: modelIdentity(model),
    layer,
    channels: [...opts.channels],
    seeds,
    images,
    k,
    heldOut,
    size,
    amRuns,
    rows,
    skipped,
    seconds: { mining: (t1 - t0) / 1000, am: (t2 - t1) / 1000, score: (t3 - t2) / 1000 },
  };
  writeFileAtomic(path.join(opts.outDir, 'identify.json'), JSON.stringify(result, null, 2));
  writeFileAtomic(path.join(opts.outDir, 'identify.md'), identifyTable(result));
  return result;
}

const pct = (x: number): string => (Number.isFinite(x) ? (100 * x).toFixed(1) : '–');

/** "87.5 % [84.1, 90.3]" (Wilson 95 %). */
export function formatAccuracy(p: Identification | null): string {
  return p ? `${pct(p.rate)} % [${pct(p.low)}, ${pct(p.high)}]` : '–';
}

/** A mean of rates in percent: "87.5 ± 5.0 %". */
export function formatRateCI(m: MeanCI | null): string {
  if (!m || !Number.isFinite(m.mean)) return '–';
  return m.halfWidth === null ? `${pct(m.mean)} %` : `${pct(m.mean)} ± ${pct(m.halfWidth)} %`;
}

export function formatMeanCI(m: MeanCI | null, digits = 3): string {
  if (!m || !Number.isFinite(m.mean)) return '–';
  return m.halfWidth === null ? m.mean.toFixed(digits) : `${m.mean.toFixed(digits)} ± ${m.halfWidth.toFixed(digits)}`;
}

/** The result as a Markdown table (also printed by the CLI). */
export function identifyTable(r: IdentifyResult): string {
  const pairs = r.channels.length * (r.channels.length - 1);
  const lines = [
    `# Channel identification: ${r.model} · ${r.layer}`,
    '',
    `${r.channels.length} channels (${r.channels[0]}–${r.channels.at(-1)}), seeds ${r.seeds.join(', ')}; exemplars: top-${r.k} of ${r.images} images, held-out ranks ${r.k + 1}–${r.k + r.heldOut}; ` +
      `images compared at ${r.size}×${r.size}. Trials: for a query image of channel c, one per other channel c′ (${r.channels.length - 1} per query, ${pairs} channel pairs); accuracy = share of trials with d(query, top-${r.k} of c) < d(query, top-${r.k} of c′) (ties ½), ` +
      `95 % Wilson interval over trials; "per channel" = mean of the channels' accuracies ± 95 % Student t over channels. ` +
      `Normalised = Σ(chance − score) / Σ(chance − ceiling) over (channel, seed) units ± 95 % (delta method); – = undefined (the mean of chance − ceiling is not clearly above 0).`,
    '',
    '| backbone | variant | AM images | per channel | held-out exemplars | per channel | random images | AM normalised | held-out normalised | random normalised |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.rows.map(
      (x) =>
        `| ${x.backbone}${x.circular ? ' (same network: circular)' : ''} | ${x.variant} | ${formatAccuracy(x.am)} | ${formatRateCI(x.am?.perChannel ?? null)} | ${formatAccuracy(x.heldOut)} | ${formatRateCI(x.heldOut?.perChannel ?? null)} | ${formatAccuracy(x.random)} | ${formatMeanCI(x.normalized)} | ${formatMeanCI(x.positive)} | ${formatMeanCI(x.negative)} |`,
    ),
    '',
    `Trials per row: AM ${r.rows[0]?.am?.trials ?? '–'} (${r.rows[0]?.am?.queries ?? '–'} images), held-out ${r.rows[0]?.heldOut?.trials ?? '–'} (${r.rows[0]?.heldOut?.queries ?? '–'} images), random ${r.rows[0]?.random?.trials ?? '–'} (${r.rows[0]?.random?.queries ?? '–'} images).`,
    ...r.skipped.map((s) => `Skipped ${s.backbone}: ${s.reason}`),
    `Time: mining ${r.seconds.mining.toFixed(0)} s, AM ${r.seconds.am.toFixed(0)} s, scoring ${r.seconds.score.toFixed(0)} s.`,
    '',
  ];
  return lines.join('\n');
}
