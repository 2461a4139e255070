/** `featvis dream`: DeepDream on a photo, one image per layer (to choose a layer). */
import path from 'node:path';
import { tf } from '../backend/tf.js';
import { readImageBatch, batchToImages, savePng, writeFileAtomic, type RgbImage } from '../data/image.js';
import { composeGrid } from '../data/grid.js';
import { loadModel } from '../models/load.js';
import { deepDream } from '../optvis/dream.js';
import { parseObjective } from '../optvis/objectiveParse.js';
import { FeatvisError } from '../core/errors.js';
import { Args, parseArgs } from './args.js';
import { Progress } from './progress.js';
import { DEFAULT_MODEL, defaultLayer } from '../models/defaults.js';
import { fileSafe } from '../core/names.js';
import { regularFileSize } from '../io/readFile.js';

export const DREAM_HELP = `featvis dream <photo> — DeepDream on a photo

  --model <id|path|url>   (default: ${DEFAULT_MODEL})
  --layers <a,b,…>        layers (or objective expressions) to dream with, one image each
                          (default: the model's suggested layer)
  --size <px>             longer side of the working image (default 256)
  --octaves <n>           (default 4)   --octave-scale <x> (default 1.4)
  --steps <n>             steps per octave (default 10)
  --step-size <x>         (default 0.01)   --jitter <px> (default 16)   --seed <n>
  --out <dir>             (default runs/dream/<photo name>)
`;

export async function runDream(argv: readonly string[]): Promise<void> {
  const a = new Args(parseArgs(argv, ['help']));
  if (a.bool('help', false)) {
    console.log(DREAM_HELP);
    return;
  }
  const photoPath = a.positionals[0];
  if (!photoPath) throw new FeatvisError('featvis dream: give a photo path (see --help)');
  const modelSrc = a.str('model', DEFAULT_MODEL);
  const layersFlag = a.str('layers');
  const size = a.num('size', 256, (n) => Number.isInteger(n) && n >= 32 && n <= 4096, 'an integer in 32–4096');
  const opts = {
    octaves: a.num('octaves', 4, (n) => Number.isInteger(n) && n >= 1, 'a positive integer'),
    octaveScale: a.num('octave-scale', 1.4, (n) => n > 1, '> 1'),
    stepsPerOctave: a.num('steps', 10, (n) => Number.isInteger(n) && n >= 1, 'a positive integer'),
    stepSize: a.num('step-size', 0.01, (n) => n > 0, '> 0'),
    jitter: a.num('jitter', 16, (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
    seed: a.num('seed', 0, (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
  };
  const out = a.str('out', path.join('runs', 'dream', path.parse(photoPath).name));
  a.finish();
  // Missing files, folders, FIFOs and devices are refused before the model is loaded.
  if (regularFileSize(photoPath, 'photo') === 0) throw new FeatvisError(`photo is an empty file: ${photoPath}`);
  const model = await loadModel(modelSrc);
  const layers = layersFlag ? layersFlag.split(',').map((s) => s.trim()).filter(Boolean) : [defaultLayer(model)];
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
