/**
 * Fuzz worker (a child process of harness.ts): runs one target's inputs
 * `start`, `start+1`, … (input i is fully determined by the run seed and i),
 * classifies each outcome, and prints a JSON summary. Before each input it
 * writes i to the status file, so the parent can tell which input hung or
 * crashed the process. With --dump i it only writes input i to a file.
 *
 *   node --import tsx bench/fuzz/worker.ts --target pth --seed 1 --start 0 --count 1000 \
 *        --seconds 10 --seeds-dir DIR --status FILE --summary FILE --crashes DIR
 *   node --import tsx bench/fuzz/worker.ts --target pth --seed 1 [--seeds-dir DIR] --dump I --out FILE
 *     (writes input I of that run to FILE, e.g. to reproduce a failure; without --seeds-dir the seeds are made again)
 */
import fs from 'node:fs';
import path from 'node:path';
import { FeatvisError } from '../../src/core/errors.js';
import os from 'node:os';
import { pythonBin } from '../../test/helpers/python.js';
import { loadSeeds, makeInput, normaliseMessage, writeSeeds } from './inputs.js';
import { targetByName } from './targets.js';

export const SLOW_MS = 5000;
const MAX_SAVED = 20;
const MAX_MESSAGE = 2000;

export interface FailureRecord {
  index: number;
  kind: 'exception' | 'slow' | 'unclear-error' | 'hang' | 'crash' | 'memory';
  error: string;
  ms?: number;
  /** Where the input was saved. */
  file?: string;
}

export interface WorkerSummary {
  target: string;
  seed: number;
  start: number;
  /** First input not run. */
  next: number;
  inputs: number;
  ok: number;
  featvisErrors: number;
  /** Distinct FeatvisError messages, numbers and quoted names normalised. */
  distinct: string[];
  failures: FailureRecord[];
  slowestMs: number;
  slowestIndex: number;
  peakRssMB: number;
}

function arg(name: string, def?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : def;
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}

async function main(): Promise<void> {
  const t = targetByName(arg('target'));
  const seed = Number(arg('seed'));
  // Without --seeds-dir (reproducing one input by hand) the seeds are made here, as the harness makes them.
  const ownSeeds = !process.argv.includes('--seeds-dir');
  const seedsDir = ownSeeds ? fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-fuzz-seeds-')) : arg('seeds-dir');
  if (ownSeeds) writeSeeds(seedsDir, { python: pythonBin() }, [t.name]);
  const seeds = loadSeeds(seedsDir, t.name);
  if (ownSeeds) fs.rmSync(seedsDir, { recursive: true, force: true });
  if (seeds.length === 0) throw new Error(`no seeds for ${t.name}`);
  if (process.argv.includes('--dump')) {
    fs.writeFileSync(arg('out'), makeInput(t, seeds, seed, Number(arg('dump'))));
    return;
  }
  const start = Number(arg('start', '0'));
  const count = Number(arg('count', '1000000000'));
  const seconds = Number(arg('seconds', '1e9'));
  const crashes = arg('crashes');
  const statusFd = fs.openSync(arg('status'), 'w');
  const cleanup = t.setup?.();
  const run = await t.load();
  const distinct = new Set<string>();
  const failures: FailureRecord[] = [];
  let ok = 0;
  let featvisErrors = 0;
  let slowestMs = 0;
  let slowestIndex = -1;
  const status = Buffer.alloc(24, 0x20);
  const t0 = performance.now();
  let i = start;
  const save = (input: Uint8Array, rec: FailureRecord): void => {
    if (failures.length < MAX_SAVED) {
      fs.mkdirSync(crashes, { recursive: true });
      rec.file = path.join(crashes, `${t.name}-seed${seed}-input${rec.index}.bin`);
      fs.writeFileSync(rec.file, input);
      fs.writeFileSync(`${rec.file}.txt`, `${rec.kind}: ${rec.error}\n`);
    }
    failures.push(rec);
  };
  for (; i < start + count && performance.now() - t0 < seconds * 1000; i++) {
    status.fill(0x20);
    status.write(String(i));
    fs.writeSync(statusFd, status, 0, status.length, 0);
    const input = makeInput(t, seeds, seed, i);
    const s = performance.now();
    let failure: Omit<FailureRecord, 'index'> | null = null;
    try {
      run(input);
      ok++;
    } catch (err) {
      if (err instanceof FeatvisError) {
        featvisErrors++;
        if (err.message.includes('\n') || err.message.length > MAX_MESSAGE) failure = { kind: 'unclear-error', error: `FeatvisError of ${err.message.length} chars / several lines: ${err.message.slice(0, 300)}` };
        else distinct.add(normaliseMessage(err.message));
      } else {
        failure = { kind: 'exception', error: err instanceof Error ? `${err.constructor.name}: ${err.message.slice(0, 500)}\n${err.stack?.split('\n').slice(1, 8).join('\n') ?? ''}` : String(err) };
      }
    }
    const ms = performance.now() - s;
    if (ms > slowestMs) {
      slowestMs = ms;
      slowestIndex = i;
    }
    if (!failure && ms > SLOW_MS) failure = { kind: 'slow', error: `took ${ms.toFixed(0)} ms` };
    if (failure) save(input, { index: i, ...failure, ms });
  }
  cleanup?.();
  const summary: WorkerSummary = {
    target: t.name,
    seed,
    start,
    next: i,
    inputs: i - start,
    ok,
    featvisErrors,
    distinct: [...distinct],
    failures,
    slowestMs,
    slowestIndex,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
  fs.writeFileSync(arg('summary'), JSON.stringify(summary));
}

await main();
