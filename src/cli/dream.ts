/** `featvis dream`: DeepDream on a photo, one image per layer (to choose a layer; options: specs/dream.ts). */
import path from 'node:path';
import { tf } from '../backend/tf.js';
import { readImageBatch, batchToImages, savePng, writeFileAtomic, type RgbImage } from '../data/image.js';
import { composeGrid } from '../data/grid.js';
import { loadModel } from '../models/load.js';
import { deepDream } from '../optvis/dream.js';
import { parseObjective } from '../optvis/objectiveParse.js';
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
  const { readImage } = await import('../data/image.js');
  const meta = await readImage(photoPath).catch((err: unknown) => {
    if (err instanceof FeatvisError) throw err;
    throw new FeatvisError(`cannot read photo ${photoPath}: ${err instanceof Error ? err.message : String(err)}`);
  });
  const scale = size / Math.max(meta.width, meta.height);
  const dims: [number, number] = [Math.max(32, Math.round(meta.height * scale)), Math.max(32, Math.round(meta.width * scale))];
  const photo = await readImageBatch([photoPath], dims, 'fill');
  const bar = new Progress({ label: 'dream', total: layers.length * opts.octaves * opts.stepsPerOctave, unit: 'steps' });
  const tiles: RgbImage[] = [(await batchToImages(photo))[0]!];
  const captions = ['input'];
  let done = 0;
  for (const l of layers) {
    const objective = parseObjective(l);
    const r = await deepDream(model, objective, photo, { ...opts, onStep: () => bar.update(++done, l) });
    const img = (await batchToImages(r.image))[0]!;
    r.image.dispose();
    const file = path.join(out, `${fileSafe(l)}.png`);
    await savePng(file, img);
    tiles.push(img);
    captions.push(`${l} (${r.before.toFixed(2)}→${r.after.toFixed(2)})`);
    console.log(`${l}: objective ${r.before.toFixed(4)} → ${r.after.toFixed(4)}  ${file}`);
  }
  bar.finish();
  photo.dispose();
  const grid = await composeGrid(tiles, { captions, cols: Math.min(tiles.length, 4), tile: 256, title: `DeepDream · ${model.name}` });
  writeFileAtomic(path.join(out, 'grid.png'), grid);
  writeFileAtomic(path.join(out, 'dream.json'), JSON.stringify({ model: model.name, photo: photoPath, layers, size: dims, ...opts }, null, 2));
  console.log(`wrote ${path.join(out, 'grid.png')}`);
  model.dispose();
  void tf;
}
