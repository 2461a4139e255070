/**
 * `featvis score --am <run dir>[,<run dir>…] --store <exemplars.sqlite>`: the
 * interpretability of each channel of an AM run with its controls (chance =
 * the AM image vs random dataset images, ceiling, held-out exemplars), the
 * normalised interpretability with a 95 % CI over seeds, and channel
 * identification; several AM runs (seeds) tighten the intervals. The numbers
 * come from scoreLayer, the function sweeps, `featvis identify` and the notebooks use.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readImage, writeFileAtomic } from '../data/image.js';
import { ExemplarStore } from '../exemplars/store.js';
import { scoreLayer, type AmSample, type LayerScore } from '../experiments/layerScore.js';
import { resolveMetric } from '../experiments/metricFactory.js';
import { formatAccuracy, formatMeanCI } from '../experiments/identify.js';
import { FeatvisError } from '../core/errors.js';
import { VARIANT_TITLES } from '../metrics/embedding.js';
import type { ChannelResult } from '../optvis/visualize.js';
import type { AmSettings } from '../optvis/settings.js';
import { metricFromArgs } from './metricArgs.js';
import type { CommandArgs } from './options.js';
import { Progress } from './progress.js';

interface AmRun {
  dir: string;
  settings: AmSettings;
  results: ChannelResult[];
}

function readAmRun(dir: string): AmRun {
  const f = path.join(dir, 'run.json');
  if (!fs.existsSync(f)) throw new FeatvisError(`${dir} is not an AM run folder (no run.json): make one with \`featvis am --out ${dir}\``);
  const j = JSON.parse(fs.readFileSync(f, 'utf8')) as { settings: AmSettings; results: ChannelResult[] };
  return { dir, settings: j.settings, results: j.results };
}

export async function run(a: CommandArgs): Promise<void> {
  const amDirs = a.list('am') ?? [];
  const storeFile = a.optStr('store');
  if (amDirs.length === 0 || !storeFile) throw new FeatvisError('needs --am <run dir> and --store <exemplars.sqlite> (see featvis score --help)');
  const size = a.int('size', { min: 16 });
  const crop = a.bool('crop');
  const k = a.int('k', { min: 1 });
  const heldOut = a.int('held-out', { min: 0 });
  const randomK = a.optInt('random', { min: 1 }) ?? k;
  const outFile = a.optStr('out') ?? path.join(amDirs[0]!, 'score.json');
  const cfg = metricFromArgs(a);
  const runs = amDirs.map(readAmRun);
  const layer = runs[0]!.settings.layer;
  if (runs.some((r) => r.settings.layer !== layer)) throw new FeatvisError('all --am runs must be of the same layer');
  const channels = runs[0]!.results.map((r) => r.channel);
  const seeds = runs.map((r) => r.settings.seed);
  if (new Set(seeds).size !== seeds.length) throw new FeatvisError(`the --am runs must have different seeds (got ${seeds.join(', ')})`);
  const samples: AmSample[] = [];
  for (const r of runs) {
    const images = [];
    for (const ch of channels) {
      const res = r.results.find((x) => x.channel === ch);
      if (!res?.file) throw new FeatvisError(`${r.dir} has no image for channel ${ch}`);
      images.push(await readImage(path.join(r.dir, res.file)));
    }
    samples.push({ seed: r.settings.seed, images });
  }
  const { metric, why } = await resolveMetric(cfg);
  const store = new ExemplarStore(storeFile, { readonly: true });
  const bar = new Progress({ label: 'score', total: channels.length * samples.length, unit: 'channel-seeds' });
  let res: LayerScore;
  try {
    res = await scoreLayer({ metric, store, layer, channels, am: samples, k, heldOut, randomK, size, crop, onProgress: (d) => bar.update(d) });
  } finally {
    bar.finish();
    store.close();
    metric.dispose();
  }
  console.log(`metric: ${why}`);
  console.log(`        ${res.description}`);
  console.log(`${layer}: ${channels.length} channels, seeds ${seeds.join(', ')}; top-${res.k} of ${res.dataset.images} images, held-out ranks ${res.heldOut ? `${res.k + 1}–${res.k + res.heldOut}` : 'none (mine with --k 18)'}`);
  const f = (v: number | null | undefined, d = 4) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–');
  for (const [variant, e] of Object.entries(res.variants)) {
    if (!e) continue;
    console.log(`\n${variant}: ${VARIANT_TITLES[e.variant]}`);
    console.log('channel    score   chance  ceiling  normalised (95 % CI over seeds)  held-out normalised');
    for (const c of e.channels) {
      const score = c.am.reduce((s, x) => s + x.score, 0) / c.am.length;
      const chance = c.am.reduce((s, x) => s + x.chance, 0) / c.am.length;
      console.log(`${String(c.channel).padStart(7)}  ${f(score)}  ${f(chance)}  ${f(c.ceiling)}  ${formatMeanCI(c.normalized).padEnd(31)}  ${f(c.positive?.normalized, 3)}`);
    }
    console.log(`layer: normalised interpretability ${formatMeanCI(e.normalized)} (0 = chance, 1 = ceiling; higher = more interpretable)`);
    console.log(`       positive control (held-out exemplars) ${formatMeanCI(e.positive)}; negative control (random images) ${formatMeanCI(e.negative)}`);
    console.log(`       identification: AM images ${formatAccuracy(e.identification.am)}, held-out exemplars ${formatAccuracy(e.identification.heldOut)}, random images ${formatAccuracy(e.identification.random)} (Wilson 95 %; 50 % = chance)`);
  }
  writeFileAtomic(outFile, JSON.stringify({ ...res, why, runs: amDirs }, null, 1));
  console.log(`\nwrote ${outFile}`);
}
