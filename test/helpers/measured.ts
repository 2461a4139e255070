/**
 * Runs a script in a child Node process (through tsx) and measures it: wall
 * time and peak RSS (the child's own `process.resourceUsage().maxRSS`, printed
 * at exit by reportRss.ts). A watchdog samples the child's RSS from /proc and
 * kills it past `killAboveMB` or `timeoutMs`, so a hostile input that would
 * eat the machine's memory fails the test instead.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './python.js';

export interface Measured {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stderr without the RSS report line. */
  stderr: string;
  seconds: number;
  /** Peak resident set size in MB: the child's own figure, else the watchdog's highest sample. */
  peakRssMB: number;
  /** Why the watchdog killed the child, if it did. */
  killed: string | null;
}

export interface MeasureOptions {
  timeoutMs?: number;
  killAboveMB?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const RSS_TAG = '@@featvis-maxrss-kb ';

function sampleRssKB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Runs `node --import tsx <script> ...args` (script relative to the repo root or absolute). */
export function runMeasured(script: string, args: readonly string[] = [], opts: MeasureOptions = {}): Promise<Measured> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const killAboveKB = (opts.killAboveMB ?? 2048) * 1024;
  const reporter = path.join(repoRoot, 'test', 'helpers', 'reportRss.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', reporter, path.resolve(repoRoot, script), ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = performance.now();
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let sampledKB = 0;
  let killed: string | null = null;
  const timer = setInterval(() => {
    if (child.pid === undefined) return;
    const kb = sampleRssKB(child.pid);
    sampledKB = Math.max(sampledKB, kb);
    if (kb > killAboveKB) killed = `RSS ${Math.round(kb / 1024)} MB above the ${opts.killAboveMB ?? 2048} MB watchdog limit`;
    else if (performance.now() - started > timeoutMs) killed = `still running after ${timeoutMs} ms`;
    if (killed) child.kill('SIGKILL');
  }, 20);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      const lines = stderr.split('\n');
      const tagged = lines.find((l) => l.startsWith(RSS_TAG));
      const ownKB = tagged ? Number(tagged.slice(RSS_TAG.length)) : 0;
      resolve({
        code,
        signal,
        stdout,
        stderr: lines.filter((l) => !l.startsWith(RSS_TAG)).join('\n'),
        seconds,
        peakRssMB: Math.max(ownKB, sampledKB) / 1024,
        killed,
      });
    });
  });
}
