import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf, backendInfo, type Tensor4D } from '../src/backend/tf.js';

test('native TensorFlow backend is in use (unless FEATVIS_BACKEND=cpu)', () => {
  const info = backendInfo();
  if (process.env.FEATVIS_BACKEND === 'cpu') {
    assert.equal(info.native, false);
    return;
  }
  assert.equal(info.native, true, `fell back to pure JS: ${info.fallbackReason}`);
  assert.equal(info.backend, 'tensorflow');
  assert.match(info.tfVersion ?? '', /^2\./);
});

test('gradients of depthwise and regular convolutions agree with finite differences', () => {
  const x = tf.randomNormal([1, 6, 6, 2], 0, 1, 'float32', 1) as Tensor4D;
  const dw = tf.randomNormal([3, 3, 2, 1], 0, 1, 'float32', 2) as Tensor4D;
  const w = tf.randomNormal([1, 1, 2, 3], 0, 1, 'float32', 3) as Tensor4D;
  const f = (t: Tensor4D) => tf.conv2d(tf.depthwiseConv2d(t, dw, 1, 'same'), w, 1, 'same').square().sum();
  const g = tf.grad((t) => f(t as Tensor4D))(x);
  const eps = 1e-2;
  const idx = 17;
  const e = tf.oneHot([idx], 72).reshape([1, 6, 6, 2]).mul(eps);
  const num = (f(x.add(e) as Tensor4D).dataSync()[0]! - f(x.sub(e) as Tensor4D).dataSync()[0]!) / (2 * eps);
  const ana = g.dataSync()[idx]!;
  assert.ok(Math.abs(num - ana) <= 1e-2 * Math.max(1, Math.abs(ana)), `numeric ${num} vs analytic ${ana}`);
});

test('Relu / Relu6 gradients equal the reference masks, kinks included (Relu6: TensorFlow\'s 0 < x < 6)', () => {
  const x = tf.tensor1d([-2, -0, 0, 1e-7, 0.5, 5.999, 6, 6.001, 9]);
  const g = tf.grad((t) => tf.sum(tf.relu(t)))(x).arraySync() as number[];
  assert.deepEqual(g, [0, 0, 0, 1, 1, 1, 1, 1, 1]);
  const g6 = tf.grad((t) => tf.sum(tf.relu6(t)))(x).arraySync() as number[];
  assert.deepEqual(g6, [0, 0, 0, 1, 1, 1, 0, 0, 0]);
});
