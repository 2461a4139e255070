/**
 * The atlas's scores: scoreLayer over every channel of the atlas (the AM image
 * of the default recipe against each channel's top-k, with chance, ceiling,
 * held-out exemplars as positive control, and channel identification), resumable
 * per channel through the score cache; condensed to what the pages show.
 */
import type { RgbImage } from '../data/image.js';
import type { ExemplarStore } from '../exemplars/store.js';
import { scoreLayer, type LayerScore } from '../experiments/layerScore.js';
import type { ScoreMetric } from '../metrics/embedding.js';
import { identification } from '../metrics/identification.js';
import type { AtlasScore, ChannelScore, VariantScore } from './types.js';
import { fileScoreCache, type AtlasFiles } from './workFiles.js';

export interface ScorePhaseOptions {
  files: AtlasFiles;
  key: string;
  metric: ScoreMetric;
  why: string;
  store: ExemplarStore;
  runId: number;
  layer: string;
  channels: readonly number[];
  seed: number;
  amImages: readonly RgbImage[];
  k: number;
  heldOut: number;
  size: number;
  onProgress?: (done: number, total: number) => void;
}

const finite = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** What the pages show of a LayerScore: per variant, the layer's controls and each channel's numbers. */
export function condenseScore(res: LayerScore, key: string, why: string): AtlasScore {
  const variants: VariantScore[] = [];
  for (const [variant, e] of Object.entries(res.variants) as Array<[VariantScore['variant'], NonNullable<LayerScore['variants'][VariantScore['variant']]>]>) {
    const amQueries = (res.queries[variant] ?? []).filter((q) => q.kind === 'am');
    const channels: ChannelScore[] = e.channels.map((c) => {
      const am = c.am[0];
      const own = amQueries.filter((q) => q.channel === c.channel);
      return {
        channel: c.channel,
        score: finite(am?.score),
        chance: finite(am?.chance),
        ceiling: finite(c.ceiling),
        normalized: finite(am?.normalized),
        positive: c.positive,
        identified: own.length && res.channels.length > 1 ? identification(own, res.channels) : null,
      };
    });
    const { channels: _perChannel, positiveScore: _positiveScore, ...layer } = e;
    variants.push({ ...layer, channels });
  }
  return { key, metric: res.metric, description: res.description, why, k: res.k, heldOut: res.heldOut, randomK: res.randomK, size: res.size, images: res.dataset.images, variants };
}

export async function scoreAtlas(o: ScorePhaseOptions): Promise<AtlasScore> {
  const res = await scoreLayer({
    metric: o.metric,
    store: o.store,
    layer: o.layer,
    channels: o.channels,
    runId: o.runId,
    reduce: 'mean',
    am: [{ seed: o.seed, images: o.amImages }],
    k: o.k,
    heldOut: o.heldOut,
    randomK: o.k,
    size: o.size,
    cache: fileScoreCache(o.files, o.key),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  return condenseScore(res, o.key, o.why);
}
