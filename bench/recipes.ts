/**
 * AM recipes side by side on one model and layer: parameterisation × transform
 * set, each rendering the same channels with the same seeds and steps, scored
 * on image quality (high-frequency share, saturated pixels, colour) and on
 * activation relative to the channel's maximum over a photo dataset. The
 * channels' top-9 exemplars give the photo reference for the quality numbers.
 *
 *   node --import tsx bench/recipes.ts --model <src> --layer <name> [--channels 0-15] [--size 128] [--steps 256]
 *       [--images ../shared/images/imagenet_samples_320] [--recipes a,b,…] [--out runs/recipes/<model>]
 *
 * Results are cached per recipe in <out>/<recipe>.json (rerun = only what is missing); grids in <out>/<recipe>.png.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as fv from '../src/index.js';
import { Args, parseArgs } from '../src/cli/args.js';
import { Progress } from '../src/cli/progress.js';
import { fileSafe } from '../src/core/names.js';
import { formatQuality, imageQuality, summarizeQuality, type QualitySummary } from '../src/data/quality.js';
import { RECIPES, recipeSettings } from '../src/optvis/recipes.js';

const a = new Args(parseArgs(process.argv.slice(2)));
const modelSrc = a.str('model', 'featvis-imagenette');
const layerFlag = a.str('layer');
const channels = fv.parseChannelList(a.str('channels', '0-15'));
const size = a.num('size', 128, (n) => Number.isInteger(n) && n >= 32, 'an integer ≥ 32');
const steps = a.num('steps', 256, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
const batch = a.num('batch', 16, (n) => Number.isInteger(n) && n > 0, 'a positive integer');
const images = a.str('images', '../shared/images/imagenet_samples_320');
const mineSize = a.num('mine-size', 0);
const names = (a.str('recipes') ?? Object.keys(RECIPES).join(',')).split(',').filter(Boolean);
const outFlag = a.str('out');
a.finish();
for (const n of names) if (!RECIPES[n]) throw new fv.FeatvisError(`unknown recipe '${n}' (known: ${Object.keys(RECIPES).join(', ')})`);

const model = await fv.loadModel(modelSrc);
const layer = layerFlag ?? fv.defaultLayer(model);
const out = outFlag ?? path.join('runs', 'recipes', fileSafe(model.name), fileSafe(layer));
fs.mkdirSync(out, { recursive: true });
console.log(`# AM recipes · ${model.name} · ${layer} · ${channels.length} channels · ${steps} steps · ${size} px`);
console.log(`date ${new Date().toISOString()} · load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} · ${os.cpus().length} cores`);

// 1. Dataset maximum and top-9 exemplars per channel (resumable store).
const minePx = mineSize || model.preprocess.size[0];
let bar: Progress | null = null;
const mined = await fv.mineExemplars({
  model,
  layers: [layer],
  images,
  k: 9,
  batchSize: 16,
  size: [minePx, minePx],
  store: path.join(out, 'exemplars.sqlite'),
  onProgress: (p) => {
    bar ??= new Progress({ label: 'dataset', total: p.total, unit: 'images', start: p.done - p.doneThisCall });
    bar.update(p.done);
  },
});
(bar as Progress | null)?.finish();
const store = new fv.ExemplarStore(path.join(out, 'exemplars.sqlite'), { readonly: true });
const datasetMax = channels.map((c) => store.topK(layer, c, 'mean')[0]!.value);
const exemplarQ: QualitySummary = summarizeQuality(
  await Promise.all(channels.flatMap((c) => store.topK(layer, c, 'mean').map(async (e) => imageQuality(await fv.readImage(e.path, [size, size], 'cover'))))),
);
store.close();
console.log(`dataset: ${mined.total} images (${images}) at ${minePx} px; exemplars (top-9 of each channel, ${exemplarQ.images} images): ${formatQuality(exemplarQ)}`);

// 2. Each recipe.
interface Row {
  recipe: string;
  quality: QualitySummary;
  activations: number[];
  aboveMax: number;
  medianRatio: number;
  seconds: number;
}
const rows: Row[] = [];
for (const name of names) {
  const cache = path.join(out, `${fileSafe(name)}.json`);
  const s = recipeSettings(name, size);
  const key = JSON.stringify({ s, steps, channels, layer, model: model.name, fingerprint: model.fingerprint ?? null });
  if (fs.existsSync(cache)) {
    const c = JSON.parse(fs.readFileSync(cache, 'utf8')) as Row & { key: string };
    if (c.key === key) {
      rows.push(c);
      continue;
    }
  }
  const started = Date.now();
  const imgs: fv.RgbImage[] = [];
  const acts: number[] = [];
  const prog = new Progress({ label: name, total: channels.length * steps, unit: 'channel-steps' });
  for (let i = 0; i < channels.length; i += batch) {
    const chs = channels.slice(i, i + batch);
    const r = await fv.renderChannels(model, { ...fv.AM_DEFAULTS, ...s, layer, channels: chs, steps, seed: 0 }, { onStep: (st) => prog.update(i * steps + st.step * chs.length) });
    imgs.push(...r.images);
    acts.push(...r.activations);
  }
  prog.finish();
  const ratios = acts.map((v, i) => v / datasetMax[i]!);
  const row: Row = {
    recipe: name,
    quality: summarizeQuality(imgs.map(imageQuality)),
    activations: acts,
    aboveMax: ratios.filter((r) => r > 1).length,
    medianRatio: [...ratios].sort((x, y) => x - y)[ratios.length >> 1]!,
    seconds: (Date.now() - started) / 1000,
  };
  rows.push(row);
  fs.writeFileSync(cache, JSON.stringify({ ...row, key }, null, 1));
  fs.writeFileSync(
    path.join(out, `${fileSafe(name)}.png`),
    await fv.composeGrid(imgs, { captions: acts.map((v, i) => `${channels[i]}: ${(v / datasetMax[i]!).toFixed(2)}×`), title: `${model.name} · ${layer} · ${name}` }),
  );
}

// 3. Table.
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
console.log(`\nrecipe              hf share   (× photos)  saturated  colourful  lightness  act > data max  median act/max  s`);
console.log(`exemplars (photos)  ${pct(exemplarQ.hfShare).padStart(8)}   ${'1.00'.padStart(10)}  ${pct(exemplarQ.saturatedShare).padStart(9)}  ${exemplarQ.colorfulness.toFixed(2).padStart(9)}  ${exemplarQ.lightness.toFixed(2).padStart(9)}`);
for (const r of rows) {
  const q = r.quality;
  console.log(
    `${r.recipe.padEnd(18)}  ${pct(q.hfShare).padStart(8)}   ${(q.hfShare / exemplarQ.hfShare).toFixed(2).padStart(10)}  ${pct(q.saturatedShare).padStart(9)}  ${q.colorfulness.toFixed(2).padStart(9)}  ${q.lightness.toFixed(2).padStart(9)}  ${`${r.aboveMax}/${channels.length}`.padStart(14)}  ${r.medianRatio.toFixed(2).padStart(14)}  ${r.seconds.toFixed(0)}`,
  );
}
console.log('\nTargets: hf share ≤ 3× photos, saturated < 5 %, activation above the dataset maximum on ≥ 90 % of channels.');
fs.writeFileSync(path.join(out, 'table.json'), JSON.stringify({ model: model.name, layer, channels, steps, size, images, exemplars: exemplarQ, rows }, null, 1));
model.dispose();
