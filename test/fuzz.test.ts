/**
 * Seeded mutation fuzzing of every parser of untrusted files (issue 14), for
 * a bounded time each: pickle, .pth, zip, TFLite, HDF5, BMP, TF.js model.json
 * and sweep configs. Each runs in watched child processes (bench/fuzz/):
 * every outcome must be a parse or featvis's own one-line FeatvisError, no
 * input may take more than 5 s, and no child may grow past 1 GB. The long
 * run (≥ 100,000 inputs per parser) is `bench/fuzz.ts`.
 *
 * FEATVIS_FUZZ_SECONDS (default 12) sets the time per parser; FEATVIS_FUZZ_SEED the seed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runFuzz, writeSeeds } from '../bench/fuzz/harness.js';
import { TARGETS } from '../bench/fuzz/targets.js';
import { pythonBin } from './helpers/python.js';

const SECONDS = Number(process.env.FEATVIS_FUZZ_SECONDS ?? 12);
const SEED = Number(process.env.FEATVIS_FUZZ_SEED ?? 20261202);
let seedsDir = '';
let crashesDir = '';
let missing = new Map<string, string>();

before(() => {
  seedsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-fuzz-seeds-'));
  crashesDir = path.join(os.tmpdir(), `featvis-fuzz-crashes-${process.pid}`);
  const python = pythonBin();
  if (!python && process.env.FEATVIS_REQUIRE_REFERENCE) throw new Error('reference Python venv missing: the HDF5 fuzz seeds need h5py');
  missing = writeSeeds(seedsDir, { python });
});
after(() => fs.rmSync(seedsDir, { recursive: true, force: true }));

for (const target of TARGETS) {
  test(`fuzz ${target.name}: ${target.covers}`, { timeout: (SECONDS + 90) * 1000 }, async (t) => {
    if (missing.has(target.name)) return t.skip(missing.get(target.name));
    const r = await runFuzz(target.name, { seed: SEED, seconds: SECONDS, seedsDir, crashesDir });
    t.diagnostic(
      `${r.inputs} inputs in ${r.seconds.toFixed(1)} s: ${r.ok} parsed, ${r.featvisErrors} FeatvisError (${r.distinctErrors} distinct messages), ` +
        `${r.failures.length} failures; slowest input ${r.slowestMs.toFixed(1)} ms; peak RSS ${r.peakRssMB.toFixed(0)} MB`,
    );
    const shown = r.failures.slice(0, 5).map((f) => `input ${f.index} [${f.kind}] ${f.error.split('\n')[0]}${f.file ? ` (saved: ${f.file})` : ''}`);
    assert.deepEqual(shown, [], `failures (seed ${SEED}; rerun one with bench/fuzz/worker.ts --dump)`);
    assert.ok(r.inputs >= 200, `only ${r.inputs} inputs ran`);
    assert.ok(r.ok > 0 && r.featvisErrors > 0, 'both outcomes are reached (seeds parse, mutations are refused)');
    assert.ok(r.slowestMs < 5000, `slowest input took ${r.slowestMs.toFixed(0)} ms`);
    assert.ok(r.peakRssMB < 1024, `peak RSS ${r.peakRssMB.toFixed(0)} MB`);
  });
}
