/** `featvis dream`: DeepDream on a photo, one image per layer (to choose a layer; options: specs/dream.ts). */
import path from 'node:path';
import { savePng, writeFileAtomic } from '../data/image.js';
import { composeGrid } from '../data/grid.js';
import { loadModel } from '../models/load.js';
import { dreamLayers } from '../optvis/dreamLayers.js';
import { FeatvisError } from '../core/errors.js';
import type { CommandArgs } from './options.js';
import { Progress } from './progress.js';
import { defaultLayer } from '../models/defaults.js';
import { fileSafe } from '../core/names.js';
import { regularFileSize } from '../io/readFile.js';

export async function run(a: CommandArgs): Promise<void> {
  const photoPath = a.positionals[0]!;
  const modelSrc = a.str('model');
  const layersFlag = a.list('layers');
  const size = a.int('size', { min: 32, max: 4096 });
  const opts = {
    octaves: a.int('octaves', { min: 1 }),
    octaveScale: a.num('octave-scale', { above: 1 }),
    stepsPerOctave: a.int('steps', { min: 1 }),
    stepSize: a.num('step-size', { above: 0 }),
    jitter: a.int('jitter', { min: 0 }),
    seed: a.int('seed', { min: 0 }),
  };
  const out = a.optStr('out') ?? path.join('runs', 'dream', path.parse(photoPath).name);
  // Missing files, folders, FIFOs and devices are refused before the model is loaded.
  if (regularFileSize(photoPath, 'photo') === 0) throw new FeatvisError(`photo is an empty file: ${photoPath}`);
  const model = await loadModel(modelSrc);
  const layers = layersFlag?.length ? layersFlag : [defaultLayer(model)];
  const bar = new Progress({ label: 'dream', total: layers.length * opts.octaves * opts.stepsPerOctave, unit: 'steps' });
  let done = 0;
  const res = await dreamLayers(model, photoPath, layers, {
    ...opts,
    size,
    onStep: () => bar.update(++done),
    onLayer: (d) => console.log(`${d.layer}: objective ${d.before.toFixed(4)} → ${d.after.toFixed(4)}`),
  });
  bar.finish();
  for (const d of res.dreams) await savePng(path.join(out, `${fileSafe(d.layer)}.png`), d.image);
  const grid = await composeGrid([res.photo, ...res.dreams.map((d) => d.image)], {
    captions: ['input', ...res.dreams.map((d) => `${d.layer} (${d.before.toFixed(2)}→${d.after.toFixed(2)})`)],
    cols: Math.min(res.dreams.length + 1, 4),
    tile: 256,
    title: `DeepDream · ${model.name}`,
  });
  writeFileAtomic(path.join(out, 'grid.png'), grid);
  writeFileAtomic(path.join(out, 'dream.json'), JSON.stringify({ model: model.name, photo: photoPath, layers, size: res.size, ...opts }, null, 2));
  console.log(`wrote ${path.join(out, 'grid.png')}`);
  model.dispose();
}
