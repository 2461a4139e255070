/** `featvis atlas`: every channel of a layer as a browsable offline site (resumable job; src/atlas/job.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { runAtlas, type AtlasPhase } from '../atlas/job.js';
import { writeAtlasSite } from '../atlas/site.js';
import { listImages } from '../data/folder.js';
import { FeatvisError } from '../core/errors.js';
import { fileSafe } from '../core/names.js';
import { loadModel } from '../models/load.js';
import { expandChannelRanges, parseChannelRanges } from '../optvis/objectiveParse.js';
import type { CommandArgs } from './options.js';
import { metricFromArgs } from './metricArgs.js';
import { formatDuration, Progress } from './progress.js';

function readLabels(file: string): Record<number, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new FeatvisError(`--labels: cannot read ${file} as JSON (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
  }
  const out: Record<number, string> = {};
  const entries: Array<[string, unknown]> = Array.isArray(raw) ? raw.map((v, i) => [String(i), v]) : typeof raw === 'object' && raw !== null ? Object.entries(raw) : [];
  if (entries.length === 0) throw new FeatvisError(`--labels: ${file} must hold an object {"channel": "label"} or an array of labels`);
  for (const [k, v] of entries) {
    if (!/^\d+$/.test(k) || typeof v !== 'string') throw new FeatvisError(`--labels: entry ${JSON.stringify(k).slice(0, 40)} must map a channel number to a string`);
    out[Number(k)] = v;
  }
  return out;
}

export async function run(a: CommandArgs): Promise<void> {
  if (a.bool('site-only')) {
    const out = a.optStr('out');
    if (!out) throw new FeatvisError('featvis atlas --site-only needs --out <atlas folder>');
    const siteOut = a.optStr('site-out');
    const selection = a.optStr('site-channels');
    const channels = selection === undefined ? undefined : expandChannelRanges(parseChannelRanges(selection));
    const site = writeAtlasSite(out, { ...(siteOut ? { out: siteOut } : {}), ...(channels ? { channels } : {}) });
    console.log(`wrote ${site.index}: ${site.pages} channel pages, ${site.files.length} files, ${(site.bytes / 2 ** 20).toFixed(2)} MiB`);
    return;
  }
  const modelSrc = a.str('model');
  const layer = a.str('layer');
  const imagesFlag = a.str('images');
  const channelFlag = a.optStr('channels');
  const ranges = channelFlag === undefined ? undefined : parseChannelRanges(channelFlag);
  const steps = a.optInt('steps', { min: 1 });
  const size = a.optInt('size', { min: 16, max: 2048 });
  const batch = a.optInt('batch', { min: 1 });
  const seed = a.optInt('seed', { min: 0 });
  const am = {
    ...(steps !== undefined ? { steps } : {}),
    ...(size !== undefined ? { size } : {}),
    ...(batch !== undefined ? { batchSize: batch } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
  const diverse = a.int('diverse', { min: 0 });
  if (diverse === 1) throw new FeatvisError("option --diverse: '1' is not 0 or an integer ≥ 2");
  const diversityWeight = a.num('diversity', { min: 0 });
  const diverseBatch = a.optInt('diverse-batch', { min: 1 });
  const k = a.int('k', { min: 1 });
  const heldOut = a.int('held-out', { min: 0 });
  const mineBatch = a.int('mine-batch', { min: 1 });
  const scoreSize = a.int('score-size', { min: 32 });
  const probe = a.int('probe', { min: 2 });
  const thumb = a.int('thumb', { min: 16, max: 512 });
  const labelsFile = a.optStr('labels');
  const metric = metricFromArgs(a);
  const outFlag = a.optStr('out');
  const labels = labelsFile ? readLabels(labelsFile) : undefined;
  const folders = imagesFlag.split(',').map((s) => s.trim()).filter(Boolean);
  const files = folders.length === 1 ? [] : folders.flatMap((f) => listImages(f).map((e) => e.path));
  if (folders.length === 0 || (folders.length > 1 && files.length === 0)) throw new FeatvisError(`no images found in ${imagesFlag}`);
  const model = await loadModel(modelSrc);
  try {
    const info = model.layers.find((l) => l.name === layer);
    const channels = ranges && info ? expandChannelRanges(ranges, { channels: info.shape.at(-1) ?? 0, layer }) : undefined;
    const out = outFlag ?? path.join('runs', 'atlas', `${fileSafe(model.name)}-${fileSafe(layer)}`);
    console.error(`featvis atlas: ${model.name} · ${layer} → ${out}`);
    const bars = new Map<AtlasPhase, Progress>();
    const res = await runAtlas({
      model,
      layer,
      ...(channels ? { channels } : {}),
      images: folders.length === 1 ? folders[0]! : files,
      outDir: out,
      am,
      diverse,
      diversityWeight,
      ...(diverseBatch !== undefined ? { diverseBatch } : {}),
      k,
      heldOut,
      mineBatch,
      metric,
      scoreSize,
      probeImages: probe,
      thumb,
      ...(labels ? { labels } : {}),
      onProgress: (p) => {
        if (p.total <= 0) return;
        let bar = bars.get(p.phase);
        if (!bar) {
          for (const [ph, b] of bars) if (ph !== p.phase) b.finish();
          bar = new Progress({ label: p.phase, total: p.total, unit: p.unit, start: p.phase === 'mining' && p.mining ? p.done - p.mining.doneThisCall : 0 });
          bars.set(p.phase, bar);
        }
        bar.total = p.total;
        bar.update(p.done, p.channels ? `${p.channels.done}/${p.channels.total} channels` : p.mining ? `${p.mining.skipped} skipped` : undefined);
      },
    });
    for (const b of bars.values()) b.finish();
    const times = Object.entries(res.seconds)
      .map(([ph, s]) => `${ph} ${formatDuration(s)}`)
      .join(', ');
    console.log(`${res.manifest.channels.length} channels (${res.resumed.length} already finished, ${res.recorded.length} now); ${times}`);
    console.log(`wrote ${res.site.index}: ${res.site.pages} channel pages, ${(res.site.bytes / 2 ** 20).toFixed(1)} MiB (open it in a browser; it needs no network)`);
  } finally {
    model.dispose();
  }
}
