/**
 * The random dataset images of the interpretability controls (chance level,
 * negative control). ONE function draws them for every caller — `featvis
 * score`, sweeps, `featvis identify`, the notebooks — so the same (dataset,
 * channel, seed, draw) gives the same images everywhere.
 *
 * The pool is the dataset the exemplars were mined from (the store's mined
 * images), identified by the sorted list of image ids, not by where it lives on
 * disk: the same images draw the same on every machine and in any input order.
 * The generator walks a seeded permutation of the pool and keeps the first k
 * images not excluded (the channel's own exemplars), so the exclusion list only
 * removes images, it never reshuffles the others.
 */
import crypto from 'node:crypto';
import { FeatvisError } from '../core/errors.js';
import type { ImageEntry } from './folder.js';
import { compareIds } from './folder.js';
import { Rng } from '../optvis/rng.js';

export interface DrawSpec {
  channel: number;
  /** The sample's seed (an AM seed, or the notebook's seed setting). */
  seed: number;
  /** Further independent draws for the same seed (default 0). */
  draw?: number;
  /** Images drawn. */
  k: number;
  /** Image ids never drawn (the channel's exemplars). */
  exclude?: Iterable<string>;
}

/** Identity of a pool of images: sha256 of its sorted ids (16 hex digits). */
export function datasetId(pool: readonly Pick<ImageEntry, 'id'>[]): string {
  const h = crypto.createHash('sha256');
  for (const id of pool.map((e) => e.id).sort(compareIds)) h.update(`${id}\n`);
  return h.digest('hex').slice(0, 16);
}

/** Seed of one draw: a hash of (dataset, channel, seed, draw). */
export function drawSeed(dataset: string, channel: number, seed: number, draw = 0): number {
  return crypto.createHash('sha256').update(`featvis-random-draw\n${dataset}\n${channel}\n${seed}\n${draw}`).digest().readUInt32LE(0);
}

/** `spec.k` distinct images of `pool`, seeded from (dataset, channel, seed, draw), never one of `spec.exclude`. */
export function drawRandomImages(pool: readonly ImageEntry[], spec: DrawSpec): ImageEntry[] {
  if (!Number.isInteger(spec.k) || spec.k < 0) throw new FeatvisError(`random draw: k must be an integer ≥ 0, got ${spec.k}`);
  const sorted = [...pool].sort((a, b) => compareIds(a.id, b.id));
  const exclude = new Set(spec.exclude ?? []);
  const available = sorted.filter((e) => !exclude.has(e.id)).length;
  if (available < spec.k) throw new FeatvisError(`random draw: asked for ${spec.k} images but only ${available} of the ${sorted.length} in the dataset are not excluded`);
  const rng = new Rng(drawSeed(datasetId(sorted), spec.channel, spec.seed, spec.draw ?? 0));
  const order = sorted.map((_, i) => i);
  const out: ImageEntry[] = [];
  for (let i = 0; i < order.length && out.length < spec.k; i++) {
    const j = i + (rng.uint32() % (order.length - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
    const e = sorted[order[i]!]!;
    if (!exclude.has(e.id)) out.push(e);
  }
  return out;
}
