/** Transforms as composable, checked data: exact results on tiny tensors. No ../shared needed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as fv from '../src/index.js';
import { tf, type Tensor4D } from '../src/backend/tf.js';
import { withJitter } from '../src/experiments/config.js';

/** [1, 4, 4, 1] ramp 0..15 repeated into 3 channels. */
function ramp(): Tensor4D {
  return tf.tensor4d(Array.from({ length: 16 * 3 }, (_, i) => Math.floor(i / 3)), [1, 4, 4, 3]);
}
const chan0 = (t: Tensor4D): number[] => Array.from(tf.tidy(() => t.slice([0, 0, 0, 0], [-1, -1, -1, 1]).reshape([-1])).dataSync());

test('pad grows the canvas with grey (or the given value) or a reflection', () => {
  const x = ramp();
  const rng = new fv.Rng(1);
  const grey = fv.applyTransforms(x, [{ op: 'pad', px: 1 }], rng);
  assert.deepEqual(grey.shape, [1, 6, 6, 3]);
  assert.deepEqual(chan0(grey).slice(0, 8), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0]);
  const refl = fv.applyTransforms(x, [{ op: 'pad', px: 1, mode: 'reflect' }], rng);
  assert.deepEqual(chan0(refl).slice(6, 12), [1, 0, 1, 2, 3, 2]);
  tf.dispose([x, grey, refl]);
});

test('an integer jitter shifts the image by the drawn amount, edges clamped', () => {
  const x = ramp();
  // Find what the generator draws, then check the result against a shift by that much.
  const probe = new fv.Rng(7);
  const dx = probe.int(-1, 1);
  const dy = probe.int(-1, 1);
  const y = fv.applyTransforms(x, [{ op: 'jitter', px: 1 }], new fv.Rng(7));
  const expect: number[] = [];
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) expect.push(Math.min(3, Math.max(0, r - dy)) * 4 + Math.min(3, Math.max(0, c - dx)));
  assert.deepEqual(chan0(y).map((v) => Math.round(v * 1e4) / 1e4), expect, `shift (${dx}, ${dy})`);
  tf.dispose([x, y]);
});

test('identity steps change nothing; a full-size crop is the identity too', () => {
  const x = ramp();
  const same: fv.TransformList = [{ op: 'jitter', px: 0 }, { op: 'scale', factors: [1] }, { op: 'rotate', degrees: [0] }, { op: 'crop', scale: [1, 1] }, { op: 'noise', std: 0 }];
  assert.ok(fv.applyTransforms(x, [], new fv.Rng(0)) === x, 'the empty list returns its input');
  const y = fv.applyTransforms(x, same, new fv.Rng(3));
  assert.ok(tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]! < 1e-5);
  tf.dispose([x, y]);
});

test('a half-size crop zooms in by 2 around a point inside the image', () => {
  const x = tf.tensor4d(Array.from({ length: 64 * 3 }, (_, i) => (Math.floor(i / 3) % 8) / 7), [1, 8, 8, 3]); // horizontal ramp 0..1
  const y = fv.applyTransforms(x, [{ op: 'crop', scale: [0.5, 0.5] }], new fv.Rng(11));
  const row = chan0(y).slice(0, 8);
  const slope = (row[7]! - row[0]!) / 7;
  assert.ok(Math.abs(slope - 0.5 / 7) < 1e-4, `zoom ×2 halves the ramp's slope: ${slope * 7}`);
  assert.ok(row[0]! >= -1e-6 && row[7]! <= 1 + 1e-6, 'the crop stays inside the image');
  tf.dispose([x, y]);
});

test('noise and resize do what they say; the same seed gives the same draws', () => {
  const x = tf.fill([2, 16, 16, 3], 0.5) as Tensor4D;
  const list: fv.TransformList = [{ op: 'noise', std: 0.1 }, { op: 'resize', size: 8 }];
  const a = fv.applyTransforms(x, list, new fv.Rng(5));
  const b = fv.applyTransforms(x, list, new fv.Rng(5));
  assert.deepEqual(a.shape, [2, 8, 8, 3]);
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  const sd = tf.tidy(() => Math.sqrt(tf.moments(tf.sub(a, 0.5)).variance.dataSync()[0]!));
  assert.ok(sd > 0.02 && sd < 0.1, `noise survives the resize (sd ${sd})`);
  const first = tf.tidy(() => tf.max(tf.abs(tf.sub(a.slice([0], [1]), a.slice([1], [1])))).dataSync()[0]!);
  assert.equal(first, 0, 'one noise field per step, shared by the batch');
  tf.dispose([x, a, b]);
});

test('presets are data: standard, scaled to the image size, crops; parse errors are clear', () => {
  assert.deepEqual(fv.transformPreset('standard'), fv.STANDARD_TRANSFORMS);
  const scaled = fv.transformPreset('scaled', 448);
  assert.deepEqual(scaled.slice(0, 2), [{ op: 'pad', px: 24, mode: 'constant' }, { op: 'jitter', px: 16 }]);
  assert.deepEqual(fv.transformPreset('scaled', 64).slice(0, 2), [{ op: 'pad', px: 3, mode: 'constant' }, { op: 'jitter', px: 2 }]);
  assert.deepEqual(fv.parseTransforms({ pad: 4, jitter: 2 }), [{ op: 'pad', px: 4, mode: 'constant' }, { op: 'jitter', px: 2 }]);
  assert.deepEqual(fv.parseTransforms([{ op: 'rotate', degrees: [-3, 3] }]), [{ op: 'rotate', degrees: [-3, 3] }]);
  assert.throws(() => fv.parseTransforms([{ op: 'warp' }]), /unknown op "warp"/);
  assert.throws(() => fv.parseTransforms([{ op: 'crop', scale: [0.8, 0.2] }]), /lo ≤ hi/);
  assert.throws(() => fv.parseTransforms([{ op: 'jitter', px: 1e9 }]), /px must be an integer in 0–1024/);
  assert.throws(() => fv.transformPreset('fancy'), /unknown transform preset 'fancy'/);
  assert.deepEqual(withJitter(fv.STANDARD_TRANSFORMS, 3)[1], { op: 'jitter', px: 3 });
  assert.deepEqual(withJitter([{ op: 'pad', px: 2 }], 5), [{ op: 'pad', px: 2 }, { op: 'jitter', px: 5 }]);
});
