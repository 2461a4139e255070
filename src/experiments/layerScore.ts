/**
 * The interpretability score of a set of channels of one layer, with its
 * controls and channel identification — the one function `featvis score`,
 * `featvis identify` and the notebooks call (sweeps use the same pieces cell by
 * cell: channelSets, randomRefs, ChannelScorer, queryScore, evaluateLayer).
 */
import type { RgbImage } from '../data/image.js';
import { channelSets, randomRefs, type ChannelSets } from '../exemplars/channelSets.js';
import type { ExemplarStore, Reduce } from '../exemplars/store.js';
import { FeatvisError } from '../core/errors.js';
import type { ScoreMetric, ScoreVariant } from '../metrics/embedding.js';
import { evaluateLayer, queryScore, type LayerEvaluation, type QueryKind, type QueryScore } from '../metrics/interpretability.js';
import { ChannelScorer, type ChannelExemplars, type QueryImage } from '../metrics/scorer.js';

export interface AmSample {
  seed: number;
  /** One AM image per channel, in the order of `channels`. */
  images: readonly RgbImage[];
}

export interface LayerScoreOptions {
  metric: ScoreMetric;
  store: ExemplarStore;
  layer: string;
  channels: readonly number[];
  runId?: number;
  reduce?: Reduce;
  /** AM images, one sample per seed. Without them only the controls are computed. */
  am?: readonly AmSample[];
  /** Seeds of the random draws when there are no AM images (default [0]). */
  seeds?: readonly number[];
  /** Exemplars per channel (default 9); held-out exemplars (default 9, where the store has them); random images (default k). */
  k?: number;
  heldOut?: number;
  randomK?: number;
  /** Side every image is resized to (default 128); receptive-field crops instead of whole images. */
  size?: number;
  crop?: boolean;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Results of (channel, seed) units kept by a resumable job (the atlas): a unit
   * found here is not computed again; a new one is handed to `put` and the value
   * it returns (as `get` would give it back) is used, so a resumed run and an
   * uninterrupted one score from the same numbers. The cache must belong to the
   * same channel list, metric and settings.
   */
  cache?: ScoreCache;
}

/** One (channel, seed) unit of a LayerScore: its random draw and its query scores per variant. */
export interface ScoreUnit {
  random: string[];
  queries: Partial<Record<ScoreVariant, QueryScore[]>>;
}

export interface ScoreCache {
  get(channel: number, seed: number): ScoreUnit | undefined;
  /** Stores a unit; returns it as `get` will return it later. */
  put(channel: number, seed: number, unit: ScoreUnit): ScoreUnit;
}

export interface LayerScore {
  metric: string;
  description: string;
  layer: string;
  channels: number[];
  seeds: number[];
  k: number;
  heldOut: number;
  randomK: number;
  size: number;
  crop: boolean;
  dataset: { id: string; images: number; root: string };
  exemplars: ChannelExemplars[];
  /** The random images of each (channel, seed). */
  draws: Array<{ channel: number; seed: number; random: string[] }>;
  /** Per variant: scores, controls, identification. */
  variants: Partial<Record<ScoreVariant, LayerEvaluation>>;
  /** Query scores per variant (for tables and plots). */
  queries: Partial<Record<ScoreVariant, QueryScore[]>>;
}

export async function scoreLayer(opts: LayerScoreOptions): Promise<LayerScore> {
  const k = opts.k ?? 9;
  const randomK = opts.randomK ?? k;
  const am = opts.am ?? [];
  const seeds = am.length ? am.map((s) => s.seed) : [...(opts.seeds ?? [0])];
  if (new Set(seeds).size !== seeds.length) throw new FeatvisError(`seeds must differ: ${seeds.join(', ')}`);
  for (const s of am) if (s.images.length !== opts.channels.length) throw new FeatvisError(`seed ${s.seed}: ${s.images.length} AM images for ${opts.channels.length} channels`);
  const sets: ChannelSets = channelSets(opts.store, opts.layer, opts.channels, {
    k,
    ...(opts.heldOut !== undefined ? { heldOut: opts.heldOut } : {}),
    ...(opts.runId !== undefined ? { runId: opts.runId } : {}),
    ...(opts.reduce ? { reduce: opts.reduce } : {}),
  });
  const size = opts.size ?? 128;
  const crop = opts.crop ?? false;
  const scorer = await ChannelScorer.create(opts.metric, sets.sets, { size, crop, ...(opts.batchSize ? { batchSize: opts.batchSize } : {}) });
  const queries = new Map<ScoreVariant, QueryScore[]>(scorer.variants.map((v) => [v, []]));
  const draws: LayerScore['draws'] = [];
  try {
    const total = sets.sets.length * seeds.length;
    let done = 0;
    for (let i = 0; i < sets.sets.length; i++) {
      const set = sets.sets[i]!;
      for (let si = 0; si < seeds.length; si++) {
        const seed = seeds[si]!;
        let unit = opts.cache?.get(set.channel, seed);
        if (!unit) {
          const random = randomRefs(sets, set, seed, randomK);
          const kinds: QueryKind[] = [];
          const images: QueryImage[] = [];
          const amImage = am[si]?.images[i];
          if (amImage) {
            kinds.push('am');
            images.push(amImage);
          }
          for (const h of set.heldOut) {
            kinds.push('heldOut');
            images.push(h);
          }
          for (const r of random) {
            kinds.push('random');
            images.push(r);
          }
          const res = await scorer.query(images, random);
          const computed: ScoreUnit = { random: random.map((r) => r.path), queries: {} };
          for (const v of scorer.variants) {
            const ceiling = scorer.ceiling(i)[v];
            computed.queries[v] = res.map((d, j) => queryScore(kinds[j]!, i, set.channel, seed, d, v, ceiling));
          }
          unit = opts.cache ? opts.cache.put(set.channel, seed, computed) : computed;
        }
        draws.push({ channel: set.channel, seed, random: unit.random });
        for (const v of scorer.variants) queries.get(v)!.push(...(unit.queries[v] ?? []));
        opts.onProgress?.(++done, total);
      }
    }
    const variants: Partial<Record<ScoreVariant, LayerEvaluation>> = {};
    for (const v of scorer.variants) {
      const ceilings = sets.sets.map((_, i) => scorer.ceiling(i)[v]);
      variants[v] = evaluateLayer(v, opts.channels, ceilings, queries.get(v)!);
    }
    return {
      metric: opts.metric.label,
      description: opts.metric.describe(),
      layer: opts.layer,
      channels: [...opts.channels],
      seeds,
      k,
      heldOut: sets.heldOut,
      randomK,
      size,
      crop,
      dataset: { id: sets.dataset, images: sets.pool.length, root: sets.run.root },
      exemplars: sets.sets,
      draws,
      variants,
      queries: Object.fromEntries(queries),
    };
  } finally {
    scorer.dispose();
  }
}
