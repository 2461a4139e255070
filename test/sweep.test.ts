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
import { summarize, verdicts } from '../src/experiments/summary.js';
import type { QueryScore } from '../src/metrics/interpretability.js';
import { excludesZero, meanCI } from '../src/metrics/stats.js';
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
  // the baseline once per (channel, seed), then tv=1, l2=5, blur=1: strength 0 of each knob IS the baseline
  const total = 4 * cfg.channels.length;
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
    assert.ok(Math.abs(f.scores.lpips!.score - c.scores.lpips!.score) < 1e-4, `${key(c)} score ${f.scores.lpips!.score} vs ${c.scores.lpips!.score}`);
  }
  assert.equal(resumed.cells.filter((c) => c.knob === 'baseline').length, cfg.channels.length, 'the baseline is rendered once per (channel, seed)');
  assert.ok(!resumed.cells.some((c) => c.strength === 0 && c.knob !== 'baseline'), 'no knob renders its strength 0 again');
  assert.equal(resumed.controls.length, cfg.channels.length * cfg.seeds.length, 'controls per (channel, seed)');
  for (const c of resumed.controls) {
    assert.equal(c.random.length, 9);
    assert.equal(c.queries.lpips!.filter((q) => q.kind === 'heldOut').length, 9, 'held-out exemplars: ranks 10–18');
    assert.equal(c.queries.lpips!.filter((q) => q.kind === 'random').length, 9);
  }

  // Report: HTML with one Plotly chart per knob, the best-per-regulariser grid and data tables.
  const { html, best, rep } = await writeSweepReport(dirB);
  const text = fs.readFileSync(html, 'utf8');
  assert.equal(rep.variants.map((v) => v.variant).join(','), 'lpips,pooled,stats', "the study's formula first, the invariant variants beside it");
  assert.equal((text.match(/<script>Plotly\.newPlot\(/g) ?? []).length, rep.variants.length * 3 * 2, 'per variant and knob: normalised and raw charts');
  assert.match(text, /LPIPS-like/);
  assert.ok(!/>LPIPS v0/.test(text), 'a stand-in metric is never called LPIPS');
  assert.match(text, /higher = more interpretable/);
  assert.ok(fs.statSync(best).size > 1000);
  assert.ok(!fs.existsSync(path.join(dirB, 'plotly.min.js')) && text.includes('<script id="plotly-library">'), 'report.html carries Plotly itself');
  assert.equal(rep.verdicts.length, 3);
  for (const v of rep.verdicts) {
    if (v.best) assert.ok(excludesZero(v.best.diff!) && v.best.diff!.mean > 0, `${v.knob}: a best strength only where the paired CI excludes 0`);
    else assert.match(v.verdict, /no measurable effect/);
  }
  const v0 = rep.variants[0]!;
  const raw = v0.scoreFigures[0]!.figure.data.map((t) => String(t.name));
  for (const name of ['score', 'chance', 'ceiling', 'positive control']) assert.ok(raw.some((n) => n.startsWith(name)), `raw-score legend has ${name}: ${raw.join(' | ')}`);
  const norm = rep.figures[0]!.figure.data.map((t) => String(t.name));
  for (const name of ['chance', 'ceiling']) assert.ok(norm.some((n) => n.startsWith(name)), `normalised legend has ${name}: ${norm.join(' | ')}`);
  assert.equal(norm.some((n) => n.startsWith('positive control')), Number.isFinite(v0.controls.positive?.mean ?? Number.NaN), 'the positive control is drawn wherever it is defined');
  assert.ok(rep.variants[0]!.controls.ceiling !== null && rep.variants[0]!.controls.positiveIdentification !== null);
  assert.ok(rep.cells.every((c) => c.scores.lpips!.distances.length === 9 && c.scores.lpips!.distances.every((d) => d >= 0) && c.scores.lpips!.toTop.length === 2));
});

/** A cell whose AM image has normalised interpretability `n` (score and chance chosen to give it with ceiling 1). */
function cell(knob: string, strength: number, channel: number, seed: number, n: number): CellRow {
  const chance = 3;
  const q: QueryScore = { kind: 'am', channel, seed, toTop: [], distances: [], score: chance - n * (chance - 1), chance, ceiling: 1, normalized: n };
  return { knob: knob as CellRow['knob'], strength, channel, seed, activation: 1, image: '', millis: 0, scores: { lpips: q } };
}

test('sweep summary: paired differences from the baseline with a Student-t CI; a best strength only where it excludes 0', () => {
  const base = [0.1, 0.2, 0.3, 0.4];
  const cells = [
    ...base.map((n, ch) => cell('baseline', 0, ch, 0, n)),
    // tv=1: +0.1, +0.2, +0.3, +0.4 → mean 0.25, sd 0.129099, half-width 3.182·sd/2 = 0.205396: excludes 0
    ...base.map((n, ch) => cell('tv', 1, ch, 0, n + [0.1, 0.2, 0.3, 0.4][ch]!)),
    // tv=2: +0.3, −0.2, +0.1, −0.1 → mean 0.025, CI ± 0.3527: includes 0
    ...base.map((n, ch) => cell('tv', 2, ch, 0, n + [0.3, -0.2, 0.1, -0.1][ch]!)),
    // l2=5: −0.3, −0.2, −0.3, −0.2 → measurably worse; l2=9: ±0.05 → no effect
    ...base.map((n, ch) => cell('l2', 5, ch, 0, n + [-0.3, -0.2, -0.3, -0.2][ch]!)),
    ...base.map((n, ch) => cell('l2', 9, ch, 0, n + [0.05, -0.05, 0.05, -0.05][ch]!)),
  ];
  const s = summarize(cells, { tv: [0, 1, 2], l2: [0, 5, 9] }, [0, 1, 2, 3], (_k, strength) => strength === 0);
  const at = (knob: string, strength: number) => s.find((r) => r.knob === knob && r.strength === strength)!;
  assert.equal(at('tv', 0).baseline, true);
  assert.equal(at('tv', 0).diff, null);
  assert.equal(at('tv', 0).n, 4, 'strength 0 shows the baseline cells');
  const d1 = at('tv', 1).diff!;
  assert.ok(Math.abs(d1.mean - 0.25) < 1e-12);
  assert.ok(Math.abs(d1.halfWidth! - (3.182 * 0.1290994449) / 2) < 1e-6, `half-width ${d1.halfWidth}`);
  assert.equal(d1.n, 4);
  const d2 = at('tv', 2).diff!;
  assert.ok(Math.abs(d2.mean - 0.025) < 1e-12);
  assert.ok(Math.abs(d2.halfWidth! - (3.182 * 0.2217355783) / 2) < 1e-6, `half-width ${d2.halfWidth}`);
  // the raw score moves the other way (lower = closer): −2 × the normalised difference here
  assert.ok(Math.abs(at('tv', 1).scoreDiff!.mean + 0.5) < 1e-12);
  const v = verdicts(s);
  const tv = v.find((x) => x.knob === 'tv')!;
  const l2 = v.find((x) => x.knob === 'l2')!;
  assert.equal(tv.best?.strength, 1, 'tv=1 is measurably better; tv=2 is not');
  assert.equal(l2.best, null);
  assert.deepEqual(l2.worse, [5]);
  assert.match(l2.verdict, /^no measurable effect; measurably worse at 5/);
  // control that must fail: tv=1's real improvement measured on 2 channels only: the interval includes 0
  const few = summarize(cells.filter((c) => c.channel < 2), { tv: [0, 1] }, [0, 1], (_k, strength) => strength === 0);
  assert.equal(verdicts(few)[0]!.best, null);
  const ci = meanCI([0.5, 0.7]);
  assert.ok(Math.abs(ci.mean - 0.6) < 1e-12);
  assert.ok(Math.abs(ci.halfWidth! - 12.706 * Math.SQRT1_2 * 0.1414213562) < 1e-3);
  assert.throws(() => parseSweepConfig({ model: 'm', layer: 'l', channels: [1], sweep: { nope: [1] }, exemplars: { images: 'x' }, metric: { kind: 'lpips' } }), /unknown knob "nope"/);
});
