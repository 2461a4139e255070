/**
 * Activation maximisation for many channels of one layer: channels are
 * rendered in batches (one image per channel, optimised together); each
 * finished batch is written at once (PNG per channel + run.json), so an
 * interrupted run resumes where it stopped when started again with the same
 * output folder and settings. The CLI and the notebooks both call this.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { backendInfo, tf } from '../backend/tf.js';
import { batchToImages, savePng, writeFileAtomic, type RgbImage } from '../data/image.js';
import { composeGrid } from '../data/grid.js';
import { channelRangeError, FeatvisError, unknownLayerError } from '../core/errors.js';
import type { FeatModel } from '../core/types.js';
import { modelKey } from '../models/fingerprint.js';
import { channels as channelsObjective } from './objectives.js';
import { createParam, type ParamKind } from './param/index.js';
import type { Regularizers } from './regularizers.js';
import { render, type StepInfo } from './render.js';
import type { TransformSpec } from './transforms.js';
import { fileSafe } from '../core/names.js';

/** How each AM image is made (shared by single runs and sweeps). */
export interface AmImageSettings {
  steps: number;
  size: number;
  learningRate: number;
  param: ParamKind;
  decorrelate: boolean;
  /** Per-step random transforms. */
  transforms: TransformSpec;
}

export interface VisualizeSettings extends AmImageSettings {
  layer: string;
  channels: number[];
  regularizers: Regularizers;
  seed: number;
  batchSize: number;
  snapshots: number[];
}

export interface ChannelResult {
  channel: number;
  /** Objective (mean channel activation) on the final image, no transforms. */
  activation: number;
  file?: string;
  snapshots?: Array<{ step: number; file: string }>;
  millis: number;
}

export interface VisualizeResult {
  settings: VisualizeSettings;
  results: ChannelResult[];
  /** Images in channel order (host copies). */
  images: RgbImage[];
  gridFile?: string;
  runFile?: string;
}

export interface VisualizeProgress {
  /** Channels finished (including resumed ones). */
  done: number;
  total: number;
  /** Current batch's step info. */
  step?: StepInfo;
}

export interface VisualizeOptions {
  /** Output folder: PNGs, grid.png, run.json. Omit to keep results in memory only. */
  outDir?: string;
  onProgress?: (p: VisualizeProgress) => void;
  signal?: AbortSignal;
  /** Also write the contact-sheet grid (default true when outDir is set). */
  grid?: boolean;
}

interface RunFile {
  featvis: string;
  model: string;
  settingsHash: string;
  settings: VisualizeSettings;
  backend: ReturnType<typeof backendInfo>;
  results: ChannelResult[];
  grid?: string;
  updated: string;
}

/** Hash of what determines the images: the model (name and weights, see modelKey) and the settings. */
export function settingsHash(model: Pick<FeatModel, 'name' | 'fingerprint'>, s: VisualizeSettings): string {
  // batchSize does not change the images: leave it out so a resume may use another.
  const { batchSize: _b, channels: _c, ...rest } = s;
  return crypto.createHash('sha256').update(JSON.stringify({ modelName: modelKey(model), ...rest })).digest('hex').slice(0, 16);
}

function checkLayer(model: FeatModel, s: VisualizeSettings): void {
  const info = model.layers.find((l) => l.name === s.layer);
  if (!info) throw unknownLayerError(s.layer, model.layers.map((l) => l.name), model.name);
  const n = info.shape.at(-1) ?? 0;
  for (const c of s.channels) if (!Number.isInteger(c) || c < 0 || c >= n) throw channelRangeError(s.layer, c, n);
  if (s.channels.length === 0) throw new FeatvisError('no channels to visualise');
  if (new Set(s.channels).size !== s.channels.length) throw new FeatvisError('channel list has duplicates');
}

/** Seed of channel c: images do not depend on batching or on which other channels run. */
export function channelSeed(seed: number, channel: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(channel + 1, 0x85ebca6b)) >>> 0;
}

function readRun(file: string): RunFile | null {
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RunFile;
  } catch {
    return null;
  }
}

export async function visualizeChannels(model: FeatModel, s: VisualizeSettings, opts: VisualizeOptions = {}): Promise<VisualizeResult> {
  checkLayer(model, s);
  const hash = settingsHash(model, s);
  const runFile = opts.outDir ? path.join(opts.outDir, 'run.json') : undefined;
  const previous = runFile ? readRun(runFile) : null;
  if (previous && previous.settingsHash !== hash) {
    throw new FeatvisError(`${opts.outDir} holds a run with other settings (model or its weights/layer/steps/regularisers…): choose another --out folder or delete it`);
  }
  const done = new Map<number, ChannelResult>();
  for (const r of previous?.results ?? []) {
    if (r.file && fs.existsSync(path.join(opts.outDir!, r.file))) done.set(r.channel, r);
  }
  const todo = s.channels.filter((c) => !done.has(c));
  const images = new Map<number, RgbImage>();
  const total = s.channels.length;
  const save = (): void => {
    if (!runFile) return;
    const run: RunFile = {
      featvis: 'am-run/1',
      model: model.name,
      settingsHash: hash,
      settings: s,
      backend: backendInfo(),
      results: s.channels.filter((c) => done.has(c)).map((c) => done.get(c)!),
      updated: new Date().toISOString(),
    };
    writeFileAtomic(runFile, JSON.stringify(run, null, 2));
  };
  opts.onProgress?.({ done: done.size, total });
  for (let i = 0; i < todo.length; i += s.batchSize) {
    const batch = todo.slice(i, i + s.batchSize);
    // Per-channel seeds: a channel's image does not depend on its batch-mates.
    const seeds = batch.map((c) => channelSeed(s.seed, c));
    const joined = createParam(s.param, { batch: batch.length, height: s.size, width: s.size, seed: seeds, decorrelate: s.decorrelate });
    const started = Date.now();
    try {
      const r = await render(model, channelsObjective(s.layer, batch), joined, {
        steps: s.steps,
        learningRate: s.learningRate,
        transforms: s.transforms,
        regularizers: s.regularizers,
        seed: s.seed,
        snapshots: s.snapshots,
        ...(opts.signal ? { signal: opts.signal } : {}),
        onStep: (step) => opts.onProgress?.({ done: done.size, total, step }),
      });
      const imgs = await batchToImages(r.images);
      r.images.dispose();
      const perChannelMs = (Date.now() - started) / batch.length;
      for (let j = 0; j < batch.length; j++) {
        const c = batch[j]!;
        images.set(c, imgs[j]!);
        const res: ChannelResult = { channel: c, activation: r.activations[j]!, millis: Math.round(perChannelMs) };
        if (opts.outDir) {
          res.file = `${fileSafe(s.layer)}_${c}.png`;
          await savePng(path.join(opts.outDir, res.file), imgs[j]!);
          res.snapshots = [];
          for (const snap of r.snapshots) {
            const f = `${fileSafe(s.layer)}_${c}_step${snap.step}.png`;
            const snapImgs = await batchToImages(snap.images);
            await savePng(path.join(opts.outDir, 'snapshots', f), snapImgs[j]!);
            res.snapshots.push({ step: snap.step, file: `snapshots/${f}` });
          }
        }
        done.set(c, res);
      }
      tf.dispose(r.snapshots.map((x) => x.images));
      save();
      opts.onProgress?.({ done: done.size, total });
    } finally {
      joined.dispose();
    }
  }
  // Resumed channels: load their images from disk for the grid / caller.
  if (opts.outDir) {
    const { readImage } = await import('../data/image.js');
    for (const c of s.channels) if (!images.has(c)) images.set(c, await readImage(path.join(opts.outDir, done.get(c)!.file!)));
  }
  const ordered = s.channels.map((c) => images.get(c)!);
  const result: VisualizeResult = { settings: s, results: s.channels.map((c) => done.get(c)!), images: ordered };
  if (opts.outDir && opts.grid !== false) {
    const png = await composeGrid(ordered, {
      captions: result.results.map((r) => `${r.channel}: ${r.activation.toFixed(2)}`),
      title: `${model.name} · ${s.layer}`,
    });
    result.gridFile = path.join(opts.outDir, 'grid.png');
    writeFileAtomic(result.gridFile, png);
    const run = readRun(runFile!);
    if (run) writeFileAtomic(runFile!, JSON.stringify({ ...run, grid: 'grid.png' }, null, 2));
  }
  if (runFile) result.runFile = runFile;
  return result;
}
