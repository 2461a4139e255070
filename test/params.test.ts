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

test('pixel and Fourier parameterisations can fit a given image (with and without decorrelation)', async () => {
  for (const kind of ['pixel', 'fft'] as const) {
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

test('MACO keeps the natural magnitude spectrum whatever the phase: pushed towards noise, it drifts far less than pixels', async () => {
  const { highFrequencyShare } = await import('../src/data/quality.js');
  const hf = (img: Tensor4D): number => {
    const [n, h, w] = img.shape;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const gray = tf.tidy(() => tf.mean(img.slice([i], [1]), 3).reshape([-1]).dataSync() as Float32Array);
      s += highFrequencyShare(gray, h, w);
    }
    return s / n;
  };
  // Push the image towards white noise (maximise its high-pass energy) under each parameterisation.
  const noisy = async (kind: fv.ParamKind): Promise<number> => {
    const p = fv.createParam(kind, { batch: 2, height: 32, width: 32, seed: [3, 4] });
    const opt = tf.train.adam(0.1);
    for (let i = 0; i < 150; i++) {
      const { value, grads } = tf.variableGrads(() => {
        const img = p.toImage();
        return tf.neg(tf.mean(tf.square(tf.sub(img, fv.gaussianBlur(img, 1))))) as Scalar;
      }, p.variables);
      opt.applyGradients(grads as Parameters<typeof opt.applyGradients>[0]);
      tf.dispose([value, ...Object.values(grads)]);
    }
    const img = p.toImage();
    const share = hf(img);
    tf.dispose([img]);
    opt.dispose();
    p.dispose();
    return share;
  };
  const maco = await noisy('maco');
  const pixel = await noisy('pixel');
  assert.ok(pixel > 0.3, `the control drifts: pixel high-frequency share ${pixel}`);
  // Only the sigmoid's saturation can add high frequencies to MACO's natural spectrum.
  assert.ok(maco < 0.25 && maco < pixel / 3, `MACO stays far more natural: high-frequency share ${maco} vs pixel ${pixel}`);
});
