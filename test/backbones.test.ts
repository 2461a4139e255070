/**
 * Offline backbones of the LPIPS-like metric (real ImageNet weights from
 * ../shared): each loads with spatial taps; its embeddings reproduce the LPIPS
 * formula (variant 'lpips') and the spatially invariant variants as defined;
 * InceptionV3 from nsfwjs is skipped with a clear message where its loader is
 * missing; 'auto' picks calibrated LPIPS where it can be had, else the default
 * offline metric, and says why.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { tf, type Tensor2D, type Tensor4D } from '../src/backend/tf.js';
import { readImageBatch } from '../src/data/image.js';
import { listImages } from '../src/data/folder.js';
import { FeatvisError } from '../src/core/errors.js';
import { resolveMetric } from '../src/experiments/metricFactory.js';
import { BACKBONE_IDS, BACKBONE_SPECS, DEFAULT_OFFLINE_METRIC, loadBackboneMetric } from '../src/metrics/backbones.js';
import { normalizeChannels, squaredDistances } from '../src/metrics/embedding.js';
import { sharedDir, skipWithoutShared } from './helpers/python.js';

const skip = skipWithoutShared();

async function photos(n: number, size: number): Promise<Tensor4D> {
  const files = listImages(path.join(sharedDir, 'images', 'coral_samples')).map((e) => e.path).slice(0, n);
  return readImageBatch(files, [size, size]);
}

for (const id of ['mobilenet_v2', 'mobilenet_v1', 'squeezenet']) {
  test(`backbone ${id}: embeddings give the LPIPS formula and its pooled / channel-statistics variants`, { skip, timeout: 300_000 }, async () => {
    const m = await loadBackboneMetric(id);
    const x = await photos(4, 96);
    const before = tf.memory().numTensors;
    try {
      assert.equal(m.kind, 'lpips-like');
      assert.match(m.label, /^LPIPS-like\(equal\)/);
      assert.ok(m.layers.length >= 5);
      const e = m.embed(x);
      const a = tf.slice(x, [0, 0, 0, 0], [1, -1, -1, -1]);
      const want = tf.tidy(() => Array.from(m.distance(a, x).dataSync()));
      const first = tf.slice(e.lpips!, [0, 0], [1, -1]) as Tensor2D;
      const got = Array.from(squaredDistances(first, e.lpips!));
      want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) <= 1e-4 * Math.max(1, w), `lpips variant, image ${i}: ${got[i]} vs ${w}`));
      assert.ok(got[0]! < 1e-3 && got[1]! > 0.1);
      // pooled and stats from the normalised taps, computed here independently
      const ref = tf.tidy(() => {
        const acts = m.features.activations(x, m.layers);
        const pooled: Tensor2D[] = [];
        const stats: Tensor2D[] = [];
        for (const l of m.layers) {
          const nrm = normalizeChannels(acts[l] as Tensor4D);
          const mean = tf.mean(nrm, [1, 2]) as Tensor2D;
          const sd = tf.sqrt(tf.mean(tf.square(tf.sub(nrm, tf.reshape(mean, [mean.shape[0], 1, 1, -1]))), [1, 2])) as Tensor2D;
          pooled.push(mean);
          stats.push(mean, sd);
        }
        return { pooled: tf.concat(pooled, 1) as Tensor2D, stats: tf.concat(stats, 1) as Tensor2D };
      });
      for (const v of ['pooled', 'stats'] as const) {
        const dg = squaredDistances(e[v]!, e[v]!);
        const dr = squaredDistances(ref[v], ref[v]);
        dr.forEach((w, i) => assert.ok(Math.abs(dg[i]! - w) <= 1e-4 * Math.max(0.01, w), `${v} ${i}: ${dg[i]} vs ${w}`));
      }
      tf.dispose([a, first, ...Object.values(e), ref.pooled, ref.stats]);
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    } finally {
      x.dispose();
      m.dispose();
    }
  });
}

test('InceptionV3 (nsfwjs, taps up to mixed5) loads, or is skipped with a message that says what is missing', { skip, timeout: 300_000 }, async () => {
  assert.ok(BACKBONE_IDS.includes('inception_v3'));
  assert.equal(BACKBONE_SPECS.inception_v3!.source(), 'nsfwjs:inception_v3');
  assert.deepEqual(BACKBONE_SPECS.inception_v3!.preprocess, { size: [299, 299], range: [0, 1], channelOrder: 'RGB' });
  try {
    const m = await loadBackboneMetric('inception_v3');
    try {
      assert.deepEqual(m.layers.slice(1), ['mixed0', 'mixed2', 'mixed3', 'mixed5'], 'only ImageNet layers (≤ mixed5)');
    } finally {
      m.dispose();
    }
  } catch (err) {
    assert.ok(err instanceof FeatvisError, String(err));
    assert.match(err.message, /^backbone inception_v3 .* is not available here: .*nsfwjs/);
    assert.ok(!err.message.includes('\n'), 'one line');
  }
});

test("metric 'auto' offline: the default offline metric, and a reason that names the measurement", { skip, timeout: 300_000 }, async () => {
  // an empty cache and no downloads: calibrated LPIPS cannot be had
  const old = { offline: process.env.FEATVIS_OFFLINE, cache: process.env.FEATVIS_CACHE };
  process.env.FEATVIS_OFFLINE = '1';
  process.env.FEATVIS_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-cache-'));
  try {
    const r = await resolveMetric({ kind: 'auto' });
    try {
      assert.deepEqual(r.config, { kind: 'backbone', backbone: DEFAULT_OFFLINE_METRIC.backbone });
      assert.match(r.why, /^default offline metric: LPIPS-like\(equal\) on .* chosen by held-out-exemplar identification accuracy \d/);
      assert.match(r.why, /calibrated LPIPS is not available here/);
      assert.ok(r.lpipsUnavailable);
    } finally {
      r.metric.dispose();
    }
  } finally {
    fs.rmSync(process.env.FEATVIS_CACHE, { recursive: true, force: true });
    for (const [k, v] of [['FEATVIS_OFFLINE', old.offline], ['FEATVIS_CACHE', old.cache]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
