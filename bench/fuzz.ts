/**
 * The long fuzz run: ≥ 100,000 seeded mutated inputs per parser (pickle,
 * .pth, zip, TFLite, HDF5, BMP, TF.js model.json, sweep config), each in
 * watched child processes, then a table: inputs, distinct error messages,
 * failures, slowest input, peak RSS. Goal: 0 failures (anything but
 * featvis's own one-line FeatvisError, or an input over 5 s, or a child over
 * 1 GB), slowest < 5 s, peak RSS < 1 GB. Failing inputs are saved under
 * runs/fuzz/crashes.
 *
 *   nice -n 10 node --import tsx bench/fuzz.ts [--count 100000] [--seed 1] [--targets pth,zip] [--seconds 600]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pythonBin } from '../test/helpers/python.js';
import { runFuzz, writeSeeds, type FuzzResult } from './fuzz/harness.js';
import { TARGETS } from './fuzz/targets.js';

function flag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const count = Number(flag('count', '100000'));
const seed = Number(flag('seed', '1'));
const seconds = Number(flag('seconds', '3600'));
const only = flag('targets', TARGETS.map((t) => t.name).join(',')).split(',');
const seedsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-fuzz-seeds-'));
const crashesDir = path.resolve('runs', 'fuzz', 'crashes');
const missing = writeSeeds(seedsDir, { python: pythonBin() }, only);
for (const [t, why] of missing) console.log(`${t}: skipped (${why})`);

const rows: FuzzResult[] = [];
for (const target of only.filter((t) => !missing.has(t))) {
  const r = await runFuzz(target, { seed, count, seconds, seedsDir, crashesDir });
  rows.push(r);
  console.log(
    `${target}: ${r.inputs} inputs in ${r.seconds.toFixed(0)} s (${(r.inputs / r.seconds).toFixed(0)}/s), ${r.ok} parsed, ${r.featvisErrors} FeatvisError (${r.distinctErrors} distinct), ` +
      `${r.failures.length} failures, slowest ${r.slowestMs.toFixed(1)} ms (input ${r.slowestIndex}), peak RSS ${r.peakRssMB.toFixed(0)} MB, ${r.children} child process(es)`,
  );
  for (const f of r.failures.slice(0, 10)) console.log(`  FAIL input ${f.index} [${f.kind}] ${f.error.split('\n')[0]} ${f.file ? `→ ${f.file}` : ''}`);
}
fs.rmSync(seedsDir, { recursive: true, force: true });

const header = ['parser', 'inputs', 'parsed', 'FeatvisError', 'distinct errors', 'failures', 'slowest input (ms)', 'peak RSS (MB)'];
const table = rows.map((r) => [r.target, String(r.inputs), String(r.ok), String(r.featvisErrors), String(r.distinctErrors), String(r.failures.length), r.slowestMs.toFixed(1), r.peakRssMB.toFixed(0)]);
console.log(`\nseed ${seed}, ${os.cpus().length} CPUs, node ${process.version}`);
console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const row of table) console.log(`| ${row.join(' | ')} |`);
const bad = rows.filter((r) => r.failures.length > 0 || r.slowestMs > 5000 || r.peakRssMB > 1024);
process.exitCode = bad.length > 0 ? 1 : 0;
