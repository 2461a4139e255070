/** Parameterisations: each can represent a given image, seeds are per image, colour decorrelation is invertible. No ../shared needed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as fv from '../src/index.js';
import { tf, type Scalar, type Tensor4D } from '../src/backend/tf.js';

/** A smooth target image in (0.1, 0.9): two colour gradients and a blob. */
function target(h: number, w: number): Tensor4D {
  const d: number[] = [];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const blob = Math.exp(-((x - w / 3) ** 2 + (y - h / 2) ** 2) / 30);
    d.push(0.1 + 0.8 * (x / (w - 1)), 0.1 + 0.8 * (y / (h - 1)), 0.1 + 0.8 * blob);
  }
  return tf.tensor4d(d, [1, h, w, 3]);
}

/** Fits the parameterisation to the target by Adam on the squared error; returns the best mean absolute error seen (checked every 50 steps). */
async function fit(kind: fv.ParamKind, decorrelate: boolean, tolerance: number): Promise<number> {
  const goal = target(16, 20);
  const p = fv.createParam(kind, { batch: 1, height: 16, width: 20, seed: 1, decorrelate });
  // Pixel variables in the decorrelated colour basis have a weak third axis: a larger step reaches it.
  const opt = tf.train.adam(kind === 'pixel' ? 0.1 : 0.05);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 1; i <= 1000 && best >= tolerance; i++) {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(p.toImage(), goal))) as Scalar, p.variables);
    opt.applyGradients(grads as Parameters<typeof opt.applyGradients>[0]);
    tf.dispose([value, ...Object.values(grads)]);
    if (i % 50 === 0) best = Math.min(best, tf.tidy(() => tf.mean(tf.abs(tf.sub(p.toImage(), goal))).dataSync()[0]!));
  }
  tf.dispose([goal]);
  opt.dispose();
  p.dispose();
  return best;
}

test('every parameterisation can fit a given image (odd and even sides, with and without decorrelation)', async () => {
  for (const kind of fv.PARAM_KINDS) {
    for (const decorrelate of [false, true]) {
      // Mean, not max: the Fourier basis is periodic, so a ramp that does not wrap rings at the borders.
      const err = await fit(kind, decorrelate, 0.01);
      assert.ok(err < 0.01, `${kind}${decorrelate ? '+decorrelated' : ''}: mean absolute error ${err}`);
    }
  }
});

test('a parameterisation starts near grey, in [0,1], and frees everything it made', () => {
  const before = tf.memory().numTensors;
  for (const kind of fv.PARAM_KINDS) {
    const p = fv.createParam(kind, { batch: 2, height: 24, width: 24, seed: [1, 2] });
    const img = p.toImage();
    const [lo, hi, mean] = tf.tidy(() => [tf.min(img).dataSync()[0]!, tf.max(img).dataSync()[0]!, tf.mean(img).dataSync()[0]!]);
    assert.ok(lo >= 0 && hi <= 1 && Math.abs(mean - 0.5) < 0.05, `${kind}: [${lo}, ${hi}], mean ${mean}`);
    img.dispose();
    p.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

test('per-image seeds: image i depends only on its own seed', () => {
  for (const kind of fv.PARAM_KINDS) {
    const a = fv.createParam(kind, { batch: 2, height: 16, width: 16, seed: [5, 9] });
    const b = fv.createParam(kind, { batch: 1, height: 16, width: 16, seed: [9] });
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a.toImage().slice([1], [1]), b.toImage()))).dataSync()[0]!);
    assert.equal(d, 0, kind);
    a.dispose();
    b.dispose();
  }
  assert.throws(() => fv.createParam('pixel', { batch: 1, height: 4, width: 4, seed: 0 }), /at least 8×8 px/);
  assert.throws(() => fv.createParam('hex' as fv.ParamKind, { batch: 1, height: 8, width: 8, seed: 0 }), /unknown parameterisation 'hex'/);
});
