/** `featvis dream`: DeepDream on a photo, one image per layer (to choose a layer). */
import path from 'node:path';
import { savePng, writeFileAtomic } from '../data/image.js';
import { composeGrid } from '../data/grid.js';
import { loadModel } from '../models/load.js';
import { dreamLayers } from '../optvis/dreamLayers.js';
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
