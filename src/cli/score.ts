/**
 * `featvis score --am <run dir>[,<run dir>…] --store <exemplars.sqlite>`: the
 * interpretability score of each channel of an AM run (mean distance to its
 * top-9), with the chance floor and the ceiling; several AM runs (seeds) give a
 * 95 % confidence interval.
 */
import fs from 'node:fs';
import path from 'node:path';
import { listImages } from '../data/folder.js';
import { readImage, writeFileAtomic } from '../data/image.js';
import { ExemplarStore } from '../exemplars/store.js';
import { createMetric } from '../experiments/metricFactory.js';
import { amDistances, channelControls, meanCI, type ExemplarRef } from '../metrics/interpretability.js';
import { FeatvisError } from '../core/errors.js';
import { Rng } from '../optvis/rng.js';
import type { ChannelResult } from '../optvis/visualize.js';
import type { AmSettings } from '../optvis/settings.js';
import { Args, parseArgs } from './args.js';
import { METRIC_HELP, metricFromArgs } from './metricArgs.js';
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

export async function runScore(argv: readonly string[]): Promise<void> {
  const a = new Args(parseArgs(argv, ['crop', 'help']));
  if (a.bool('help', false)) {
    console.log(`featvis score --am <run dir>[,<run dir>…] --store <exemplars.sqlite> [--size 128] [--floor-images <folder>] [--crop] [--out score.json]\n${METRIC_HELP}`);
    return;
  }
  const amDirs = (a.str('am') ?? '').split(',').filter(Boolean);
  const storeFile = a.str('store');
  if (amDirs.length === 0 || !storeFile) throw new FeatvisError('featvis score needs --am <run dir> and --store <exemplars.sqlite> (see --help)');
  const size = a.num('size', 128, (n) => Number.isInteger(n) && n >= 16, 'an integer ≥ 16');
  const crop = a.bool('crop', false);
  const floorFlag = a.str('floor-images');
  const outFile = a.str('out', path.join(amDirs[0]!, 'score.json'));
  const cfg = metricFromArgs(a);
  a.finish();
  const runs = amDirs.map(readAmRun);
  const layer = runs[0]!.settings.layer;
  if (runs.some((r) => r.settings.layer !== layer)) throw new FeatvisError('all --am runs must be of the same layer');
  const channels = runs[0]!.results.map((r) => r.channel);
  const metric = await createMetric(cfg);
  const store = new ExemplarStore(storeFile, { readonly: true });
  const run = store.runForLayer(layer);
  const pool = listImages(floorFlag ?? run.root).map((e) => e.path);
  const bar = new Progress({ label: 'score', total: channels.length, unit: 'channels' });
  const rows: Array<Record<string, unknown>> = [];
  try {
    for (const ch of channels) {
      const ex: ExemplarRef[] = store.topK(layer, ch).map((t) => ({ path: t.path, box: t.box, inputSize: run.size }));
      const chosen = new Set(ex.map((e) => e.path));
      const rng = new Rng(ch + 1);
      const random: string[] = [];
      const candidates = pool.filter((p) => !chosen.has(p));
      while (random.length < Math.min(ex.length, candidates.length)) {
        const p = candidates[rng.int(0, candidates.length - 1)]!;
        if (!random.includes(p)) random.push(p);
      }
      const controls = await channelControls(metric, ex, random, size, crop);
      const perSeed: number[] = [];
      let distances: number[] = [];
      for (const r of runs) {
        const res = r.results.find((x) => x.channel === ch);
        if (!res?.file) throw new FeatvisError(`${r.dir} has no image for channel ${ch}`);
        const d = await amDistances(metric, await readImage(path.join(r.dir, res.file)), ex, size, crop);
        perSeed.push(d.score);
        if (distances.length === 0) distances = d.distances;
      }
      const ci = meanCI(perSeed);
      rows.push({ channel: ch, score: ci.mean, ci95: ci.halfWidth, floor: controls.floor, ceiling: controls.ceiling, distances });
      bar.tick();
    }
  } finally {
    bar.finish();
    store.close();
  }
  console.log(`metric: ${metric.describe()}`);
  console.log('channel   score   ±95%    floor  ceiling   (lower = closer to real images)');
  for (const r of rows) {
    const f = (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : '  –   ');
    console.log(`${String(r.channel).padStart(7)}  ${f(r.score)}  ${f(r.ci95)}  ${f(r.floor)}  ${f(r.ceiling)}`);
  }
  writeFileAtomic(outFile, JSON.stringify({ metric: metric.describe(), layer, size, crop, runs: amDirs, channels: rows }, null, 2));
  console.log(`wrote ${outFile}`);
  metric.dispose();
}
