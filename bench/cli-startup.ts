/**
 * How long the command line takes to answer before any work: `featvis --version`,
 * `featvis --help` and every command's `--help` (none of which may load
 * TensorFlow), against `featvis doctor`, which loads it. Spawns `bin/featvis.mjs`
 * as a user would, interleaved rounds, medians; checks that no output line is
 * one of TensorFlow's start-up log lines.
 *
 *   nice -n 10 node --import tsx bench/cli-startup.ts [--rounds 5]
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { COMMANDS } from '../src/cli/commands.js';
import { packageRoot } from '../src/core/paths.js';
import { header, loadAvg, median, spread } from './perf-util.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(values.rounds);
const bin = path.join(packageRoot(), 'bin', 'featvis.mjs');
const TF_LOG = /oneDNN custom operations|absl::InitializeLog|cpu_feature_guard|port\.cc:\d+\]/;

const cases: Array<{ name: string; argv: string[] }> = [
  { name: '--version', argv: ['--version'] },
  { name: '--help', argv: ['--help'] },
  ...Object.keys(COMMANDS).map((c) => ({ name: `${c} --help`, argv: [c, '--help'] })),
  { name: 'doctor (loads TensorFlow)', argv: ['doctor'] },
];

header('featvis command-line start-up');
const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const tfLines = new Set<string>();
for (let r = 0; r < rounds; r++) {
  for (const c of cases) {
    const t0 = performance.now();
    const res = spawnSync(process.execPath, [bin, ...c.argv], { encoding: 'utf8' });
    times.get(c.name)!.push(performance.now() - t0);
    if (res.status !== 0) throw new Error(`featvis ${c.argv.join(' ')} exited ${res.status}: ${res.stderr}`);
    for (const line of `${res.stdout}\n${res.stderr}`.split('\n')) if (TF_LOG.test(line)) tfLines.add(`${c.name}: ${line.slice(0, 100)}`);
  }
}
const doctor = median(times.get('doctor (loads TensorFlow)')!);
console.log(`\n| command | ms (median of ${rounds}, range) | / doctor |\n|---|---|---|`);
for (const c of cases) {
  const t = times.get(c.name)!;
  console.log(`| featvis ${c.name} | ${median(t).toFixed(0)} (${spread(t)}) | ${(median(t) / doctor).toFixed(2)}× |`);
}
console.log(`\nTensorFlow log lines in the output: ${tfLines.size === 0 ? 'none' : [...tfLines].join('\n')}`);
console.log(`load average at end: ${loadAvg()}`);
