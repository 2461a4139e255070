/**
 * The AM images of an atlas, batch by batch, resumable. Channels are split
 * into fixed batches (consecutive `am.batchSize` channels of the atlas's list):
 * floating-point results depend on a channel's batch-mates, so a resumed run
 * renders exactly the batches an uninterrupted one would.
 *
 *   main batch     one image per channel (renderChannels, the default recipe):
 *                  PNGs, then `main-<first>-<last>.json` commits them;
 *   diverse batch  `diverse.n` images per channel for `diverse.batch` channels
 *                  (renderDiverse: the Gram diversity penalty within each
 *                  channel's group, its strength `relativeWeight` × the channel's
 *                  own AM activation): PNGs, then `diverse-<first>-<last>.json`.
 *
 * A committed batch is never rendered again; a kill loses at most the batch
 * being rendered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readImage, savePng, type RgbImage } from '../data/image.js';
import type { FeatModel } from '../core/types.js';
import { renderDiverse } from '../optvis/diversity.js';
import { renderChannels } from '../optvis/renderChannels.js';
import type { AmSettings } from '../optvis/settings.js';
import { readJson, writeJson, type AtlasFiles } from './workFiles.js';

export interface MainBatch {
  key: string;
  channels: number[];
  activations: number[];
  /** Work-relative PNGs. */
  files: string[];
  millis: number;
}

export interface DiverseBatchFile {
  key: string;
  channels: number[];
  weights: number[];
  sets: Array<{ channel: number; files: string[]; activations: number[]; similarity: number }>;
  millis: number;
}

export interface AmPhaseOptions {
  model: FeatModel;
  settings: AmSettings;
  /** Hash of the recipe: batch files of another recipe are rendered again. */
  key: string;
  diverse: { n: number; relativeWeight: number; batch: number };
  files: AtlasFiles;
  /** Image-steps done in the current batch (for progress bars). */
  onSteps?: (imageSteps: number) => void;
}

/** Consecutive slices of `xs` of length `n`. */
export function slices<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

function committed<T extends { key: string; channels: number[] }>(file: string, key: string, channels: readonly number[], pngs: (b: T) => string[], work: string): T | null {
  const b = readJson<T>(file);
  if (!b || b.key !== key || b.channels.join(',') !== channels.join(',')) return null;
  return pngs(b).every((f) => fs.existsSync(path.join(work, f))) ? b : null;
}

/** The main batch holding `chunk`: read if committed, else rendered and committed. */
export async function mainBatch(o: AmPhaseOptions, chunk: readonly number[]): Promise<{ batch: MainBatch; rendered: boolean }> {
  const file = o.files.mainBatch(chunk[0]!, chunk.at(-1)!);
  const done = committed<MainBatch>(file, o.key, chunk, (b) => b.files, o.files.work);
  if (done) return { batch: done, rendered: false };
  const r = await renderChannels(o.model, { ...o.settings, channels: chunk }, { onStep: (s) => o.onSteps?.(s.step * chunk.length) });
  const files = chunk.map((c) => o.files.amPng(c));
  for (const [i, f] of files.entries()) await savePng(path.join(o.files.work, f), r.images[i]!);
  const batch: MainBatch = { key: o.key, channels: [...chunk], activations: r.activations, files, millis: r.millis };
  writeJson(file, batch);
  return { batch, rendered: true };
}

/** The diverse batch of `sub` (channels with their main activations): read if committed, else rendered and committed. */
export async function diverseBatch(o: AmPhaseOptions, sub: readonly number[], mainActivations: readonly number[]): Promise<{ batch: DiverseBatchFile; rendered: boolean }> {
  const file = o.files.diverseBatch(sub[0]!, sub.at(-1)!);
  const done = committed<DiverseBatchFile>(file, o.key, sub, (b) => b.sets.flatMap((s) => s.files), o.files.work);
  if (done) return { batch: done, rendered: false };
  const weights = mainActivations.map((a) => o.diverse.relativeWeight * Math.abs(a));
  const n = o.diverse.n;
  const r = await renderDiverse(o.model, { ...o.settings, channels: sub, n, weight: weights }, { onStep: (s) => o.onSteps?.(s.step * sub.length * n) });
  const sets: DiverseBatchFile['sets'] = [];
  for (const set of r.sets) {
    const files = set.images.map((_, i) => `am/c${set.channel}_d${i}.png`);
    for (const [i, f] of files.entries()) await savePng(path.join(o.files.work, f), set.images[i]!);
    sets.push({ channel: set.channel, files, activations: set.activations, similarity: set.similarity });
  }
  const batch: DiverseBatchFile = { key: o.key, channels: [...sub], weights, sets, millis: r.millis };
  writeJson(file, batch);
  return { batch, rendered: true };
}

/** A work-relative PNG as an image. */
export function readWorkImage(files: AtlasFiles, rel: string): Promise<RgbImage> {
  return readImage(path.join(files.work, rel));
}
