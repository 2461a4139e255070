/**
 * One activation-maximisation step, featvis vs a plain PyTorch loop, side by side in one run.
 *
 * Same network and weights (the Coral MobileNetV2 .tflite: featvis imports it itself;
 * bench/torch_am_step.py rebuilds it in torch.nn from tf.lite.Interpreter's constants with
 * TF SAME padding emulated), same batch, image size, pixel parameterisation (sigmoid),
 * objective (mean of one channel of a middle layer), TV penalty and Adam step.
 * First checks both compute the same activation for the same input, then interleaves
 * featvis and torch rounds (median of per-step times), then splits forward / backward
 * and profiles one step per kernel on both sides.
 *
 * Then the same for InceptionV3 (section 4): featvis's builder on nsfwjs:inception_v3
 * against a torchvision-style torch InceptionV3 (bench/torch_inception.py) built from
 * the same dequantised weights, to `--inception-layer` (mixed0…mixed7; none = skip).
 *
 *   node --import tsx bench/am-step-vs-torch.ts [--batch 8] [--sizes 128,224] [--steps 5] [--rounds 2]
 *        [--transforms none,pad+jitter] [--tv 0.05] [--channel 5] [--layer …] [--model …] [--profile-size 224]
 *        [--inception-layer mixed6] [--inception-size 224] [--inception-steps 4]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tf } from '../src/backend/tf.js';
import { Args, parseArgs } from '../src/cli/args.js';
import { loadModel } from '../src/models/load.js';
import { exportNsfwjsInceptionWeights } from '../test/helpers/nsfwjs.js';
import type { FeatModel } from '../src/core/types.js';
import { channel } from '../src/optvis/objectives.js';
import { createParam } from '../src/optvis/param/index.js';
import { render } from '../src/optvis/render.js';
import type { TransformList } from '../src/optvis/transforms.js';
import { amStepper, forwardOnly, header, loadAvg, median, MID_LAYER, MOBILENET_V2, profileKernels, randomImages, spread } from './perf-util.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const a = new Args(parseArgs(process.argv.slice(2)));
const modelSrc = a.str('model', MOBILENET_V2);
const layer = a.str('layer', MID_LAYER);
const ch = a.num('channel', 5);
const batch = a.num('batch', 8);
const sizes = a.str('sizes', '128,224').split(',').map(Number);
const steps = a.num('steps', 5);
const rounds = a.num('rounds', 2);
const tv = a.num('tv', 0.05);
const configs = a.str('transforms', 'none,pad+jitter').split(',');
const profileSize = a.num('profile-size', 224);
const python = a.str('python', path.join(here, '..', '.venv', 'bin', 'python'));
const inceptionLayer = a.str('inception-layer', 'mixed6');
const inceptionSize = a.num('inception-size', 224);
const inceptionSteps = a.num('inception-steps', 4, (n) => Number.isInteger(n) && n >= 3);
a.finish();

const TRANSFORMS: Record<string, TransformList> = { none: [], 'pad+jitter': [{ op: 'pad', px: 12, mode: 'constant' }, { op: 'jitter', px: 8 }] };
for (const c of configs) if (!TRANSFORMS[c]) throw new Error(`unknown transforms '${c}' (none, pad+jitter)`);

header('AM step: featvis vs PyTorch');
const startLoad = loadAvg();
const model = await loadModel(modelSrc);
const p = model.preprocess;
if (p.mean || p.std || p.channelOrder !== 'RGB') throw new Error('this bench maps [0,1] → range only; the model needs mean/std/BGR');
const [lo, hi] = p.range;

// ------------------------------------------------------------------ the PyTorch worker
const py = spawn(python, [path.join(here, 'torch_am_step.py')], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', PYTHONUNBUFFERED: '1' } });
let stderrTail = '';
py.stderr.on('data', (d: Buffer) => (stderrTail = (stderrTail + d.toString()).slice(-4000)));
const lines = readline.createInterface({ input: py.stdout })[Symbol.asyncIterator]();
async function ask(req: Record<string, unknown>): Promise<Record<string, unknown>> {
  py.stdin.write(JSON.stringify(req) + '\n');
  const r = await lines.next();
  if (r.done) throw new Error(`python worker exited: ${stderrTail}`);
  const res = JSON.parse(r.value) as Record<string, unknown>;
  if (res['ok'] !== true) throw new Error(`python worker: ${String(res['error'])}`);
  return res;
}
const msOf = (r: Record<string, unknown>): number[] => r['ms'] as number[];

const init = await ask({ cmd: 'init', model: modelSrc, layer, channel: ch, range: [lo, hi], threads: 2 });
console.log(`model ${model.name} · layer ${layer} · channel ${ch} · batch ${batch} · pixel param (sigmoid) · TV ${tv} · Adam lr 0.05`);
console.log(`torch ${String(init['torch'])} with ${String(init['threads'])} threads; tfjs-node uses TF's own pool (2 cores)`);

// ------------------------------------------------------------------ 1. same activation?
console.log('\n## 1. Same activation for the same input (random images in [0,1], 2 per size)');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-torch-'));
for (const size of sizes) {
  const x = randomImages(2, size, 7 + size);
  const act = tf.tidy(() => model.activations(x, [layer])[layer]!);
  fs.writeFileSync(path.join(tmp, 'x.f32'), Buffer.from((await x.data()).buffer));
  fs.writeFileSync(path.join(tmp, 'a.f32'), Buffer.from((await act.data()).buffer));
  const r = await ask({ cmd: 'check', input: path.join(tmp, 'x.f32'), act: path.join(tmp, 'a.f32'), shape: [2, size, size] });
  const sums = `sums featvis ${(r['refSum'] as number).toFixed(3)} / torch ${(r['torchSum'] as number).toFixed(3)}`;
  console.log(`${size}px: ${sums}; activation [${(r['shape'] as number[]).join(',')}] max |featvis − torch| = ${(r['maxAbsDiff'] as number).toExponential(2)} (mean ${(r['meanAbsDiff'] as number).toExponential(2)}, max |activation| ${(r['maxAbs'] as number).toFixed(2)})`);
  tf.dispose([x, act]);
}
fs.rmSync(tmp, { recursive: true, force: true });

// ------------------------------------------------------------------ 2. ms per step, interleaved
async function featvisSteps(size: number, transforms: TransformList, m: FeatModel = model, l = layer, n = steps): Promise<number[]> {
  const param = createParam('pixel', { batch, height: size, width: size, seed: 0 });
  const times: number[] = [];
  let last = performance.now();
  const r = await render(m, channel(l, ch), param, {
    steps: n,
    transforms,
    regularizers: tv ? { tv } : {},
    reportEvery: 1,
    onStep: () => {
      const now = performance.now();
      times.push(now - last);
      last = now;
    },
  });
  r.images.dispose();
  param.dispose();
  return times.slice(2); // step 1 holds set-up, step 2 can still hold first-use allocations
}

console.log(`\n## 2. ms per AM step (median over ${rounds} interleaved rounds × ${steps - 2} timed steps; steps 1–2 of each run dropped)`);
console.log('size  transforms   featvis ms (range)   torch ms (range)   featvis/torch   torch 1 thread ms   torch+weight grads ms (Lucent default)');
const summary: Array<{ size: number; cfg: string; fv: number; th: number; th1: number; thw: number }> = [];
let inceptionRow: { fv: number; th: number; th1: number } | null = null;
await featvisSteps(sizes[0]!, []); // warm-up
for (const size of sizes) {
  for (const cfg of configs) {
    const fv: number[] = [];
    const th: number[] = [];
    const thw: number[] = [];
    const th1: number[] = [];
    for (let r = 0; r < rounds; r++) {
      fv.push(...(await featvisSteps(size, TRANSFORMS[cfg]!)));
      th.push(...msOf(await ask({ cmd: 'time', batch, size, steps, transforms: cfg, tv })).slice(2));
      th1.push(...msOf(await ask({ cmd: 'time', batch, size, steps, transforms: cfg, tv, threads: 1 })).slice(2));
      if (cfg === 'none') thw.push(...msOf(await ask({ cmd: 'time', batch, size, steps, transforms: cfg, tv, weightsGrad: true })).slice(2));
    }
    const row = { size, cfg, fv: median(fv), th: median(th), th1: median(th1), thw: thw.length ? median(thw) : NaN };
    summary.push(row);
    console.log(
      `${String(size).padStart(4)}  ${cfg.padEnd(11)}  ${row.fv.toFixed(0).padStart(6)} (${spread(fv)})`.padEnd(42) +
        `${row.th.toFixed(0).padStart(6)} (${spread(th)})`.padEnd(20) +
        `${(row.fv / row.th).toFixed(2).padStart(8)}×` +
        `      ${row.th1.toFixed(0)} (${spread(th1)}) → ${(row.fv / row.th1).toFixed(2)}×`.padEnd(28) +
        (thw.length ? `  ${row.thw.toFixed(0)} (${spread(thw)})` : ''),
    );
  }
}
console.log(`load average now: ${loadAvg()}`);
console.log('(pad+jitter: featvis pads 12 and translates ±8 px by bilinear resampling, network sees size+24; torch does Lucent\'s pad(12)+jitter(8) crop, network sees size+16)');

// ------------------------------------------------------------------ 3. forward / backward split
console.log(`\n## 3. Where the time goes at ${profileSize}px, batch ${batch}, no transforms`);
const xs = randomImages(batch, profileSize, 3);
const fwd: number[] = [];
const thf: number[] = [];
const thf1: number[] = [];
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    forwardOnly(model, xs, layer);
    if (r > 0 || i > 0) fwd.push(performance.now() - t0);
  }
  thf.push(...msOf(await ask({ cmd: 'forward', batch, size: profileSize, reps: 3 })).slice(1));
  thf1.push(...msOf(await ask({ cmd: 'forward', batch, size: profileSize, reps: 3, threads: 1 })).slice(1));
}
xs.dispose();
const stepRow = summary.find((s) => s.size === profileSize && s.cfg === 'none');
const fvFwd = median(fwd);
const thFwd = median(thf);
console.log(`forward only (no tape):  featvis ${fvFwd.toFixed(0)} ms (${spread(fwd)}), torch ${thFwd.toFixed(0)} ms (${spread(thf)}), ratio ${(fvFwd / thFwd).toFixed(2)}×; torch 1 thread ${median(thf1).toFixed(0)} ms (${spread(thf1)})`);
if (stepRow) {
  console.log(`full step:              featvis ${stepRow.fv.toFixed(0)} ms, torch ${stepRow.th.toFixed(0)} ms`);
  console.log(`backward + update ≈ step − forward: featvis ${(stepRow.fv - fvFwd).toFixed(0)} ms, torch ${(stepRow.th - thFwd).toFixed(0)} ms, ratio ${((stepRow.fv - fvFwd) / (stepRow.th - thFwd)).toFixed(2)}×`);
}

const stepper = amStepper({ model, layer, channel: ch, batch, size: profileSize, transforms: [], tv });
stepper.step();
const prof = await profileKernels(() => {
  stepper.step();
  stepper.step();
});
stepper.dispose();
console.log(`\nfeatvis kernels per step (tf.profile, 2 steps averaged; kernel time ${(prof.kernelMs / 2).toFixed(0)} ms of the step):`);
console.log('kernel                                   calls    ms/step   share');
for (const k of prof.kernels.slice(0, 18)) {
  console.log(`${k.name.padEnd(40)} ${String(k.count / 2).padStart(5)} ${(k.ms / 2).toFixed(1).padStart(10)}   ${((k.ms / prof.kernelMs) * 100).toFixed(1).padStart(5)} %`);
}
const calls = prof.kernels.reduce((s, k) => s + k.count, 0) / 2;
console.log(`${calls} kernel calls per step in all`);
const tp = await ask({ cmd: 'profile', batch, size: profileSize, steps: 2, transforms: 'none', tv });
console.log('\ntorch ops per step (torch.profiler, self CPU time, 2 steps averaged):');
console.log('op                                       calls    ms/step');
for (const r of (tp['rows'] as Array<{ name: string; count: number; selfMs: number }>).slice(0, 14)) {
  console.log(`${r.name.slice(0, 40).padEnd(40)} ${String(r.count / 2).padStart(5)} ${r.selfMs.toFixed(1).padStart(10)}`);
}

// ------------------------------------------------------------------ 4. InceptionV3
if (inceptionLayer !== 'none') await inceptionSection();

// ------------------------------------------------------------------ summary
console.log(`\n## Summary (markdown; load average at start ${startLoad}, at end ${loadAvg()})\n`);
console.log('| model · size | transforms | featvis ms | torch ms (2 threads) | featvis / torch | torch 1 thread ms → ratio |');
console.log('|---|---|---|---|---|---|');
const row = (what: string, cfg: string, r: { fv: number; th: number; th1: number }): void =>
  console.log(`| ${what} | ${cfg} | ${r.fv.toFixed(0)} | ${r.th.toFixed(0)} | **${(r.fv / r.th).toFixed(2)}×** | ${r.th1.toFixed(0)} → ${(r.fv / r.th1).toFixed(2)}× |`);
for (const r of summary) row(`MobileNetV2 · ${r.size}`, r.cfg, r);
row(`MobileNetV2 forward only · ${profileSize}`, 'none', { fv: fvFwd, th: thFwd, th1: median(thf1) });
if (inceptionRow) row(`InceptionV3 ${inceptionLayer} · ${inceptionSize}`, 'none', inceptionRow);

console.log(`\nload average at end: ${loadAvg()}`);
await ask({ cmd: 'quit' }).catch(() => undefined);
py.stdin.end();
model.dispose();

/** Writes nsfwjs's InceptionV3 weights (dequantised as tfjs decodes them) and their manifest for torch_inception.py. */
function exportNsfwjsWeights(dir: string): void {
  fs.writeFileSync(path.join(dir, 'weights.json'), JSON.stringify({ weights: exportNsfwjsInceptionWeights(dir) }));
}

async function inceptionSection(): Promise<void> {
  const size = inceptionSize;
  console.log(`\n## 4. InceptionV3 (nsfwjs:inception_v3, real Keras weights) → ${inceptionLayer}, ${size}px, batch ${batch}, no transforms`);
  const inc = await loadModel('nsfwjs:inception_v3');
  const [lo2, hi2] = inc.preprocess.range;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-torch-inception-'));
  try {
    exportNsfwjsWeights(dir);
    const init2 = await ask({ cmd: 'init', kind: 'inception', weights: dir, layer: inceptionLayer, channel: ch, range: [lo2, hi2], threads: 2 });
    console.log(`featvis: its InceptionV3 builder (conv → batch norm as x·s + t → ReLU, Keras names); torch: torchvision-style modules (Conv2d → BatchNorm2d → ReLU(inplace)), ${String(init2['seconds'] ?? '').slice(0, 4)} s to build`);
    const x = randomImages(2, size, 17);
    const act = tf.tidy(() => inc.activations(x, [inceptionLayer])[inceptionLayer]!);
    fs.writeFileSync(path.join(dir, 'x.f32'), Buffer.from((await x.data()).buffer));
    fs.writeFileSync(path.join(dir, 'a.f32'), Buffer.from((await act.data()).buffer));
    const r = await ask({ cmd: 'check', input: path.join(dir, 'x.f32'), act: path.join(dir, 'a.f32'), shape: [2, size, size] });
    console.log(`same activation: [${(r['shape'] as number[]).join(',')}] max |featvis − torch| = ${(r['maxAbsDiff'] as number).toExponential(2)} (max |activation| ${(r['maxAbs'] as number).toFixed(2)}; float rounding of two BatchNorm formulas)`);
    tf.dispose([x, act]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await featvisSteps(size, [], inc, inceptionLayer, 3); // warm-up
  const fv: number[] = [];
  const th: number[] = [];
  const th1: number[] = [];
  const n = inceptionSteps;
  for (let r = 0; r < rounds; r++) {
    fv.push(...(await featvisSteps(size, [], inc, inceptionLayer, n)));
    th.push(...msOf(await ask({ cmd: 'time', batch, size, steps: n, transforms: 'none', tv })).slice(2));
    th1.push(...msOf(await ask({ cmd: 'time', batch, size, steps: n, transforms: 'none', tv, threads: 1 })).slice(2));
  }
  const f = median(fv);
  const t = median(th);
  const t1 = median(th1);
  console.log(`ms per AM step (median of ${rounds} interleaved rounds × ${n - 2} steps): featvis ${f.toFixed(0)} (${spread(fv)}), torch ${t.toFixed(0)} (${spread(th)}) → ${(f / t).toFixed(2)}×; torch 1 thread ${t1.toFixed(0)} (${spread(th1)}) → ${(f / t1).toFixed(2)}×`);
  inceptionRow = { fv: f, th: t, th1: t1 };
  const xs2 = randomImages(batch, size, 5);
  const fwd: number[] = [];
  const thf: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      forwardOnly(inc, xs2, inceptionLayer);
      if (r > 0 || i > 0) fwd.push(performance.now() - t0);
    }
    thf.push(...msOf(await ask({ cmd: 'forward', batch, size, reps: 3 })).slice(1));
  }
  xs2.dispose();
  console.log(`forward only: featvis ${median(fwd).toFixed(0)} ms (${spread(fwd)}), torch ${median(thf).toFixed(0)} ms (${spread(thf)}) → ${(median(fwd) / median(thf)).toFixed(2)}×`);
  const st = amStepper({ model: inc, layer: inceptionLayer, channel: ch, batch, size, transforms: [], tv });
  st.step();
  const prof = await profileKernels(() => st.step());
  st.dispose();
  console.log(`featvis kernels per step (tf.profile, kernel time ${prof.kernelMs.toFixed(0)} ms):`);
  for (const k of prof.kernels.slice(0, 12)) console.log(`  ${k.name.padEnd(38)} ${String(k.count).padStart(5)} ${k.ms.toFixed(1).padStart(9)} ms  ${((k.ms / prof.kernelMs) * 100).toFixed(1).padStart(5)} %`);
  const tp = await ask({ cmd: 'profile', batch, size, steps: 1, transforms: 'none', tv });
  console.log('torch ops per step (torch.profiler, self CPU time):');
  for (const r of (tp['rows'] as Array<{ name: string; count: number; selfMs: number }>).slice(0, 12)) console.log(`  ${r.name.slice(0, 38).padEnd(38)} ${String(r.count).padStart(5)} ${r.selfMs.toFixed(1).padStart(9)} ms`);
  inc.dispose();
}
