/**
 * How time and memory grow with the problem size, in one run:
 *
 *   am     one AM step (pixel param, TV, Adam, no transforms) at image sizes
 *          128 → 512: ms/step, peak tensor memory during a step (tf.profile
 *          peakBytes), live tensor bytes after the step (tf.memory), process
 *          peak RSS so far (VmHWM; sizes run in increasing order).
 *   mine   exemplar mining over 1k → 14k images (imagenette2_224 train+val and
 *          imagenet_samples_320, shuffled with a fixed seed so every prefix has
 *          the same mix): seconds, images/s, max RSS and tf.memory().numBytes
 *          sampled after every batch. Counts not run are extrapolated linearly
 *          from the measured ones (said so in the output).
 *
 *   node --import tsx bench/scaling.ts [--part am,mine] [--sizes 128,192,256,384,512] [--batch 4] [--steps 3]
 *        [--counts 1000,2000,4000] [--extrapolate 8000,14394] [--mine-batch 32] [--layer …] [--model …]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tf } from '../src/backend/tf.js';
import { Args, parseArgs } from '../src/cli/args.js';
import { listImages } from '../src/data/folder.js';
import { mineExemplars } from '../src/exemplars/mine.js';
import { loadModel } from '../src/models/load.js';
import { Rng } from '../src/optvis/rng.js';
import { amStepper, header, loadAvg, median, MID_LAYER, MOBILENET_V2, peakRssMiB, profileKernels, rssMiB, spread } from './perf-util.js';

const a = new Args(parseArgs(process.argv.slice(2)));
const modelSrc = a.str('model', MOBILENET_V2);
const layer = a.str('layer', MID_LAYER);
const parts = a.str('part', 'am,mine').split(',');
const sizes = a.str('sizes', '128,192,256,384,512').split(',').map(Number);
const batch = a.num('batch', 4);
const steps = a.num('steps', 3);
const counts = a.str('counts', '1000,2000,4000').split(',').map(Number);
const extrapolate = a.str('extrapolate', '8000,14394').split(',').filter(Boolean).map(Number);
const mineBatch = a.num('mine-batch', 32);
a.finish();

header('Scaling: AM step vs image size, mining vs dataset size');
const model = await loadModel(modelSrc);

/** Least-squares line y = a + b·x. */
function fit(xs: number[], ys: number[]): { a: number; b: number } {
  const n = xs.length;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  return { a: my - b * mx, b };
}

if (parts.includes('am')) {
  console.log(`\n## AM step vs image size (${model.name} → ${layer}, batch ${batch}, median of ${steps - 1} steps after one warm-up)`);
  console.log('size   pixels/img   ms/step (range)        ms per Mpixel   peak tensors MiB   live MiB after   peak RSS MiB');
  const rows: Array<{ px: number; ms: number; peak: number }> = [];
  for (const size of sizes) {
    const s = amStepper({ model, layer, channel: 5, batch, size, transforms: [], tv: 0.05 });
    const ms: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      s.step();
      if (i > 0) ms.push(performance.now() - t0);
    }
    const prof = await profileKernels(() => s.step());
    const live = tf.memory().numBytes / 2 ** 20;
    s.dispose();
    const px = size * size;
    const m = median(ms);
    rows.push({ px, ms: m, peak: prof.peakBytes / 2 ** 20 });
    console.log(
      `${String(size).padStart(4)}   ${String(px).padStart(10)}   ${m.toFixed(0).padStart(7)} (${spread(ms)})`.padEnd(46) +
        `${(m / ((batch * px) / 1e6)).toFixed(0).padStart(9)}   ${(prof.peakBytes / 2 ** 20).toFixed(0).padStart(16)}   ${live.toFixed(0).padStart(14)}   ${peakRssMiB().toFixed(0).padStart(12)}`,
    );
  }
  const first = rows[0]!;
  const last = rows.at(-1)!;
  const pxRatio = last.px / first.px;
  console.log(
    `${sizes[0]}→${sizes.at(-1)} px: pixels ×${pxRatio.toFixed(1)}, time ×${(last.ms / first.ms).toFixed(1)}, peak tensor memory ×${(last.peak / first.peak).toFixed(1)} ` +
      `(log-log slopes: time ${(Math.log(last.ms / first.ms) / Math.log(pxRatio)).toFixed(2)}, memory ${(Math.log(last.peak / first.peak) / Math.log(pxRatio)).toFixed(2)}; 1 = linear in pixels)`,
  );
  console.log(`load average: ${loadAvg()}`);
}

if (parts.includes('mine')) {
  const files = [
    ...listImages('../shared/images/imagenette2_224/train'),
    ...listImages('../shared/images/imagenette2_224/val'),
    ...listImages('../shared/images/imagenet_samples_320'),
  ].map((e) => e.path);
  const rng = new Rng(1234);
  for (let i = files.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [files[i], files[j]] = [files[j]!, files[i]!];
  }
  console.log(`\n## Mining vs dataset size (${model.name} → ${layer}, batch ${mineBatch}, ${files.length} images available: imagenette2_224 train+val + imagenet_samples_320, shuffled)`);
  console.log('images   seconds   images/s   max RSS MiB   max tf.memory MiB   tensors after');
  const xs: number[] = [];
  const ys: number[] = [];
  for (const count of counts) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-scale-'));
    let rss = 0;
    let tfBytes = 0;
    try {
      const r = await mineExemplars({
        model,
        layers: [layer],
        images: files.slice(0, count),
        batchSize: mineBatch,
        store: path.join(dir, 'store.sqlite'),
        onProgress: () => {
          rss = Math.max(rss, rssMiB());
          tfBytes = Math.max(tfBytes, tf.memory().numBytes);
        },
      });
      xs.push(count);
      ys.push(r.seconds);
      console.log(
        `${String(count).padStart(6)}   ${r.seconds.toFixed(1).padStart(7)}   ${(r.mined / r.seconds).toFixed(1).padStart(8)}   ${rss.toFixed(0).padStart(11)}   ${(tfBytes / 2 ** 20).toFixed(0).padStart(17)}   ${String(tf.memory().numTensors).padStart(13)}`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  if (xs.length >= 2) {
    const f = fit(xs, ys);
    console.log(`linear fit: seconds ≈ ${f.a.toFixed(1)} + ${(f.b * 1000).toFixed(2)} ms × images`);
    for (const c of extrapolate.filter((c) => !counts.includes(c))) {
      console.log(`${String(c).padStart(6)}   ${(f.a + f.b * c).toFixed(1).padStart(7)}   (EXTRAPOLATED from ${counts.join('/')}, not measured)`);
    }
  }
  console.log(`load average: ${loadAvg()}`);
}
model.dispose();
