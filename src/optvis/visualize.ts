/**
 * Activation maximisation for many channels of one layer: channels are
 * rendered in batches (renderChannels: one image per channel, optimised
 * together); each finished batch is written at once (PNG per channel +
 * run.json), so an interrupted run resumes where it stopped when started again
 * with the same output folder and settings. The CLI and the notebooks both
 * call this.
 */
import fs from 'node:fs';
import path from 'node:path';
import { backendInfo } from '../backend/tf.js';
import { readImage, savePng, writeFileAtomic, type RgbImage, removeStaleTemps } from '../data/image.js';
import { composeGrid } from '../data/grid.js';
import { channelRangeError, FeatvisError } from '../core/errors.js';
import { fileSafe } from '../core/names.js';
import { runKey } from '../core/runKey.js';
import type { FeatModel } from '../core/types.js';
import { modelIdentity } from '../models/fingerprint.js';
import { imageQuality, summarizeQuality, type ImageQuality, type QualitySummary } from '../data/quality.js';
import { channelCount } from './objectives.js';
import { renderChannels } from './renderChannels.js';
import type { StepInfo } from './render.js';
import { amSettings, type AmOverrides, type AmSettings } from './settings.js';

export interface ChannelResult {
  channel: number;
  /** Objective (mean channel activation) on the final image, no transforms. */
  activation: number;
  /** Image-quality numbers of the final image (src/metrics/imageQuality.ts). */
  quality?: ImageQuality;
  file?: string;
  snapshots?: Array<{ step: number; file: string }>;
  millis: number;
}

export interface VisualizeResult {
  settings: AmSettings;
  results: ChannelResult[];
  /** Quality of the run's images (medians over channels). */
  quality: QualitySummary;
  /** Images in channel order (host copies). */
  images: RgbImage[];
  gridFile?: string;
  runFile?: string;
}

export interface VisualizeProgress {
  /** Channels finished (including resumed ones). */
  done: number;
  total: number;
  /** Current batch's step info, and the batch's size. */
  step?: StepInfo;
  batch?: number;
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
  runKey: string;
  settings: AmSettings;
  backend: ReturnType<typeof backendInfo>;
  results: ChannelResult[];
  quality?: QualitySummary;
  grid?: string;
  updated: string;
}

/**
 * Run key of an AM run: what determines its images, i.e. the model (name and
 * weights) and the settings except the channel list. The batch size stays in:
 * floating-point results depend on the batch a channel is rendered in.
 */
export function amRunKey(model: Pick<FeatModel, 'name' | 'fingerprint'>, s: AmSettings): string {
  const { channels: _c, ...rest } = s;
  return runKey({ modelName: modelIdentity(model), ...rest });
}

function checkChannels(model: FeatModel, s: AmSettings): void {
  const n = channelCount(model, s.layer);
  for (const c of s.channels) if (!Number.isInteger(c) || c < 0 || c >= n) throw channelRangeError(s.layer, c, n);
  if (new Set(s.channels).size !== s.channels.length) throw new FeatvisError('channel list has duplicates');
}

function qualityOf(results: readonly ChannelResult[]): QualitySummary {
  return summarizeQuality(results.flatMap((r) => (r.quality ? [r.quality] : [])));
}

function readRun(file: string): RunFile | null {
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as RunFile;
  } catch {
    return null;
  }
}

function refuseResume(outDir: string, previous: RunFile, s: AmSettings): FeatvisError {
  const prev = previous.settings;
  if (prev && typeof prev === 'object' && prev.batchSize !== s.batchSize && amRunKey({ name: '' }, { ...prev, batchSize: s.batchSize }) === amRunKey({ name: '' }, s)) {
    return new FeatvisError(
      `${outDir} holds a run rendered in batches of ${prev.batchSize}; resuming with batch ${s.batchSize} would give other images ` +
        `(floating-point results depend on the batch): rerun with --batch ${prev.batchSize}, or choose another --out folder`,
    );
  }
  return new FeatvisError(`${outDir} holds a run with other settings (model or its weights/layer/steps/regularisers…): choose another --out folder or delete it`);
}

/** AM for `settings.channels` of `settings.layer` (defaults from AM_DEFAULTS for whatever is left out). */
export async function visualizeChannels(model: FeatModel, settings: AmOverrides, opts: VisualizeOptions = {}): Promise<VisualizeResult> {
  const s = amSettings(settings);
  checkChannels(model, s);
  const key = amRunKey(model, s);
  const runFile = opts.outDir ? path.join(opts.outDir, 'run.json') : undefined;
  if (opts.outDir) removeStaleTemps(opts.outDir, 1); // what a killed run was writing
  const previous = runFile ? readRun(runFile) : null;
  if (previous && previous.runKey !== key) throw refuseResume(opts.outDir!, previous, s);
  const done = new Map<number, ChannelResult>();
  for (const r of previous?.results ?? []) {
    if (r.file && fs.existsSync(path.join(opts.outDir!, r.file))) done.set(r.channel, r);
  }
  const todo = s.channels.filter((c) => !done.has(c));
  const images = new Map<number, RgbImage>();
  const total = s.channels.length;
  const save = (): void => {
    if (!runFile) return;
    const results = s.channels.filter((c) => done.has(c)).map((c) => done.get(c)!);
    const run: RunFile = {
      featvis: 'am-run/2',
      model: model.name,
      runKey: key,
      settings: s,
      backend: backendInfo(),
      results,
      quality: qualityOf(results),
      updated: new Date().toISOString(),
    };
    writeFileAtomic(runFile, JSON.stringify(run, null, 2));
  };
  opts.onProgress?.({ done: done.size, total });
  for (let i = 0; i < todo.length; i += s.batchSize) {
    const batch = todo.slice(i, i + s.batchSize);
    const r = await renderChannels(model, { ...s, channels: batch }, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      onStep: (step) => opts.onProgress?.({ done: done.size, total, step, batch: batch.length }),
    });
    const perChannelMs = r.millis / batch.length;
    for (let j = 0; j < batch.length; j++) {
      const c = batch[j]!;
      images.set(c, r.images[j]!);
      const res: ChannelResult = { channel: c, activation: r.activations[j]!, quality: imageQuality(r.images[j]!), millis: Math.round(perChannelMs) };
      if (opts.outDir) {
        res.file = `${fileSafe(s.layer)}_${c}.png`;
        await savePng(path.join(opts.outDir, res.file), r.images[j]!);
        res.snapshots = [];
        for (const snap of r.snapshots) {
          const f = `snapshots/${fileSafe(s.layer)}_${c}_step${snap.step}.png`;
          await savePng(path.join(opts.outDir, f), snap.images[j]!);
          res.snapshots.push({ step: snap.step, file: f });
        }
      }
      done.set(c, res);
    }
    save();
    opts.onProgress?.({ done: done.size, total });
  }
  // Resumed channels: load their images from disk for the grid / caller.
  if (opts.outDir) {
    for (const c of s.channels) if (!images.has(c)) images.set(c, await readImage(path.join(opts.outDir, done.get(c)!.file!)));
  }
  const ordered = s.channels.map((c) => images.get(c)!);
  // Runs written before quality numbers existed: measure the images read back.
  for (const [i, c] of s.channels.entries()) if (!done.get(c)!.quality) done.get(c)!.quality = imageQuality(ordered[i]!);
  const results = s.channels.map((c) => done.get(c)!);
  const result: VisualizeResult = { settings: s, results, quality: qualityOf(results), images: ordered };
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
