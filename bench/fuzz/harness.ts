/**
 * Runs a fuzz target in child processes (bench/fuzz/worker.ts) and watches
 * them: a child whose current input runs past the per-input timeout, grows
 * past the memory limit or dies is killed or restarted after that input,
 * which is recorded (and saved) as a failure. Summaries of all children are
 * merged: inputs, outcomes, distinct error messages, slowest input, peak RSS.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { targetByName } from './targets.js';
export { writeSeeds } from './inputs.js';
import type { FailureRecord, WorkerSummary } from './worker.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const WORKER = path.join(HERE, 'worker.ts');

export interface FuzzOptions {
  seed: number;
  /** Stop after this many inputs… */
  count?: number;
  /** …or this many seconds, whichever comes first. */
  seconds?: number;
  /** An input running longer than this is a failure (default 5 s); the child is killed a second later. */
  perInputTimeoutMs?: number;
  /** A child above this resident size is killed and the input counted as a failure (default 1024 MB). */
  maxRssMB?: number;
  seedsDir: string;
  crashesDir: string;
  /** Extra Node flags for the children. */
  nodeArgs?: string[];
}

export interface FuzzResult {
  target: string;
  inputs: number;
  ok: number;
  featvisErrors: number;
  distinctErrors: number;
  failures: FailureRecord[];
  slowestMs: number;
  slowestIndex: number;
  peakRssMB: number;
  seconds: number;
  /** Child processes used (1 + restarts after hangs and crashes). */
  children: number;
}

function rssMB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

interface ChildRun {
  summary: WorkerSummary | null;
  /** The input the child was on when it stopped without a summary. */
  lastIndex: number;
  failure: FailureRecord | null;
  sampledRssMB: number;
}

function runChild(target: string, start: number, count: number, seconds: number, opts: FuzzOptions, statusFile: string, summaryFile: string): Promise<ChildRun> {
  const timeout = opts.perInputTimeoutMs ?? 5000;
  const maxRss = opts.maxRssMB ?? 1024;
  const args = [
    ...(opts.nodeArgs ?? []),
    '--import', 'tsx', WORKER,
    '--target', target, '--seed', String(opts.seed), '--start', String(start), '--count', String(count), '--seconds', String(seconds),
    '--seeds-dir', opts.seedsDir, '--status', statusFile, '--summary', summaryFile, '--crashes', opts.crashesDir,
  ];
  fs.writeFileSync(statusFile, '');
  fs.rmSync(summaryFile, { force: true });
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.resume();
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
  let lastIndex = start;
  let started = false;
  let since = performance.now();
  let sampled = 0;
  let killed: FailureRecord | null = null;
  const timer = setInterval(() => {
    const s = fs.readFileSync(statusFile, 'utf8').trim();
    if (s !== '') started = true;
    const idx = s === '' ? start : Number(s);
    if (idx !== lastIndex) {
      lastIndex = idx;
      since = performance.now();
    }
    const rss = child.pid === undefined ? 0 : rssMB(child.pid);
    sampled = Math.max(sampled, rss);
    if (killed) return;
    if (rss > maxRss) killed = { index: lastIndex, kind: 'memory', error: `resident size ${rss.toFixed(0)} MB above the ${maxRss} MB limit` };
    // Startup (tsx, seeds, setup) is not an input: allow it 60 s.
    else if (performance.now() - since > (s === '' ? 60_000 : timeout + 1000)) killed = { index: lastIndex, kind: 'hang', error: `input ran longer than ${timeout} ms (killed)` };
    if (killed) child.kill('SIGKILL');
  }, 100);
  return new Promise((resolve, reject) => {
    child.on('close', (code, signal) => {
      clearInterval(timer);
      let summary: WorkerSummary | null = null;
      try {
        summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8')) as WorkerSummary;
      } catch {
        summary = null;
      }
      if (!summary && !started && !killed) {
        reject(new Error(`fuzz worker for ${target} failed to start (${signal ?? code}): ${stderr.slice(-2000)}`));
        return;
      }
      const failure = summary ? null : (killed ?? { index: lastIndex, kind: 'crash' as const, error: `worker exited (${signal ?? code}): ${stderr.trim().split('\n').slice(-6).join(' | ').slice(0, 800)}` });
      resolve({ summary, lastIndex, failure, sampledRssMB: sampled });
    });
  });
}

/** Fuzzes one target until `count` inputs or `seconds` have passed. */
export async function runFuzz(target: string, opts: FuzzOptions): Promise<FuzzResult> {
  targetByName(target);
  const count = opts.count ?? Number.MAX_SAFE_INTEGER;
  const seconds = opts.seconds ?? Number.MAX_SAFE_INTEGER;
  const statusFile = path.join(os.tmpdir(), `featvis-fuzz-status-${process.pid}-${target}`);
  const summaryFile = `${statusFile}.summary.json`;
  const t0 = performance.now();
  const distinct = new Set<string>();
  const result: FuzzResult = { target, inputs: 0, ok: 0, featvisErrors: 0, distinctErrors: 0, failures: [], slowestMs: 0, slowestIndex: -1, peakRssMB: 0, seconds: 0, children: 0 };
  let next = 0;
  try {
    while (next < count) {
      const left = seconds - (performance.now() - t0) / 1000;
      if (left <= 0) break;
      result.children++;
      const r = await runChild(target, next, count - next, left, opts, statusFile, summaryFile);
      result.peakRssMB = Math.max(result.peakRssMB, r.sampledRssMB);
      const merge = (s: WorkerSummary): void => {
        result.inputs += s.inputs;
        result.ok += s.ok;
        result.featvisErrors += s.featvisErrors;
        for (const d of s.distinct) distinct.add(d);
        result.failures.push(...s.failures);
        if (s.slowestMs > result.slowestMs) {
          result.slowestMs = s.slowestMs;
          result.slowestIndex = s.slowestIndex;
        }
        result.peakRssMB = Math.max(result.peakRssMB, s.peakRssMB);
      };
      if (r.summary) {
        merge(r.summary);
        next = r.summary.next;
        if (r.summary.inputs === 0) break;
      } else {
        // The child hung, grew too large or died on input f.index. Inputs are deterministic: the ones
        // before it are run again in a fresh child for their outcomes, then the run goes on after it.
        const f = r.failure!;
        if (f.index > next) {
          const redo = await runChild(target, next, f.index - next, Number.MAX_SAFE_INTEGER, opts, statusFile, summaryFile);
          if (redo.summary) merge(redo.summary);
          result.children++;
        }
        result.inputs += 1;
        if (f.kind === 'hang' && (opts.perInputTimeoutMs ?? 5000) > result.slowestMs) {
          result.slowestMs = opts.perInputTimeoutMs ?? 5000;
          result.slowestIndex = f.index;
        }
        f.file = await dumpInput(target, f.index, opts);
        result.failures.push(f);
        next = f.index + 1;
      }
    }
  } finally {
    fs.rmSync(statusFile, { force: true });
    fs.rmSync(summaryFile, { force: true });
  }
  result.distinctErrors = distinct.size;
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/** Saves input `index` (regenerated by a worker) into the crashes folder; returns its path. */
async function dumpInput(target: string, index: number, opts: FuzzOptions): Promise<string> {
  fs.mkdirSync(opts.crashesDir, { recursive: true });
  const out = path.join(opts.crashesDir, `${target}-seed${opts.seed}-input${index}.bin`);
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, '--target', target, '--seed', String(opts.seed), '--seeds-dir', opts.seedsDir, '--dump', String(index), '--out', out], { cwd: ROOT, stdio: 'ignore' });
  await new Promise((r) => child.on('close', r));
  return out;
}
