/**
 * nsfwjs:inception_v3 (a real Keras InceptionV3) through both featvis routes:
 * featvis's own InceptionV3 builder vs the generic TF.js LayersModel (with the
 * BatchNorm completion). AM at mixed6, 224 px, batch 8, standard transforms:
 * one warm-up render of 3 steps per route, then rounds of 3 steps, the routes
 * interleaved so load changes hit both alike. Prints wall and CPU (user+sys)
 * s/step per round, the medians, the ratios and the load average; on a shared
 * machine the CPU time is the steadier measure.
 *
 *   node --import tsx bench/inception-routes.ts [--rounds 3] [--steps 3] [--size 224] [--batch 8] [--layer mixed6]
 */
import { Args, parseArgs } from '../src/cli/args.js';
import type { FeatModel } from '../src/core/types.js';
import { loadModel } from '../src/models/load.js';
import { channels } from '../src/optvis/objectives.js';
import { createParam } from '../src/optvis/param/index.js';
import { render } from '../src/optvis/render.js';
import { transformPreset } from '../src/optvis/transforms.js';
import { header, loadAvg, median, peakRssMiB } from './perf-util.js';

const a = new Args(parseArgs(process.argv.slice(2)));
const rounds = a.num('rounds', 3, (n) => Number.isInteger(n) && n >= 1);
const steps = a.num('steps', 3, (n) => Number.isInteger(n) && n >= 1);
const size = a.num('size', 224, (n) => n >= 75);
const batch = a.num('batch', 8, (n) => Number.isInteger(n) && n >= 1);
const layer = a.str('layer', 'mixed6');
a.finish();

header(`AM step, nsfwjs:inception_v3 at ${layer}: featvis builder vs TF.js LayersModel (${size} px, batch ${batch}, ${steps} steps per round)`);

const routes = ['featvis', 'tfjs'] as const;
const models = new Map<string, FeatModel>();
for (const r of routes) {
  const t0 = performance.now();
  models.set(r, await loadModel('nsfwjs:inception_v3', { runtime: r }));
  console.log(`loaded ${r} route (${models.get(r)!.constructor.name}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const chs = Array.from({ length: batch }, (_, i) => i * 11);
const transforms = transformPreset('standard');

async function secondsPerStep(m: FeatModel): Promise<{ s: number; cpu: number; acts: number[] }> {
  const p = createParam('fft', { batch, height: size, width: size, seed: chs });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const res = await render(m, channels(layer, chs), p, { steps, transforms, seed: 0, reportEvery: steps });
  const c = process.cpuUsage(c0);
  const s = (performance.now() - t0) / 1000 / steps;
  res.images.dispose();
  p.dispose();
  return { s, cpu: (c.user + c.system) / 1e6 / steps, acts: res.activations };
}

for (const r of routes) await secondsPerStep(models.get(r)!); // warm-up: kernel selection, allocations
const times: Record<string, number[]> = { featvis: [], tfjs: [] };
const cpu: Record<string, number[]> = { featvis: [], tfjs: [] };
for (let i = 0; i < rounds; i++) {
  const row: string[] = [];
  for (const r of i % 2 === 0 ? routes : [...routes].reverse()) {
    const res = await secondsPerStep(models.get(r)!);
    times[r]!.push(res.s);
    cpu[r]!.push(res.cpu);
    row.push(`${r} ${res.s.toFixed(3)} s/step, CPU ${res.cpu.toFixed(3)} s/step (activation[0] ${res.acts[0]!.toFixed(2)})`);
  }
  console.log(`round ${i + 1}: ${row.join(' · ')} · load ${loadAvg()}`);
}
const f = median(times.featvis!);
const t = median(times.tfjs!);
const fc = median(cpu.featvis!);
const tc = median(cpu.tfjs!);
console.log(`median wall s/step: featvis builder ${f.toFixed(3)}, TF.js LayersModel ${t.toFixed(3)}; TF.js / builder = ${(t / f).toFixed(2)}×`);
console.log(`median CPU s/step: featvis builder ${fc.toFixed(3)}, TF.js LayersModel ${tc.toFixed(3)}; TF.js / builder = ${(tc / fc).toFixed(2)}×`);
console.log(`load average at end (1/5/15 min): ${loadAvg()} · peak RSS ${peakRssMiB().toFixed(0)} MiB`);
for (const m of models.values()) m.dispose();
