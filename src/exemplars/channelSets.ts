/**
 * What the interpretability score needs from an exemplar store, for every
 * caller alike (`featvis score`, sweeps, `featvis identify`, the notebooks):
 * each channel's top-k, the next k held out as the positive control, the
 * dataset they were mined from, and the random images of a (channel, seed).
 */
import type { ImageEntry } from '../data/folder.js';
import { datasetId, drawRandomImages } from '../data/randomDraw.js';
import { FeatvisError } from '../core/errors.js';
import type { ChannelExemplars, ExemplarRef } from '../metrics/scorer.js';
import type { ExemplarStore, Reduce, RunInfo } from './store.js';

export interface ChannelSetOptions {
  /** Exemplars that define a channel (default 9). */
  k?: number;
  /** Held-out exemplars (ranks k+1 … k+heldOut) where the store has them (default 9). */
  heldOut?: number;
  runId?: number;
  reduce?: Reduce;
}

export interface ChannelSets {
  run: RunInfo;
  /** The mined images: the pool random images are drawn from. */
  pool: ImageEntry[];
  /** datasetId(pool). */
  dataset: string;
  sets: ChannelExemplars[];
  k: number;
  /** Held-out exemplars per channel that the store could provide (0 when it was mined with k ≤ 9). */
  heldOut: number;
}

export function channelSets(store: ExemplarStore, layer: string, channels: readonly number[], opts: ChannelSetOptions = {}): ChannelSets {
  const k = opts.k ?? 9;
  const run = store.runForLayer(layer, opts.runId);
  const heldOut = Math.max(0, Math.min(opts.heldOut ?? 9, run.k - k));
  if (run.k < k) throw new FeatvisError(`the exemplar store ${store.file} kept ${run.k} exemplars per channel; the score needs ${k} (mine again with --k ${k + (opts.heldOut ?? 9)})`);
  const pool = store.minedImages(run.id);
  const sets = channels.map((channel) => {
    const ex = store.topK(layer, channel, opts.reduce, { runId: run.id });
    const refs: ExemplarRef[] = ex.map((e) => ({ path: e.path, id: e.imageId, box: e.box, inputSize: run.size }));
    return { channel, top: refs.slice(0, k), heldOut: refs.slice(k, k + heldOut) };
  });
  return { run, pool, dataset: datasetId(pool), sets, k, heldOut };
}

/** The random images of (channel, seed, draw): drawn from the pool, never one of the channel's exemplars. */
export function randomRefs(sets: Pick<ChannelSets, 'pool'>, set: ChannelExemplars, seed: number, k: number, draw = 0): ExemplarRef[] {
  const exclude = [...set.top, ...set.heldOut].map((r) => r.id ?? r.path);
  return drawRandomImages(sets.pool, { channel: set.channel, seed, draw, k, exclude }).map((e) => ({ path: e.path, id: e.id }));
}
