/**
 * Runs reference computations in the project's Python venv (.venv, made by
 * environment/setup-python.sh: TensorFlow/TFLite, Keras, PyTorch).
 * CI sets FEATVIS_REQUIRE_REFERENCE=1, so there a missing venv fails the tests
 * instead of skipping them.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/core/paths.js';

export const repoRoot = packageRoot();
export const sharedDir = path.resolve(repoRoot, process.env.FEATVIS_SHARED ?? '../shared');

export function pythonBin(): string | null {
  const p = process.env.FEATVIS_PYTHON ?? path.join(repoRoot, process.env.FEATVIS_VENV ?? '.venv', 'bin', 'python');
  return fs.existsSync(p) ? p : null;
}

/** Returns a skip reason (string) when the reference Python is missing and not required, else false. */
export function skipWithoutPython(): string | false {
  if (pythonBin()) return false;
  if (process.env.FEATVIS_REQUIRE_REFERENCE) throw new Error('reference Python venv missing: run environment/setup-python.sh');
  return 'reference Python venv (.venv) not set up: run environment/setup-python.sh';
}

export function skipWithoutShared(): string | false {
  if (fs.existsSync(path.join(sharedDir, 'models'))) return false;
  if (process.env.FEATVIS_REQUIRE_SHARED) throw new Error(`shared data folder missing at ${sharedDir}`);
  return `shared data not found at ${sharedDir}`;
}

/** Runs `code` with the reference Python; returns stdout. Throws with stderr on failure. */
export function runPython(code: string, args: string[] = [], timeoutMs = 300_000): string {
  const py = pythonBin();
  if (!py) throw new Error('reference Python venv missing');
  const r = spawnSync(py, ['-c', code, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 256 << 20,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', PYTHONUNBUFFERED: '1' },
  });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr?.slice(-4000)}`);
  return r.stdout;
}
