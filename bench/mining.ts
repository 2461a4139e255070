/**
 * Exemplar-mining throughput vs pure inference of the same model, layer and
 * batch size, side by side in one run, with the overhead taken apart:
 *
 *   decode     BatchStream alone (sharp decode + resize, no model)
 *   infer      model.activations on batches already in memory (cycled)
 *   infer+red  the same plus mining's per-batch reduction (mean/max/argmax → host)
 *   mine       mineExemplars end to end (decode ∥ model, reduction, top-k, SQLite)
 *
 * The machine has 2 cores: decoding is not free, it competes with the model
 * for the same cores even though sharp runs on its own threads.
 *
 *   node --import tsx bench/mining.ts [--n 1000] [--batch 32] [--images ../shared/images/imagenet_samples_320] [--layers …] [--model …]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tf, type Tensor4D } from '../src/backend/tf.js';
import { Args, parseArgs } from '../src/cli/args.js';
import { listImages } from '../src/data/folder.js';
import { BatchStream } from '../src/data/stream.js';
import { mineExemplars } from '../src/exemplars/mine.js';
import { loadModel } from '../src/models/load.js';
import { header, loadAvg, median, MID_LAYER, MOBILENET_V2, rssMiB } from './perf-util.js';

const a = new Args(parseArgs(process.argv.slice(2)));
const modelSrc = a.str('model', MOBILENET_V2);
const layers = a.str('layers', MID_LAYER).split(',');
const n = a.num('n', 1000);
const batch = a.num('batch', 32);
const imagesDir = a.str('images', '../shared/images/imagenet_samples_320');
a.finish();

header('Mining throughput vs pure inference');
const model = await loadModel(modelSrc);
const size = model.preprocess.size;
const entries = listImages(imagesDir).slice(0, n);
console.log(`${model.name} · layers ${layers.join(', ')} · ${entries.length} images from ${imagesDir} at ${size.join('×')} · batch ${batch}`);

// ------------------------------------------------------------------ decode only
async function decodeOnly(): Promise<number> {
  const t0 = performance.now();
  for await (const b of new BatchStream(entries, { size, batchSize: batch })) b.release();
  return entries.length / ((performance.now() - t0) / 1000);
}

// ------------------------------------------------------------------ inference on batches in memory
const pool: Tensor4D[] = [];
for await (const b of new BatchStream(entries.slice(0, 4 * batch), { size, batchSize: batch })) {
  if (b.images && b.images.shape[0] === batch) pool.push(tf.clone(b.images));
}
async function infer(reduce: boolean, batches = Math.ceil(entries.length / batch)): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < batches; i++) {
    const x = pool[i % pool.length]!;
    const outs = tf.tidy(() => {
      const acts = model.activations(x, layers);
      return layers.flatMap((l) => {
        const t = acts[l]!;
        if (!reduce) return [tf.sum(t)]; // forces the computation, reads back one number
        const [bn, h, w, c] = t.shape as number[];
        const flat = t.reshape([bn!, (h ?? 1) * (w ?? 1), c ?? t.shape.at(-1)!]);
        return [flat.mean(1), flat.max(1), flat.argMax(1)];
      });
    });
    await Promise.all(outs.map((t) => t.data()));
    tf.dispose(outs);
  }
  return (batches * batch) / ((performance.now() - t0) / 1000);
}

// ------------------------------------------------------------------ full mining
async function mine(): Promise<{ ips: number; rss: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-mine-bench-'));
  let rss = 0;
  try {
    const r = await mineExemplars({
      model,
      layers,
      images: entries.map((e) => e.path),
      batchSize: batch,
      store: path.join(dir, 'store.sqlite'),
      onProgress: () => {
        rss = Math.max(rss, rssMiB());
      },
    });
    return { ips: r.mined / r.seconds, rss };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await infer(true, 2); // warm-up
const inf: number[] = [];
const red: number[] = [];
const min: number[] = [];
const dec: number[] = [];
let peakRss = 0;
inf.push(await infer(false));
dec.push(await decodeOnly());
red.push(await infer(true));
const m1 = await mine();
min.push(m1.ips);
peakRss = Math.max(peakRss, m1.rss);
inf.push(await infer(false));
tf.dispose(pool);

const I = median(inf);
const R = median(red);
const M = median(min);
const D = median(dec);
console.log('\nstage                      images/s');
console.log(`decode only (sharp)        ${D.toFixed(1).padStart(8)}`);
console.log(`inference only             ${I.toFixed(1).padStart(8)}   (runs: ${inf.map((v) => v.toFixed(1)).join(', ')})`);
console.log(`inference + reduction      ${R.toFixed(1).padStart(8)}`);
console.log(`mining (end to end)        ${M.toFixed(1).padStart(8)}`);
console.log(`\nmining / inference = ${(M / I).toFixed(2)}× (target ≥ 0.8×)`);
// On 2 shared cores decode and inference add up; the expected ratio if they cannot overlap at all:
const serial = 1 / (1 / I + 1 / D);
console.log(`if decode and inference could not overlap at all: ${serial.toFixed(1)} images/s = ${(serial / I).toFixed(2)}× of inference`);
console.log(`reduction cost: inference+reduction / inference = ${(R / I).toFixed(2)}×`);
console.log(`time per image: inference ${(1000 / I).toFixed(1)} ms, decode ${(1000 / D).toFixed(1)} ms, mining ${(1000 / M).toFixed(1)} ms`);
console.log(`peak RSS during mining ${peakRss.toFixed(0)} MiB; load average at end: ${loadAvg()}`);
model.dispose();
