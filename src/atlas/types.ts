/**
 * What a layer atlas keeps on disk (under `<out>/work/`, JSON written
 * atomically) and what its site is written from. The site is a function of
 * these files only, so a resumed atlas and an uninterrupted one write the same
 * site.
 */
import type { HistogramData } from '../exemplars/histogram.js';
import type { ScoreVariant } from '../metrics/embedding.js';
import type { Identification } from '../metrics/identification.js';
import type { ControlValue, LayerEvaluation } from '../metrics/interpretability.js';
import type { MeanCI } from '../metrics/stats.js';
import type { AmSettings } from '../optvis/settings.js';

export const ATLAS_FORMAT = 'featvis-atlas/1';

/** How an atlas was made: `work/atlas.json`. */
export interface AtlasManifest {
  featvis: typeof ATLAS_FORMAT;
  /** Hash of everything that determines the results (labels and timings excluded). */
  key: string;
  /** Model name as shown, and its identity (name + weights fingerprint). */
  model: string;
  modelId: string;
  layer: string;
  /** Channels of the layer in this atlas, ascending. */
  channels: number[];
  /** Channels the layer has. */
  layerChannels: number;
  /** The AM recipe (fv.AM_DEFAULTS unless overridden), channel list left out. */
  am: Omit<AmSettings, 'channels'>;
  /** Diverse set per channel: images, penalty strength relative to the channel's own AM activation, channels per batch. */
  diverse: { n: number; relativeWeight: number; batch: number };
  exemplars: { k: number; heldOut: number; size: [number, number]; reduce: 'mean'; images: number; root: string; thumb: number };
  /** Images of the co-activation probe (nearest channels). */
  probe: { images: number };
  /** Side every image is resized to for the score. */
  scoreSize: number;
  /** Optional channel names (channel → label), shown and searchable; not part of the key. */
  labels: Record<string, string>;
  /** Seconds spent per phase, summed over every session. */
  seconds: Record<string, number>;
  sessions: number;
}

export interface ExemplarThumb {
  rank: number;
  imageId: string;
  value: number;
  /** Site-relative JPEG of the whole image, and of its receptive-field crop. */
  image: string;
  crop: string;
}

/** One finished channel: `work/channels/c<c>.json` (its existence marks the channel done). */
export interface ChannelRecord {
  channel: number;
  /** Site-relative JPEG of the AM image, work-relative PNG (what the score reads), and its activation (channel mean). */
  am: { image: string; png: string; activation: number };
  /** The diverse set: images, their activations, mean pairwise Gram similarity, absolute penalty weight. */
  diverse: { images: string[]; activations: number[]; similarity: number; weight: number } | null;
  /** Top-k exemplars (ranks 1…k), best first. */
  exemplars: ExemplarThumb[];
  /** Ids of the top-(k + held-out) images (for exemplar overlap). */
  topIds: string[];
  /** Histogram of the channel's per-image spatial-mean activation over the dataset (null: store mined without). */
  histogram: HistogramData | null;
}

export interface ChannelScore {
  channel: number;
  /** AM image: mean distance to its top-k, chance (to random images), ceiling (within the top-k), normalised. */
  score: number | null;
  chance: number | null;
  ceiling: number | null;
  normalized: number | null;
  /** Held-out exemplars (ranks k+1…k+heldOut) scored like an AM image: the positive control. */
  positive: ControlValue | null;
  /** The AM image's channel identification against every other channel of the atlas. */
  identified: Identification | null;
}

/** A variant's layer-level numbers as the layer evaluation gives them, with the pages' per-channel view. */
export type VariantScore = Pick<LayerEvaluation, 'variant' | 'normalized' | 'positive' | 'negative' | 'score' | 'chance' | 'ceiling' | 'identification'> & {
  channels: ChannelScore[];
};

/** `work/score.json`. */
export interface AtlasScore {
  key: string;
  metric: string;
  description: string;
  why: string;
  k: number;
  heldOut: number;
  randomK: number;
  size: number;
  images: number;
  variants: VariantScore[];
}

export interface Neighbour {
  channel: number;
  value: number;
}

/** `work/neighbours.json`: nearest channels by co-activation (Pearson r over probe images) and by exemplar overlap (Jaccard). */
export interface AtlasNeighbours {
  key: string;
  probeImages: number;
  coactivation: Record<string, Neighbour[]>;
  overlap: Record<string, Neighbour[]>;
}
