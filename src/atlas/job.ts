/**
 * `runAtlas`: every channel of a layer as a browsable offline site, as one
 * resumable job. Phases, each resumable on its own:
 *
 *   mining      top-(k + held-out) exemplars and activation histograms of every
 *               channel of the layer, one pass (mineExemplars, SQLite store);
 *   am          per fixed batch of channels, the default-recipe AM image
 *               (renderChannels) and a diverse set (renderDiverse); then per
 *               channel its record (site JPEGs, exemplar thumbnails and crops,
 *               histogram), written last: a channel with a record is finished
 *               and never touched again;
 *   score       scoreLayer over the atlas's channels (controls, identification),
 *               cached per channel;
 *   neighbours  co-activation over a probe of dataset images, exemplar overlap;
 *   site        index and channel pages from the work files (site.ts).
 *
 * Kill it at any moment (kill -9 included) and run it again with the same
 * folder and options: it continues where it stopped and writes the same site
 * an uninterrupted run writes.
 */
import fs from 'node:fs';
import { resolveImageSource, type ImageSource } from '../data/folder.js';
import { channelRangeError, FeatvisError, unknownLayerError } from '../core/errors.js';
import { runKey } from '../core/runKey.js';
import type { FeatModel } from '../core/types.js';
import type { MetricConfig } from '../experiments/config.js';
import { resolveMetric } from '../experiments/metricFactory.js';
import { mineExemplars, type MineProgress } from '../exemplars/mine.js';
import { ExemplarStore } from '../exemplars/store.js';
import type { ScoreMetric } from '../metrics/embedding.js';
import { modelIdentity } from '../models/fingerprint.js';
import { amSettings, type AmOverrides } from '../optvis/settings.js';
import { diverseBatch, mainBatch, readWorkImage, slices, type AmPhaseOptions } from './amPhase.js';
import { recordContext, writeChannelRecord } from './channelRecord.js';
import { atlasNeighbours, probeActivations, probeImages } from './neighbours.js';
import { scoreAtlas } from './scorePhase.js';
import { writeAtlasSite, type SiteResult } from './site.js';
import { ATLAS_FORMAT, type AtlasManifest, type AtlasNeighbours, type AtlasScore, type ChannelRecord } from './types.js';
import { removeStaleTemps } from '../data/image.js';
import { ATLAS_DEFAULTS } from './defaults.js';
import { AtlasFiles, mustReadJson, readJson, writeJson } from './workFiles.js';

export { ATLAS_DEFAULTS };

/** A metric built by the caller (tests, notebooks): `id` names it in the atlas's key. */
export interface GivenMetric {
  id: string;
  metric: ScoreMetric;
  why: string;
}

export interface AtlasOptions {
  model: FeatModel;
  layer: string;
  /** Channels (default: every channel of the layer). */
  channels?: readonly number[];
  /** Dataset for exemplars, histograms and the co-activation probe. */
  images: ImageSource;
  outDir: string;
  /** AM recipe overrides (default fv.AM_DEFAULTS; tests: fewer steps). */
  am?: Partial<Omit<AmOverrides, 'layer' | 'channels'>>;
  /** Diverse images per channel (default 4; 0 = none). */
  diverse?: number;
  /** Diversity penalty relative to the channel's own AM activation (default 0.3). */
  diversityWeight?: number;
  /** Channels per diverse batch (default: am batch size / diverse, at least 1). */
  diverseBatch?: number;
  /** Exemplars shown and scored (default 9); held-out exemplars, the positive control (default 9). */
  k?: number;
  heldOut?: number;
  mineBatch?: number;
  /** Input size for mining (default: the model's). */
  mineSize?: [number, number];
  /** Score metric (default { kind: 'auto' }). */
  metric?: MetricConfig | GivenMetric;
  scoreSize?: number;
  probeImages?: number;
  /** Side of exemplar thumbnails in px (default 112). */
  thumb?: number;
  /** Channel names shown on the pages and searchable in the index. */
  labels?: Readonly<Record<number, string>>;
  /** Called as work advances; a returned promise is awaited (back-pressure; tests slow the job down with it). */
  onProgress?: (p: AtlasProgress) => void | Promise<void>;
}

export type AtlasPhase = 'mining' | 'am' | 'score' | 'neighbours' | 'site';

export interface AtlasProgress {
  phase: AtlasPhase;
  done: number;
  total: number;
  unit: string;
  /** AM phase: channels finished, of the atlas's channels. */
  channels?: { done: number; total: number };
  mining?: MineProgress;
}

export interface AtlasResult {
  dir: string;
  manifest: AtlasManifest;
  site: SiteResult;
  /** Channels already finished when this call started. */
  resumed: number[];
  /** Channels whose main / diverse batches this call rendered, and whose records it wrote. */
  rendered: { main: number[]; diverse: number[] };
  recorded: number[];
  scored: boolean;
  /** Seconds per phase in this call. */
  seconds: Record<AtlasPhase, number>;
}

const isGiven = (m: AtlasOptions['metric']): m is GivenMetric => typeof m === 'object' && m !== null && 'metric' in m;

function checkChannels(model: FeatModel, layer: string, channels: readonly number[] | undefined): { list: number[]; count: number } {
  const info = model.layers.find((l) => l.name === layer);
  if (!info) throw unknownLayerError(layer, model.layers.map((l) => l.name), model.name);
  const count = info.shape.at(-1) ?? 0;
  const list = channels ? [...channels] : Array.from({ length: count }, (_, i) => i);
  for (const c of list) if (!Number.isInteger(c) || c < 0 || c >= count) throw channelRangeError(layer, c, count);
  if (new Set(list).size !== list.length) throw new FeatvisError('the atlas channel list has duplicates');
  if (list.length === 0) throw new FeatvisError('the atlas needs at least one channel');
  return { list: list.sort((a, b) => a - b), count };
}

const posInt = (n: number, what: string, min = 1): number => {
  if (!Number.isInteger(n) || n < min) throw new FeatvisError(`${what} must be an integer ≥ ${min}, got ${String(n)}`);
  return n;
};

export async function runAtlas(opts: AtlasOptions): Promise<AtlasResult> {
  if (typeof opts !== 'object' || opts === null || typeof opts.model?.activations !== 'function' || typeof opts.layer !== 'string' || typeof opts.outDir !== 'string' || !opts.outDir) {
    throw new FeatvisError('runAtlas needs { model, layer, images, outDir } (a loaded model, a layer name, an image folder and an output folder)');
  }
  const { model, layer } = opts;
  const { list: channels, count } = checkChannels(model, layer, opts.channels);
  const s = amSettings({ ...opts.am, layer, channels });
  const { channels: _c, ...recipe } = s;
  const n = posInt(opts.diverse ?? ATLAS_DEFAULTS.diverse, 'diverse', 0);
  if (n === 1) throw new FeatvisError('a diverse set needs at least 2 images (or 0 for none)');
  const relativeWeight = opts.diversityWeight ?? ATLAS_DEFAULTS.diversityWeight;
  if (!(typeof relativeWeight === 'number' && Number.isFinite(relativeWeight) && relativeWeight >= 0)) throw new FeatvisError(`diversity weight must be a number ≥ 0, got ${String(relativeWeight)}`);
  const dBatch = posInt(opts.diverseBatch ?? Math.max(1, Math.floor(s.batchSize / Math.max(1, n))), 'diverse batch');
  const k = posInt(opts.k ?? ATLAS_DEFAULTS.k, 'k');
  const heldOut = posInt(opts.heldOut ?? ATLAS_DEFAULTS.heldOut, 'held-out', 0);
  const scoreSize = posInt(opts.scoreSize ?? ATLAS_DEFAULTS.scoreSize, 'score size', 32);
  const probeN = posInt(opts.probeImages ?? ATLAS_DEFAULTS.probeImages, 'probe images', 2);
  const thumb = posInt(opts.thumb ?? ATLAS_DEFAULTS.thumb, 'thumbnail size', 16);
  const mineSize = opts.mineSize ?? model.preprocess.size;
  const metricCfg = opts.metric ?? ({ kind: 'auto' } as MetricConfig);
  const dataset = resolveImageSource(opts.images);
  const files = new AtlasFiles(opts.outDir);
  removeStaleTemps(opts.outDir); // what a killed run was writing
  const key = runKey({
    atlas: ATLAS_FORMAT,
    model: modelIdentity(model),
    layer,
    recipe,
    diverse: [n, relativeWeight, dBatch],
    exemplars: [k, heldOut, dataset.key, mineSize],
    metric: isGiven(metricCfg) ? metricCfg.id : metricCfg,
    scoreSize,
    probeN,
    thumb,
  });
  const previous = readJson<AtlasManifest>(files.manifest);
  if (previous && previous.key !== key) {
    throw new FeatvisError(`${opts.outDir} holds an atlas made with other settings (model, layer, recipe, dataset or metric): choose another folder or delete it`);
  }
  const labels: Record<string, string> = { ...(previous?.labels ?? {}) };
  for (const [c, l] of Object.entries(opts.labels ?? {})) if (typeof l === 'string') labels[String(c)] = l;
  const manifest: AtlasManifest = {
    featvis: ATLAS_FORMAT,
    key,
    model: model.name,
    modelId: modelIdentity(model),
    layer,
    channels,
    layerChannels: count,
    am: recipe,
    diverse: { n, relativeWeight, batch: dBatch },
    exemplars: { k, heldOut, size: mineSize, reduce: 'mean', images: dataset.entries.length, root: dataset.root, thumb },
    probe: { images: Math.min(probeN, dataset.entries.length) },
    scoreSize,
    labels,
    seconds: { ...(previous?.seconds ?? {}) },
    sessions: (previous?.sessions ?? 0) + 1,
  };
  fs.mkdirSync(files.work, { recursive: true });
  writeJson(files.manifest, manifest);
  const seconds: Record<AtlasPhase, number> = { mining: 0, am: 0, score: 0, neighbours: 0, site: 0 };
  const timed = async <T>(phase: AtlasPhase, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      seconds[phase] += (performance.now() - t0) / 1000;
      manifest.seconds[phase] = (manifest.seconds[phase] ?? 0) + (performance.now() - t0) / 1000;
      writeJson(files.manifest, manifest);
    }
  };
  const progress = async (p: AtlasProgress): Promise<void> => {
    await opts.onProgress?.(p);
  };

  // 1. exemplars + histograms
  const mined = await timed('mining', () =>
    mineExemplars({
      model,
      layers: [layer],
      images: opts.images,
      k: k + heldOut,
      batchSize: opts.mineBatch ?? ATLAS_DEFAULTS.mineBatch,
      size: mineSize,
      store: files.store,
      onProgress: (m) => progress({ phase: 'mining', done: m.done, total: m.total, unit: 'images', mining: m }),
    }),
  );
  if (!mined.complete) throw new FeatvisError('exemplar mining stopped before the end');

  const store = new ExemplarStore(files.store, { readonly: true });
  const finishedAtStart = channels.filter((c) => fs.existsSync(files.channel(c)));
  const finished = new Set(finishedAtStart);
  const rendered = { main: [] as number[], diverse: [] as number[] };
  const recorded: number[] = [];
  let scored = false;
  try {
    const run = store.run(mined.runId);
    // 2. AM images and channel records, batch by batch
    await timed('am', async () => {
      const amKey = runKey({ key, what: 'am' });
      const ctx = recordContext(files, store, run, layer, k, thumb);
      const chunks = slices(channels, s.batchSize).map((chunk) => ({ chunk, subs: slices(chunk, dBatch) }));
      // work of this call in image-steps: batches not committed yet
      let total = 0;
      for (const { chunk, subs } of chunks) {
        if (chunk.every((c) => finished.has(c))) continue;
        if (!readJson(files.mainBatch(chunk[0]!, chunk.at(-1)!))) total += chunk.length * s.steps;
        if (n > 0) for (const sub of subs) if (!sub.every((c) => finished.has(c)) && !readJson(files.diverseBatch(sub[0]!, sub.at(-1)!))) total += sub.length * n * s.steps;
      }
      let base = 0;
      let inBatch = 0;
      const report = (): Promise<void> => progress({ phase: 'am', done: base + inBatch, total, unit: 'image-steps', channels: { done: finished.size, total: channels.length } });
      const phase: AmPhaseOptions = {
        model,
        settings: s,
        key: amKey,
        diverse: { n, relativeWeight, batch: dBatch },
        files,
        onSteps: (steps) => {
          inBatch = steps;
          void report();
        },
      };
      await report();
      for (const { chunk, subs } of chunks) {
        if (chunk.every((c) => finished.has(c))) continue;
        const main = await mainBatch(phase, chunk);
        if (main.rendered) {
          rendered.main.push(...chunk);
          base += chunk.length * s.steps;
        }
        inBatch = 0;
        for (const sub of subs) {
          if (sub.every((c) => finished.has(c))) continue;
          let div = null;
          if (n > 0) {
            const acts = sub.map((c) => main.batch.activations[main.batch.channels.indexOf(c)]!);
            const d = await diverseBatch(phase, sub, acts);
            if (d.rendered) {
              rendered.diverse.push(...sub);
              base += sub.length * n * s.steps;
            }
            inBatch = 0;
            div = d.batch;
          }
          for (const c of sub) {
            if (finished.has(c)) continue;
            await writeChannelRecord(ctx, c, main.batch, div);
            finished.add(c);
            recorded.push(c);
            await report();
          }
        }
      }
    });

    // 3. scores (per channel cached)
    const scoreKey = runKey({ key, channels, what: 'score' });
    if (readJson<AtlasScore>(files.score)?.key !== scoreKey) {
      await timed('score', async () => {
        const resolved = isGiven(metricCfg) ? { metric: metricCfg.metric, why: metricCfg.why, own: false } : { ...(await resolveMetric(metricCfg)), own: true };
        try {
          const records = channels.map((c) => mustReadJson<ChannelRecord>(files.channel(c), `the record of channel ${c}`));
          const amImages = [];
          for (const r of records) amImages.push(await readWorkImage(files, r.am.png));
          const score = await scoreAtlas({
            files,
            key: scoreKey,
            metric: resolved.metric,
            why: resolved.why,
            store,
            runId: run.id,
            layer,
            channels,
            seed: s.seed,
            amImages,
            k,
            heldOut,
            size: scoreSize,
            onProgress: (done, total) => void progress({ phase: 'score', done, total, unit: 'channels' }),
          });
          writeJson(files.score, score);
          scored = true;
        } finally {
          if (resolved.own && 'dispose' in resolved.metric && typeof resolved.metric.dispose === 'function') resolved.metric.dispose();
        }
      });
    }

    // 4. nearest channels
    const nKey = runKey({ key, channels, what: 'neighbours' });
    if (readJson<AtlasNeighbours>(files.neighbours)?.key !== nKey) {
      await timed('neighbours', async () => {
        const probe = probeImages(store.minedImages(run.id), probeN);
        const acts = await probeActivations(model, layer, channels, probe, run.size, run.fit === 'fill' || run.fit === 'contain' ? run.fit : 'cover', 16, (done, total) =>
          void progress({ phase: 'neighbours', done, total, unit: 'images' }),
        );
        const topIds = channels.map((c) => mustReadJson<ChannelRecord>(files.channel(c), `the record of channel ${c}`).topIds);
        writeJson(files.neighbours, atlasNeighbours(nKey, channels, acts, topIds));
      });
    }
  } finally {
    store.close();
  }

  // 5. the site
  const site = await timed('site', async () => writeAtlasSite(opts.outDir));
  await progress({ phase: 'site', done: site.pages, total: site.pages, unit: 'pages' });
  return { dir: opts.outDir, manifest, site, resumed: finishedAtStart, rendered, recorded, scored, seconds };
}
