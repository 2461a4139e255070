/**
 * `featvis identify` end to end on a small real model: exemplars (top-18), AM
 * images with the default recipe (fewer steps here), identification per
 * backbone and variant; a rerun resumes (nothing mined or rendered again);
 * a missing backbone is skipped with its reason.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { tf } from '../src/backend/tf.js';
import { sampleFolder } from '../src/data/sample.js';
import { identifyTable, runIdentification, type IdentifyOptions } from '../src/experiments/identify.js';
import { SCORE_VARIANTS } from '../src/metrics/embedding.js';
import { tinyMobilenet } from './helpers/models.js';
import { sharedDir, skipWithoutShared } from './helpers/python.js';

test('identify: accuracy of AM images, held-out exemplars and random images per backbone and variant; resumable', { skip: skipWithoutShared(), timeout: 900_000 }, async () => {
  const model = await tinyMobilenet();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-identify-'));
  try {
    const opts: IdentifyOptions = {
      model,
      layer: 'conv_pw_5_relu',
      channels: [0, 1, 2, 3],
      images: sampleFolder(path.join(sharedDir, 'images', 'imagenette2_224', 'val'), 60),
      outDir: out,
      metrics: ['squeezenet', 'inception_v3'],
      am: { steps: 8, size: 48, batchSize: 4 },
      size: 64,
    };
    const r = await runIdentification(opts);
    assert.deepEqual(r.rows.map((x) => `${x.backbone}/${x.variant}`), SCORE_VARIANTS.map((v) => `squeezenet/${v}`));
    // InceptionV3 cannot score 64 px images (it needs 75 px), or this build lacks its loader: skipped with the reason, the run goes on
    assert.deepEqual(r.skipped.map((x) => x.backbone), ['inception_v3']);
    assert.match(r.skipped[0]!.reason, /not available here|at least 75×75/);
    const row = r.rows[0]!;
    assert.equal(row.circular, false);
    assert.equal(row.am!.trials, 4 * 3, 'one trial per (channel, other channel)');
    assert.equal(row.heldOut!.trials, 4 * 9 * 3);
    assert.equal(row.random!.trials, 4 * 9 * 3);
    for (const p of [row.am!, row.heldOut!, row.random!]) assert.ok(p.low <= p.rate && p.rate <= p.high && p.low >= 0 && p.high <= 1);
    assert.equal(r.images, 60);
    const md = fs.readFileSync(path.join(out, 'identify.md'), 'utf8');
    assert.equal(md, identifyTable(r));
    assert.match(md, /\| squeezenet \| lpips \| \d+\.\d % \[/);
    assert.ok(fs.existsSync(path.join(out, 'scores', 'squeezenet.json')));
    // rerun: exemplars and AM images come from the stores; the numbers are the same
    // (counted around the rerun: AM runs keep a per-size cache of DFT bases for their image-quality numbers)
    const tensors = tf.memory().numTensors;
    const again = await runIdentification(opts);
    assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks, also where a metric fails');
    assert.ok(again.seconds.am < r.seconds.am, `AM images reused (${again.seconds.am.toFixed(1)} s vs ${r.seconds.am.toFixed(1)} s)`);
    assert.deepEqual(again.rows.map((x) => x.am!.successes), r.rows.map((x) => x.am!.successes));
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
