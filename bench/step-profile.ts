/**
 * ms (wall and CPU) per AM step of one configuration, with
 * an optional kernel profile. Not a comparison bench (see am-step-vs-torch.ts).
 *
 *   node --import tsx bench/step-profile.ts [--size 224] [--batch 8] [--steps 8] [--transforms none|pad+jitter|standard] [--param pixel|fft|maco] [--decorrelate] [--tv 0.05] [--profile]
 */
import { tf } from '../src/backend/tf.js';
import { Args, parseArgs } from '../src/cli/args.js';
import { loadModel } from '../src/models/load.js';
import type { ParamKind } from '../src/optvis/param/index.js';
import { transformPreset, type TransformList } from '../src/optvis/transforms.js';
import { amStepper, loadAvg, median, MID_LAYER, MOBILENET_V2, profileKernels, spread } from './perf-util.js';

const a = new Args(parseArgs(process.argv.slice(2), ['profile', 'decorrelate']));
const modelSrc = a.str('model', MOBILENET_V2);
const layer = a.str('layer', MID_LAYER);
const size = a.num('size', 224);
const batch = a.num('batch', 8);
const steps = a.num('steps', 8);
const tname = a.str('transforms', 'none');
const profile = a.bool('profile', false);
const paramKind = a.str('param', 'pixel') as ParamKind;
const decorrelate = a.bool('decorrelate', false);
const tv = a.num('tv', 0.05);
a.finish();

const transforms: TransformList =
  tname === 'pad+jitter' ? [{ op: 'pad', px: 12, mode: 'constant' }, { op: 'jitter', px: 8 }] : transformPreset(tname, size);
const model = await loadModel(modelSrc);
const s = amStepper({ model, layer, channel: 5, batch, size, transforms, tv, param: paramKind, decorrelate });
s.step();
s.step();
const wall: number[] = [];
const cpu: number[] = [];
for (let i = 0; i < steps; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  s.step();
  wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
}
console.log(`${size}px ${paramKind}${decorrelate ? '+dec' : ''} ${tname} batch ${batch}: wall ${median(wall).toFixed(0)} ms (${spread(wall)}), cpu ${median(cpu).toFixed(0)} ms (${spread(cpu)}) · load ${loadAvg()} · tensors ${tf.memory().numTensors}`);
if (profile) {
  const p = await profileKernels(() => s.step());
  console.log(`kernel ms ${p.kernelMs.toFixed(0)}, calls ${p.kernels.reduce((x, k) => x + k.count, 0)}`);
  for (const k of p.kernels.slice(0, 25)) console.log(`${k.name.padEnd(40)} ${String(k.count).padStart(5)} ${k.ms.toFixed(1).padStart(8)}`);
}
s.dispose();
model.dispose();
