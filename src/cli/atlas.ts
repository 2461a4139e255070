/** `featvis atlas`: every channel of a layer as a browsable offline site (resumable job; src/atlas/job.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { ATLAS_DEFAULTS, runAtlas, type AtlasPhase } from '../atlas/job.js';
import { writeAtlasSite } from '../atlas/site.js';
import { listImages } from '../data/folder.js';
import { FeatvisError } from '../core/errors.js';
import { fileSafe } from '../core/names.js';
import { loadModel } from '../models/load.js';
import { expandChannelRanges, parseChannelRanges } from '../optvis/objectiveParse.js';
import { AM_DEFAULTS } from '../optvis/settings.js';
import { Args, parseArgs } from './args.js';
import { METRIC_HELP, metricFromArgs } from './metricArgs.js';
import { formatDuration, Progress } from './progress.js';

export const ATLAS_HELP = `featvis atlas --model <…> --layer <name> --images <folder>[,<folder>…] — a layer atlas: every channel as an offline site

Renders every channel with the default AM recipe (fv.AM_DEFAULTS) plus a diverse set per channel (Gram-matrix
diversity penalty), mines the top-(k + held-out) exemplars with receptive-field crops and an activation histogram
per channel, scores each channel (distance to its top-k with chance, ceiling, held-out exemplars and channel
identification), finds nearest channels (co-activation, shared exemplars) and writes <out>/index.html and one page
per channel. Resumable: kill it at any moment and run the same command again; finished channels are never redone.

  --channels <list>       e.g. 0-63 (default: every channel of the layer)
  --out <dir>             (default runs/atlas/<model>-<layer>)
  --steps <n> --size <px> --batch <n> --seed <n>   AM recipe overrides (default ${AM_DEFAULTS.steps} steps, ${AM_DEFAULTS.size} px, batches of ${AM_DEFAULTS.batchSize})
  --diverse <n>           diverse images per channel (default ${ATLAS_DEFAULTS.diverse}; 0 = none)
  --diversity <x>         diversity penalty × the channel's own AM activation (default ${ATLAS_DEFAULTS.diversityWeight})
  --diverse-batch <n>     channels per diverse batch (default: batch / diverse)
  --k <n> --held-out <n>  exemplars shown and scored (default ${ATLAS_DEFAULTS.k}); held out as the positive control (default ${ATLAS_DEFAULTS.heldOut})
  --mine-batch <n>        images per mining batch (default ${ATLAS_DEFAULTS.mineBatch})
  --score-size <px>       side images are compared at (default ${ATLAS_DEFAULTS.scoreSize})
  --probe <n>             dataset images for co-activation (default ${ATLAS_DEFAULTS.probeImages})
  --thumb <px>            exemplar thumbnail side (default ${ATLAS_DEFAULTS.thumb})
  --labels <file.json>    channel names: {"12": "dog snouts", …} or ["name of 0", …]
${METRIC_HELP}

  --site-only             only rewrite the site from the atlas in --out (no model needed)
  --site-out <dir>        with --site-only: write the site (and the images it shows) to another folder
  --site-channels <list>  with --site-only: a selection of channels (e.g. 0-15 for a small published example)`;

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

export async function runAtlasCli(argv: readonly string[]): Promise<void> {
  const a = new Args(parseArgs(argv, ['help', 'site-only']));
  if (a.bool('help', false)) {
    console.log(ATLAS_HELP);
    return;
  }
  const int = (n: number): boolean => Number.isInteger(n) && n >= 1;
  if (a.bool('site-only', false)) {
    const out = a.str('out');
    if (!out) throw new FeatvisError('featvis atlas --site-only needs --out <atlas folder>');
    const siteOut = a.str('site-out');
    const selection = a.str('site-channels');
    a.finish();
    const channels = selection === undefined ? undefined : expandChannelRanges(parseChannelRanges(selection));
    const site = writeAtlasSite(out, { ...(siteOut ? { out: siteOut } : {}), ...(channels ? { channels } : {}) });
    console.log(`wrote ${site.index}: ${site.pages} channel pages, ${site.files.length} files, ${(site.bytes / 2 ** 20).toFixed(2)} MiB`);
    return;
  }
  const modelSrc = a.str('model');
  const layer = a.str('layer');
  const imagesFlag = a.str('images');
  if (!modelSrc || !layer || !imagesFlag) throw new FeatvisError('featvis atlas needs --model, --layer and --images (see --help)');
  const channelFlag = a.str('channels');
  const ranges = channelFlag === undefined ? undefined : parseChannelRanges(channelFlag);
  const am = {
    ...(a.optNum('steps') !== undefined ? { steps: a.num('steps', 0, int, 'a positive integer') } : {}),
    ...(a.optNum('size') !== undefined ? { size: a.num('size', 0, (n) => Number.isInteger(n) && n >= 16 && n <= 2048, 'an integer in 16–2048') } : {}),
    ...(a.optNum('batch') !== undefined ? { batchSize: a.num('batch', 0, int, 'a positive integer') } : {}),
    ...(a.optNum('seed') !== undefined ? { seed: a.num('seed', 0, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer') } : {}),
  };
  const diverse = a.num('diverse', ATLAS_DEFAULTS.diverse, (n) => Number.isInteger(n) && (n === 0 || n >= 2), '0 or an integer ≥ 2');
  const diversityWeight = a.num('diversity', ATLAS_DEFAULTS.diversityWeight, (n) => n >= 0, 'a number ≥ 0');
  const diverseBatch = a.optNum('diverse-batch');
  const k = a.num('k', ATLAS_DEFAULTS.k, int, 'a positive integer');
  const heldOut = a.num('held-out', ATLAS_DEFAULTS.heldOut, (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0');
  const mineBatch = a.num('mine-batch', ATLAS_DEFAULTS.mineBatch, int, 'a positive integer');
  const scoreSize = a.num('score-size', ATLAS_DEFAULTS.scoreSize, (n) => Number.isInteger(n) && n >= 32, 'an integer ≥ 32');
  const probe = a.num('probe', ATLAS_DEFAULTS.probeImages, (n) => Number.isInteger(n) && n >= 2, 'an integer ≥ 2');
  const thumb = a.num('thumb', ATLAS_DEFAULTS.thumb, (n) => Number.isInteger(n) && n >= 16 && n <= 512, 'an integer in 16–512');
  const labelsFile = a.str('labels');
  const metric = metricFromArgs(a);
  const outFlag = a.str('out');
  a.finish();
  if (diverseBatch !== undefined && !int(diverseBatch)) throw new FeatvisError(`option --diverse-batch: '${diverseBatch}' is not a positive integer`);
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
