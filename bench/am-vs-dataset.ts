/**
 * Sanity check on real weights: for each channel, does the AM image excite it
 * more than every image of a dataset? Mines the dataset's per-channel maximum
 * (spatial-mean activation, the AM objective) in one pass, renders the AM
 * images in batches, prints the table.
 *
 *   node --import tsx bench/am-vs-dataset.ts --model <…> --layer <…> --channels 0-15 --images <folder> [--size 224] [--steps 128]
 */
import path from 'node:path';
import { loadModel } from '../src/models/load.js';
import { mineExemplars } from '../src/exemplars/mine.js';
import { ExemplarStore } from '../src/exemplars/store.js';
import { parseChannelList } from '../src/optvis/objectiveParse.js';
import { visualizeChannels } from '../src/optvis/visualize.js';
import { STANDARD_TRANSFORMS } from '../src/optvis/transforms.js';
import { Args, parseArgs } from '../src/cli/args.js';
import { Progress } from '../src/cli/progress.js';
import { writeFileAtomic } from '../src/data/image.js';

const a = new Args(parseArgs(process.argv.slice(2)));
const modelSrc = a.str('model', '../shared/models/coral_mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite');
const layer = a.str('layer', 'MobilenetV2/expanded_conv_7/add');
const channels = parseChannelList(a.str('channels', '0-15'));
const images = a.str('images', '../shared/images/imagenet_samples_320');
const size = a.num('size', 224);
const steps = a.num('steps', 128);
const batch = a.num('batch', 16);
const out = a.str('out', path.join('runs', 'sanity', path.basename(modelSrc).replace(/\W+/g, '_')));
a.finish();

const model = await loadModel(modelSrc);
let bar: Progress | null = null;
const mined = await mineExemplars({
  model,
  layers: [layer],
  images,
  k: 1,
  batchSize: 32,
  size: [size, size],
  store: path.join(out, 'dataset-max.sqlite'),
  onProgress: (p) => {
    bar ??= new Progress({ label: 'dataset', total: p.total, unit: 'images', start: p.done - p.doneThisCall });
    bar.update(p.done);
  },
});
(bar as Progress | null)?.finish();
const store = new ExemplarStore(path.join(out, 'dataset-max.sqlite'), { readonly: true });
const am = await visualizeChannels(
  model,
  { layer, channels, steps, size, learningRate: 0.05, param: 'fft', decorrelate: true, transforms: STANDARD_TRANSFORMS, regularizers: {}, seed: 0, batchSize: batch, snapshots: [] },
  { outDir: path.join(out, 'am') },
);
console.log(`\n${model.name} · ${layer} · AM ${steps} steps at ${size}px vs the maximum over ${mined.total} images (${images}) at ${size}px`);
console.log('channel  AM activation  dataset max  ratio  dataset argmax image');
const rows = am.results.map((r) => {
  const top = store.topK(layer, r.channel, 'mean')[0]!;
  return { channel: r.channel, am: r.activation, datasetMax: top.value, ratio: r.activation / top.value, image: top.imageId };
});
for (const r of rows) console.log(`${String(r.channel).padStart(7)}  ${r.am.toFixed(3).padStart(13)}  ${r.datasetMax.toFixed(3).padStart(11)}  ${r.ratio.toFixed(2).padStart(5)}  ${r.image}`);
const wins = rows.filter((r) => r.am > r.datasetMax).length;
console.log(`AM exceeds the dataset maximum on ${wins}/${rows.length} channels`);
writeFileAtomic(path.join(out, 'table.json'), JSON.stringify({ model: model.name, layer, size, steps, images, rows }, null, 2));
store.close();
