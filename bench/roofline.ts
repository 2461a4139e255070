/**
 * Roofline-style check: how much of this machine's own peak (measured through
 * the same backend, tfjs-node) does one AM step reach?
 *
 * FLOPs are counted exactly from the kernels the step executes (tf.profile):
 * MACs of every Conv2D / DepthwiseConv2dNative / BatchMatMul and their
 * input-gradient kernels (Conv2DBackpropInput, …), × 2 FLOPs. The weights are
 * constants, so no filter gradients run: backward ≈ 1× forward MACs (printed).
 * Element-wise kernels (activations, their gradients, adds, Adam) are not
 * counted as FLOPs; their time is shown separately (memory-bound work).
 * Peak: a large matmul and a large 3×3 conv; also a MobileNet-shaped pointwise
 * matmul and depthwise conv, and an element-wise add for memory bandwidth.
 * Peak and step measurements alternate in rounds so both see the same load.
 *
 *   node --import tsx bench/roofline.ts [--batch 8] [--size 224] [--rounds 3] [--steps 3] [--layer …] [--model …]
 */
import { tf, type Tensor, type Tensor4D } from '../src/backend/tf.js';
import { Args, parseArgs } from '../src/cli/args.js';
import { loadModel } from '../src/models/load.js';
import { amStepper, forwardOnly, header, loadAvg, median, MID_LAYER, MOBILENET_V2, profileKernels, randomImages, spread } from './perf-util.js';

const a = new Args(parseArgs(process.argv.slice(2)));
const modelSrc = a.str('model', MOBILENET_V2);
const layer = a.str('layer', MID_LAYER);
const batch = a.num('batch', 8);
const size = a.num('size', 224);
const rounds = a.num('rounds', 3);
const steps = a.num('steps', 3);
const tv = a.num('tv', 0.05);
a.finish();

header('Roofline: one AM step vs the machine peak through tfjs-node');
const model = await loadModel(modelSrc);

// ------------------------------------------------------------------ FLOPs of one step, counted
const xs = randomImages(batch, size, 3);
forwardOnly(model, xs, layer); // warm-up (first-use kernel set-up)
const fwdProf = await profileKernels(() => {
  forwardOnly(model, xs, layer);
});
const stepper = amStepper({ model, layer, channel: 5, batch, size, transforms: [], tv });
stepper.step();
const stepProf = await profileKernels(() => stepper.step());
const fwdGflop = (2 * fwdProf.macs) / 1e9;
const stepGflop = (2 * stepProf.macs) / 1e9;
console.log(`\n${model.name} → ${layer}, batch ${batch}, ${size}px, pixel param, TV, Adam, no transforms`);
console.log(`forward: ${(fwdProf.macs / 1e9).toFixed(3)} GMAC = ${fwdGflop.toFixed(2)} GFLOP (${(fwdProf.macs / batch / 1e6).toFixed(0)} MMAC per image)`);
console.log(`AM step (forward + input gradient): ${(stepProf.macs / 1e9).toFixed(3)} GMAC = ${stepGflop.toFixed(2)} GFLOP; backward / forward MACs = ${((stepProf.macs - fwdProf.macs) / fwdProf.macs).toFixed(2)}`);
console.log(`profiled kernel time: forward only ${fwdProf.kernelMs.toFixed(0)} ms, full AM step ${stepProf.kernelMs.toFixed(0)} ms → backward + penalty + Adam ≈ ${(stepProf.kernelMs - fwdProf.kernelMs).toFixed(0)} ms (${((stepProf.kernelMs / fwdProf.kernelMs)).toFixed(1)}× forward)`);
const convKinds = /^(Conv2D|DepthwiseConv2dNative|BatchMatMul|Conv2DBackpropInput|DepthwiseConv2dNativeBackpropInput|Conv2DBackpropFilter)$/;
const denseMs = stepProf.kernels.filter((k) => convKinds.test(k.name)).reduce((s, k) => s + k.ms, 0);
console.log(`step kernel time: ${stepProf.kernelMs.toFixed(0)} ms, of which conv/depthwise/matmul kernels ${denseMs.toFixed(0)} ms (${((denseMs / stepProf.kernelMs) * 100).toFixed(0)} %), element-wise and the rest ${(stepProf.kernelMs - denseMs).toFixed(0)} ms`);
console.log('per kernel class (profiled):   calls   ms    GFLOP   GFLOP/s');
for (const k of stepProf.kernels.filter((k) => k.macs > 0)) {
  console.log(`  ${k.name.padEnd(36)} ${String(k.count).padStart(4)} ${k.ms.toFixed(0).padStart(5)} ${((2 * k.macs) / 1e9).toFixed(2).padStart(7)} ${((2 * k.macs) / 1e6 / k.ms).toFixed(1).padStart(8)}`);
}

// ------------------------------------------------------------------ peak micro-benchmarks
function timeOp(make: () => Tensor, reps = 3): number[] {
  const out: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const t0 = performance.now();
    const y = make();
    y.dataSync();
    const ms = performance.now() - t0;
    y.dispose();
    if (i > 0) out.push(ms);
  }
  return out;
}
const N = 2048;
const A = tf.randomNormal([N, N]);
const B = tf.randomNormal([N, N]);
const convX = tf.randomNormal([8, 56, 56, 128]) as Tensor4D;
const convW = tf.randomNormal([3, 3, 128, 128]) as Tensor4D;
const pwX = tf.randomNormal([8 * 56 * 56, 144]);
const pwW = tf.randomNormal([144, 24]);
const dwX = tf.randomNormal([8, 56, 56, 144]) as Tensor4D;
const dwW = tf.randomNormal([3, 3, 144, 1]) as Tensor4D;
const big1 = tf.randomNormal([16 * 2 ** 20]);
const big2 = tf.randomNormal([16 * 2 ** 20]);
const act1 = tf.randomNormal([8, 112, 112, 96]);
const act2 = tf.randomNormal([8, 112, 112, 96]);
const peaks = {
  matmul: { gflop: (2 * N ** 3) / 1e9, ms: [] as number[] },
  conv3x3: { gflop: (2 * 8 * 56 * 56 * 128 * 9 * 128) / 1e9, ms: [] as number[] },
  pointwise: { gflop: (2 * 8 * 56 * 56 * 144 * 24) / 1e9, ms: [] as number[] },
  depthwise: { gflop: (2 * 8 * 56 * 56 * 144 * 9) / 1e9, ms: [] as number[] },
  add: { gflop: 0, ms: [] as number[] },
  addAct: { gflop: 0, ms: [] as number[] },
};
const stepMs: number[] = [];
for (let r = 0; r < rounds; r++) {
  peaks.matmul.ms.push(...timeOp(() => tf.matMul(A, B)));
  peaks.conv3x3.ms.push(...timeOp(() => tf.conv2d(convX, convW, 1, 'same')));
  peaks.pointwise.ms.push(...timeOp(() => tf.matMul(pwX, pwW)));
  peaks.depthwise.ms.push(...timeOp(() => tf.depthwiseConv2d(dwX, dwW, 1, 'same')));
  peaks.add.ms.push(...timeOp(() => tf.add(big1, big2)));
  peaks.addAct.ms.push(...timeOp(() => tf.add(act1, act2)));
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    stepper.step();
    stepMs.push(performance.now() - t0);
  }
}
stepper.dispose();
tf.dispose([A, B, convX, convW, pwX, pwW, dwX, dwW, big1, big2, act1, act2, xs]);

console.log(`\npeak through tfjs-node (median of ${rounds}×3 runs, interleaved with the AM steps):`);
const gf = (p: { gflop: number; ms: number[] }) => p.gflop / (median(p.ms) / 1000);
console.log(`  matmul ${N}×${N}·${N}×${N}:              ${gf(peaks.matmul).toFixed(1).padStart(6)} GFLOP/s (${spread(peaks.matmul.ms)} ms)`);
console.log(`  conv 3×3 [8,56,56,128]→128:           ${gf(peaks.conv3x3).toFixed(1).padStart(6)} GFLOP/s (${spread(peaks.conv3x3.ms)} ms)`);
console.log(`  pointwise matmul [25088,144]·[144,24]: ${gf(peaks.pointwise).toFixed(1).padStart(6)} GFLOP/s (${spread(peaks.pointwise.ms)} ms)`);
console.log(`  depthwise 3×3 [8,56,56,144]:          ${gf(peaks.depthwise).toFixed(1).padStart(6)} GFLOP/s (${spread(peaks.depthwise.ms)} ms)`);
const addGBs = (3 * 4 * 16 * 2 ** 20) / 1e9 / (median(peaks.add.ms) / 1000);
console.log(`  element-wise add 16M floats:          ${addGBs.toFixed(1).padStart(6)} GB/s (${spread(peaks.add.ms)} ms)`);
const actGBs = (3 * 4 * 8 * 112 * 112 * 96) / 1e9 / (median(peaks.addAct.ms) / 1000);
console.log(`  element-wise add [8,112,112,96]:      ${actGBs.toFixed(1).padStart(6)} GB/s (${spread(peaks.addAct.ms)} ms; an activation-sized add, the step's typical element-wise kernel)`);
const peak = Math.max(gf(peaks.matmul), gf(peaks.conv3x3));
const step = median(stepMs);
const achieved = stepGflop / (step / 1000);
console.log(`\nAM step: ${step.toFixed(0)} ms (${spread(stepMs)}) → ${achieved.toFixed(1)} GFLOP/s = ${((achieved / peak) * 100).toFixed(1)} % of the measured peak (${peak.toFixed(1)} GFLOP/s)`);
const stepBytes = stepProf.kernels.reduce((t, k) => t + k.bytes, 0);
const ewBytes = stepProf.kernels.filter((k) => k.macs === 0).reduce((t, k) => t + k.bytes, 0);
console.log(`bytes in and out of the step's kernels: ${(stepBytes / 1e9).toFixed(2)} GB (${(ewBytes / 1e9).toFixed(2)} GB in kernels without MACs); at ${actGBs.toFixed(1)} GB/s that traffic alone takes ${((stepBytes / 1e9 / actGBs) * 1000).toFixed(0)} ms, the MACs at the peak ${((stepGflop / peak) * 1000).toFixed(0)} ms`);
console.log(`forward-only share of FLOPs ${((fwdGflop / stepGflop) * 100).toFixed(0)} %; peak tensor memory during a step ${(stepProf.peakBytes / 2 ** 20).toFixed(0)} MiB`);
console.log(`load average at end: ${loadAvg()}`);
model.dispose();
