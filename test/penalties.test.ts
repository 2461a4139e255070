/** Penalties and the regulariser registry: exact values on tiny images. No ../shared needed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as fv from '../src/index.js';
import { tf, type Tensor4D } from '../src/backend/tf.js';

const close = (a: number, b: number, eps = 1e-6): boolean => Math.abs(a - b) <= eps;
const ctxOf = (image: Tensor4D): fv.ObjectiveContext => ({ acts: {}, image, input: image, batch: image.shape[0] });
const score = (o: fv.Objective, image: Tensor4D): number[] => tf.tidy(() => Array.from(o.score(ctxOf(image)).dataSync()));

/** One 3×3 image, same value in each colour channel: rows [0 .5 1], [0 .5 1], [1 1 1]. */
function img3(): Tensor4D {
  const g = [0, 0.5, 1, 0, 0.5, 1, 1, 1, 1];
  return tf.tensor4d(g.flatMap((v) => [v, v, v]), [1, 3, 3, 3]);
}

test('total variation of a 3×3 image is the mean absolute step along each axis', () => {
  const x = img3();
  // vertical steps (6): |0-0|,|.5-.5|,|1-1|,|1-0|,|1-.5|,|1-1| → mean 0.25
  // horizontal steps (6): .5,.5,.5,.5,0,0 → mean 1/3
  assert.ok(close(score(fv.totalVariation(), x)[0]!, 0.25 + 1 / 3), `${score(fv.totalVariation(), x)}`);
  x.dispose();
});

test('l1 and l2 measure the distance from grey exactly', () => {
  const x = img3();
  const d = [0.5, 0, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0.5];
  assert.ok(close(score(fv.l1(), x)[0]!, d.reduce((a, b) => a + b) / 9));
  assert.ok(close(score(fv.l2(), x)[0]!, d.reduce((a, b) => a + b * b, 0) / 9));
  x.dispose();
});

test('the frequency penalty is zero on a flat image and positive on a checkerboard', () => {
  const flat = tf.fill([1, 8, 8, 3], 0.3) as Tensor4D;
  const checker = tf.tensor4d(Array.from({ length: 64 * 3 }, (_, i) => (((i / 3) | 0) % 8 + (((i / 3) | 0) >> 3)) % 2), [1, 8, 8, 3]);
  assert.ok(close(score(fv.frequency(), flat)[0]!, 0, 1e-10));
  assert.ok(score(fv.frequency(), checker)[0]! > 0.1);
  const blurred = fv.gaussianBlur(flat, 1.5);
  assert.ok(close(tf.max(tf.abs(tf.sub(blurred, 0.3))).dataSync()[0]!, 0, 1e-6), 'blur keeps a constant image');
  tf.dispose([flat, checker, blurred]);
});

test('penaltyObjective is the weighted sum of the active penalties, per image', () => {
  const x = tf.concat([img3(), tf.fill([1, 3, 3, 3], 0.5) as Tensor4D]) as Tensor4D;
  const weighted = score(fv.penaltyObjective({ tv: 2, l1: 0.5, decay: 0.1 })!, x);
  const expect = 2 * (0.25 + 1 / 3) + 0.5 * (3.5 / 9);
  assert.ok(close(weighted[0]!, expect), `${weighted[0]} vs ${expect}`);
  assert.ok(close(weighted[1]!, 0), 'a grey image has no penalty');
  assert.equal(fv.penaltyObjective({ decay: 0.1, blurEvery: 4 }), null, 'step operators are not penalties');
  x.dispose();
});

test('the registry checks strengths and says which regularisers need pixels', () => {
  const pixel = { kind: 'pixel', pixels: {} as fv.ImageParam['pixels'] };
  const fft = { kind: 'fft', pixels: null };
  fv.validateRegularizers({ tv: 1, decay: 0.5, clipNormPct: 99 }, pixel);
  assert.throws(() => fv.validateRegularizers({ decay: 1 }), /decay must be < 1/);
  assert.throws(() => fv.validateRegularizers({ clipNormPct: 100 }), /clipNormPct must be < 100/);
  assert.throws(() => fv.validateRegularizers({ blurEvery: 2.5 }), /blurEvery must be an integer/);
  assert.throws(() => fv.validateRegularizers({ tv: -1 }), /must be a finite number ≥ 0/);
  assert.throws(() => fv.validateRegularizers({ sharpen: 1 } as fv.Regularizers), /unknown regulariser 'sharpen'/);
  assert.throws(() => fv.validateRegularizers({ blurEvery: 4 }, fft), /blur act on pixels: use the pixel parameterisation \(got 'fft'\)/);
  // CLI flags and sweep knobs come from the same table
  assert.deepEqual(fv.REGULARIZER_SETTINGS.map((s) => s.key), [...fv.REGULARIZER_NAMES]);
  for (const k of fv.REGULARIZER_NAMES) assert.ok(fv.SWEEP_KNOBS.includes(k), `sweep knob ${k}`);
});
