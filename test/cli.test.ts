import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { repoRoot, sharedDir, skipWithoutShared } from './helpers/python.js';

const skip = skipWithoutShared();
const MODEL = path.join(sharedDir, 'models', 'tfjs_mobilenet_v1_0.25_224');

function featvis(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'featvis.mjs'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('featvis am writes one PNG per channel, a grid and a JSON sidecar; a rerun resumes without redoing work', { skip }, async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-cli-'));
  const args = ['am', '--model', MODEL, '--layer', 'conv_pw_5_relu', '--channels', '0-3', '--steps', '16', '--size', '48', '--batch', '2', '--out', out];
  const r = featvis(...args);
  assert.equal(r.code, 0, r.err);
  const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')) as { results: Array<{ channel: number; activation: number; file: string }>; settings: { steps: number }; grid: string };
  assert.deepEqual(run.results.map((x) => x.channel), [0, 1, 2, 3]);
  assert.equal(run.settings.steps, 16);
  for (const x of run.results) {
    assert.ok(Number.isFinite(x.activation));
    const meta = await sharp(path.join(out, x.file)).metadata();
    assert.equal(meta.width, 48);
  }
  const grid = await sharp(path.join(out, 'grid.png')).metadata();
  assert.ok(grid.width! > 2 * 48 && grid.height! > 2 * 48);
  const mtimes = run.results.map((x) => fs.statSync(path.join(out, x.file)).mtimeMs);
  const again = featvis(...args);
  assert.equal(again.code, 0, again.err);
  assert.deepEqual(run.results.map((x) => fs.statSync(path.join(out, x.file)).mtimeMs), mtimes, 'finished channels are not rendered again');
  // Other settings into the same folder are refused instead of mixing runs.
  const clash = featvis(...args.map((a) => (a === '16' ? '17' : a)));
  assert.equal(clash.code, 1);
  assert.match(clash.err, /holds a run with other settings/);
});

test('featvis am refuses to resume a run made with other weights under the same model name', { skip }, () => {
  // A retrained model saved over the old one keeps its name: resuming must not reuse the old images.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-cli-'));
  const model = path.join(dir, 'model');
  fs.cpSync(MODEL, model, { recursive: true });
  const out = path.join(dir, 'out');
  const args = ['am', '--model', model, '--layer', 'conv_pw_5_relu', '--channels', '0-1', '--steps', '2', '--size', '32', '--out', out];
  assert.equal(featvis(...args).code, 0);
  assert.equal(featvis(...args).code, 0, 'same weights resume');
  const shard = fs
    .readdirSync(model)
    .filter((f) => f !== 'model.json')
    .sort((a, b) => fs.statSync(path.join(model, b)).size - fs.statSync(path.join(model, a)).size)[0]!;
  const bytes = fs.readFileSync(path.join(model, shard));
  const floats = new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 4));
  floats[floats.length >> 1]! += 0.5;
  fs.writeFileSync(path.join(model, shard), bytes);
  const changed = featvis(...args);
  assert.equal(changed.code, 1);
  assert.match(changed.err, /holds a run with other settings \(model or its weights/);
});

test('CLI errors are clear messages, not stack dumps', { skip }, () => {
  const layer = featvis('am', '--model', MODEL, '--layer', 'conv_pw_5_rel', '--steps', '1', '--out', fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-cli-')));
  assert.equal(layer.code, 1);
  assert.match(layer.err, /unknown layer 'conv_pw_5_rel'.*Closest layer names: conv_pw_5_relu/);
  assert.doesNotMatch(layer.err, /\n\s+at /);
  const ch = featvis('am', '--model', MODEL, '--layer', 'conv_pw_5_relu', '--channels', '500', '--steps', '1', '--out', fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-cli-')));
  assert.match(ch.err, /channel 500 is out of range for layer 'conv_pw_5_relu': valid channels are 0–63/);
  const missing = featvis('layers', '--model', '/nonexistent/model.tflite');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /not found/);
  const junk = path.join(os.tmpdir(), 'featvis-junk.tflite');
  fs.writeFileSync(junk, 'this is not a model');
  const bad = featvis('layers', '--model', junk);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /not a TFLite model|malformed/);
  const typo = featvis('am', '--model', MODEL, '--stpes', '3');
  assert.match(typo.err, /unknown option: --stpes/);
});

test('featvis layers lists layers with shapes', { skip }, () => {
  const r = featvis('layers', '--model', MODEL, '--filter', 'conv_pw_13');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /conv_pw_13_relu\s+\S+\s+7×7×256/);
});

test('featvis score: controls, normalised interpretability with a CI over seeds, identification, the metric and why', { skip, timeout: 600_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-score-'));
  try {
    const images = path.join(dir, 'images');
    fs.mkdirSync(images);
    const val = path.join(sharedDir, 'images', 'imagenette2_224', 'val');
    const all = fs.readdirSync(val).flatMap((c) => fs.readdirSync(path.join(val, c)).slice(0, 5).map((f) => path.join(val, c, f)));
    for (const f of all) fs.symlinkSync(f, path.join(images, path.basename(f)));
    const store = path.join(dir, 'top9', 'exemplars.sqlite');
    const top9 = featvis('top9', '--model', MODEL, '--layers', 'conv_pw_5_relu', '--images', images, '--k', '18', '--store', store, '--sheets', '0', '--out', path.join(dir, 'top9'));
    assert.equal(top9.code, 0, top9.err);
    const runs = [0, 1].map((seed) => {
      const out = path.join(dir, `am-s${seed}`);
      const r = featvis('am', '--model', MODEL, '--layer', 'conv_pw_5_relu', '--channels', '0-2', '--steps', '4', '--size', '48', '--seed', String(seed), '--out', out);
      assert.equal(r.code, 0, r.err);
      return out;
    });
    const r = featvis('score', '--am', runs.join(','), '--store', store, '--metric', 'squeezenet', '--size', '64');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^metric: LPIPS-like\(equal\) on SqueezeNet/m);
    assert.match(r.out, /held-out ranks 10–18/);
    // A number ± its CI, or '–' where chance − ceiling is not clearly above 0 (3 channels, 50 images, 4 steps).
    assert.match(r.out, /normalised interpretability (-?\d\.\d{3} ± \d\.\d{3}|–)/);
    assert.match(r.out, /^channel +score +chance +ceiling/m);
    assert.match(r.out, /identification: AM images \d+\.\d % \[[\d.]+, [\d.]+\], held-out exemplars \d+\.\d % \[/);
    assert.match(r.out, /^pooled: pooled features/m, 'the invariant variants beside the study’s formula');
    const json = JSON.parse(fs.readFileSync(path.join(runs[0]!, 'score.json'), 'utf8')) as { seeds: number[]; draws: Array<{ channel: number; seed: number; random: string[] }> };
    assert.deepEqual(json.seeds, [0, 1]);
    assert.equal(json.draws.length, 6);
    assert.ok(json.draws.every((d) => d.random.length === 9));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
