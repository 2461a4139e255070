/**
 * Each fast path gives what the composed version it replaced gives: native
 * ReluGrad / Relu6Grad vs the masks (redirect included), the TFLite activations,
 * broadcast matmuls for 1×1 convolutions, whole-pixel shifts and pad + shift vs
 * the bilinear resampler. No ../shared needed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf, type Tensor, type Tensor4D } from '../src/backend/tf.js';
import { setReluRedirect } from '../src/backend/fastGradients.js';
import { activate, biasActivation } from '../src/models/tfliteActivation.js';
import * as S from '../src/io/tfliteSchema.js';
import { affineSampleShared, bilinearMap } from '../src/optvis/affine.js';
import { Rng } from '../src/optvis/rng.js';
import { padShifted, shiftClamped } from '../src/optvis/shift.js';
import { applyTransforms } from '../src/optvis/transforms.js';

const maxDiff = (a: Tensor, b: Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
const same = (a: Tensor, b: Tensor, what: string): void => assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()), what);

/** The gradients featvis used before (fastGradients.ts and tfliteOps.ts up to 2026-12), from the pre-activation x. */
function oldRelu(g: Tensor, x: Tensor, redirect: boolean): Tensor {
  return tf.tidy(() => {
    const plain = tf.mul(g, tf.cast(tf.greater(x, 0), 'float32'));
    if (!redirect) return plain;
    const stuck = tf.equal(tf.sum(tf.abs(plain), [1, 2, 3], true), 0);
    return tf.where(stuck, tf.mul(g, tf.cast(tf.logicalOr(tf.greater(x, 0), tf.less(g, 0)), 'float32')), plain);
  });
}
function oldRelu6(g: Tensor, x: Tensor, redirect: boolean): Tensor {
  return tf.tidy(() => {
    const inside = tf.logicalAnd(tf.greater(x, 0), tf.lessEqual(x, 6));
    const plain = tf.mul(g, tf.cast(inside, 'float32'));
    if (!redirect) return plain;
    const stuck = tf.equal(tf.sum(tf.abs(plain), [1, 2, 3], true), 0);
    const towards = tf.logicalOr(tf.logicalAnd(tf.lessEqual(x, 0), tf.less(g, 0)), tf.logicalAnd(tf.greater(x, 6), tf.greater(g, 0)));
    return tf.where(stuck, tf.mul(g, tf.cast(tf.logicalOr(inside, towards), 'float32')), plain);
  });
}

/** Pre-activations for 4 items: item 1 all negative (stuck for ReLU), item 3 all above 6 (stuck for ReLU6); no value exactly 0 or 6. */
function preactivations(): { x: Tensor4D; g: Tensor4D } {
  return tf.tidy(() => {
    const base = tf.randomNormal([4, 9, 7, 5], 2, 4, 'float32', 11);
    const shift = tf.tensor4d([0, -40, 0, 30], [4, 1, 1, 1]);
    const x = tf.add(base, shift) as Tensor4D;
    const g = tf.randomNormal([4, 9, 7, 5], 0, 1, 'float32', 12) as Tensor4D;
    return { x, g };
  });
}

test('ReLU / ReLU6 gradients (native kernels, from the output) equal the old masks, redirect on and off', () => {
  const { x, g } = preactivations();
  assert.equal(tf.tidy(() => tf.any(tf.logicalOr(tf.equal(x, 0), tf.equal(x, 6))).dataSync()[0]), 0);
  for (const redirect of [false, true]) {
    setReluRedirect(redirect);
    try {
      const [gr] = tf.grads((t: Tensor) => tf.sum(tf.mul(tf.relu(t), g)))([x]);
      const [g6] = tf.grads((t: Tensor) => tf.sum(tf.mul(tf.relu6(t), g)))([x]);
      const r = oldRelu(g, x, redirect);
      const r6 = oldRelu6(g, x, redirect);
      same(gr!, r, `relu, redirect ${redirect}`);
      same(g6!, r6, `relu6, redirect ${redirect}`);
      if (redirect) {
        // The stuck items really were redirected (else the test would prove nothing).
        assert.ok(tf.tidy(() => tf.sum(tf.abs(tf.slice(gr!, [1], [1]))).dataSync()[0]!) > 0, 'relu item 1 redirected');
        assert.ok(tf.tidy(() => tf.sum(tf.abs(tf.slice(g6!, [3], [1]))).dataSync()[0]!) > 0, 'relu6 item 3 redirected');
      }
      tf.dispose([gr!, g6!, r, r6]);
    } finally {
      setReluRedirect(false);
    }
  }
  tf.dispose([x, g]);
});

test('at the kinks: ReLU passes x > 0; ReLU6 passes 0 < x < 6 (TensorFlow and PyTorch), where tfjs also passed x = 6', () => {
  const x = tf.tensor1d([-2, -0, 0, 1e-7, 0.5, 5.999, 6, 6.001, 9]);
  assert.deepEqual(tf.grad((t) => tf.sum(tf.relu(t)))(x).arraySync(), [0, 0, 0, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(tf.grad((t) => tf.sum(tf.relu6(t)))(x).arraySync(), [0, 0, 0, 1, 1, 1, 0, 0, 0]);
  const x2 = tf.tensor2d([[-2, 6, 7]]);
  setReluRedirect(true);
  try {
    // Redirected (the item's plain gradient is all zero): an input at 6 is pushed down with the ones above it.
    const redirected = (up: number): number[] => Array.from(tf.grad((t) => tf.sum(tf.mul(tf.relu6(t), up)))(x2).dataSync(), (v) => v + 0);
    assert.deepEqual(redirected(-1), [-1, 0, 0]);
    assert.deepEqual(redirected(1), [0, 1, 1]);
  } finally {
    setReluRedirect(false);
  }
});

test('TFLite fused RELU / RELU6 gradients equal the old masks (no redirect inside imported graphs)', () => {
  const { x, g } = preactivations();
  setReluRedirect(true); // must not matter: TFLite activations carry their own gradient
  try {
    for (const [act, ref] of [
      [S.Activation.RELU, oldRelu],
      [S.Activation.RELU6, oldRelu6],
    ] as const) {
      const [d] = tf.grads((t: Tensor) => tf.sum(tf.mul(activate(t, act), g)))([x]);
      const r = ref(g, x, false);
      same(d!, r, `activation ${act}`);
      same(activate(x, act), act === S.Activation.RELU ? tf.relu(x) : tf.relu6(x), `activation ${act} forward`);
      tf.dispose([d!, r]);
    }
    // With a bias (a model constant) folded into the same op: x + b, then the activation.
    const b = tf.randomNormal([5], 0, 1, 'float32', 13);
    for (const act of [S.Activation.NONE, S.Activation.RELU, S.Activation.RELU6]) {
      const post = biasActivation(b, act);
      const f = (t: Tensor): Tensor => (act === S.Activation.NONE ? tf.add(t, b) : act === S.Activation.RELU ? tf.relu(tf.add(t, b)) : tf.relu6(tf.add(t, b)));
      same(post(x), f(x), `bias + activation ${act} forward`);
      const [d] = tf.grads((t: Tensor) => tf.sum(tf.mul(post(t), g)))([x]);
      const pre = tf.add(x, b);
      const r = act === S.Activation.NONE ? g : act === S.Activation.RELU ? oldRelu(g, pre, false) : oldRelu6(g, pre, false);
      same(d!, r, `bias + activation ${act} gradient`);
      tf.dispose([d!, pre, r === g ? [] : r].flat());
    }
    b.dispose();
  } finally {
    setReluRedirect(false);
  }
  tf.dispose([x, g]);
});

test('a 1×1 convolution as one broadcast matmul equals the reshaped matmul and conv2d, values and input gradients', () => {
  const x = tf.randomNormal([2, 5, 6, 4], 0, 1, 'float32', 3) as Tensor4D;
  const w = tf.randomNormal([4, 7], 0, 1, 'float32', 4);
  const dy = tf.randomNormal([2, 5, 6, 7], 0, 1, 'float32', 5);
  const flat = (t: Tensor4D): Tensor => tf.reshape(tf.matMul(tf.reshape(t, [-1, 4]), w), [2, 5, 6, 7]);
  same(tf.matMul(x, w), flat(x), 'forward');
  assert.ok(maxDiff(tf.matMul(x, w), tf.conv2d(x, tf.reshape(w, [1, 1, 4, 7]) as Tensor4D, 1, 'same')) < 1e-5, 'conv2d');
  const g4 = tf.grad((t: Tensor) => tf.sum(tf.mul(tf.matMul(t as Tensor4D, w), dy)))(x);
  const g2 = tf.grad((t: Tensor) => tf.sum(tf.mul(flat(t as Tensor4D), dy)))(x);
  same(g4, g2, 'input gradient');
  tf.dispose([x, w, dy, g4, g2]);
});

test('the batch-shared resampler (pixel-major rows, one batched product) equals its former gather-multiply-sum form', () => {
  const x = tf.randomUniform([5, 11, 9, 3], 0, 1, 'float32', 51) as Tensor4D;
  const up = tf.randomNormal([5, 11, 9, 3], 0, 1, 'float32', 52);
  const former = (t: Tensor4D, m: { dx: number; dy: number; scale: number; angle: number }): Tensor4D => {
    // affineSampleShared up to 2026-12: gather along the pixel axis of [n, pixels, c], multiply, sum the 4 neighbours.
    const [n, h, w, c] = t.shape;
    const { idx, wts } = bilinearMap(h, w, m);
    return tf.tidy(() => {
      const g = tf.gather(tf.reshape(t, [n, h * w, c]), tf.tensor1d(idx, 'int32'), 1);
      return tf.reshape(tf.sum(tf.mul(tf.reshape(g, [n, h * w, 4, c]), tf.tensor4d(wts, [1, h * w, 4, 1])), 2), [n, h, w, c]) as Tensor4D;
    });
  };
  for (const m of [{ dx: 1.5, dy: -0.25, scale: 1, angle: 0 }, { dx: 0, dy: 0, scale: 1.05, angle: 0.07 }, { dx: -3.2, dy: 2.9, scale: 0.8, angle: -1.1 }]) {
    const a = affineSampleShared(x, m);
    const b = former(x, m);
    assert.ok(maxDiff(a, b) < 1e-6, `values, map ${JSON.stringify(m)}: ${maxDiff(a, b)}`);
    const ga = tf.grad((t: Tensor) => tf.sum(tf.mul(affineSampleShared(t as Tensor4D, m), up)))(x);
    const gb = tf.grad((t: Tensor) => tf.sum(tf.mul(former(t as Tensor4D, m), up)))(x);
    assert.ok(maxDiff(ga, gb) < 1e-5, `gradients, map ${JSON.stringify(m)}: ${maxDiff(ga, gb)}`);
    tf.dispose([a, b, ga, gb]);
  }
  tf.dispose([x, up]);
});

test('whole-pixel shifts equal the bilinear resampler (edges clamped): values exactly, gradients to float tolerance', () => {
  const x = tf.randomUniform([3, 7, 9, 3], 0, 1, 'float32', 21) as Tensor4D;
  const w = tf.randomNormal([3, 7, 9, 3], 0, 1, 'float32', 22);
  for (const [dx, dy] of [[0, 0], [2, 0], [0, -3], [3, -1], [-4, 5], [-8, 2], [9, -7], [12, 20]] as const) {
    const fast = shiftClamped(x, dx, dy);
    const slow = affineSampleShared(x, { dx, dy, scale: 1, angle: 0 });
    same(fast, slow, `shift (${dx}, ${dy})`);
    const gf = tf.grad((t: Tensor) => tf.sum(tf.mul(shiftClamped(t as Tensor4D, dx, dy), w)))(x);
    const gs = tf.grad((t: Tensor) => tf.sum(tf.mul(affineSampleShared(t as Tensor4D, { dx, dy, scale: 1, angle: 0 }), w)))(x);
    assert.ok(maxDiff(gf, gs) < 1e-5, `gradient of shift (${dx}, ${dy}): ${maxDiff(gf, gs)}`);
    tf.dispose([fast === x ? [] : fast, slow, gf, gs].flat());
  }
  assert.throws(() => shiftClamped(x, 0.5, 0), /whole pixels/);
  tf.dispose([x, w]);
});

test('a constant pad then a shift within it is one asymmetric pad; applyTransforms takes that path with the same draws', () => {
  const x = tf.randomUniform([2, 10, 8, 3], 0, 1, 'float32', 31) as Tensor4D;
  const w = tf.randomNormal([2, 14, 12, 3], 0, 1, 'float32', 32);
  const old = (t: Tensor4D, dx: number, dy: number): Tensor4D =>
    affineSampleShared(tf.pad(t, [[0, 0], [2, 2], [2, 2], [0, 0]], 0.5) as Tensor4D, { dx, dy, scale: 1, angle: 0 });
  for (const [dx, dy] of [[0, 0], [2, -2], [-1, 2], [-2, -2]] as const) {
    same(padShifted(x, 2, 0.5, dx, dy), old(x, dx, dy), `pad+shift (${dx}, ${dy})`);
    const gf = tf.grad((t: Tensor) => tf.sum(tf.mul(padShifted(t as Tensor4D, 2, 0.5, dx, dy), w)))(x);
    const gs = tf.grad((t: Tensor) => tf.sum(tf.mul(old(t as Tensor4D, dx, dy), w)))(x);
    assert.ok(maxDiff(gf, gs) < 1e-5, `gradient of pad+shift (${dx}, ${dy})`);
    tf.dispose([gf, gs]);
  }
  assert.throws(() => padShifted(x, 2, 0.5, 3, 0), /exceeds the pad/);
  // Through applyTransforms: the draws (jitter ±2 after a pad of 2, and ±5 beyond it) are those of drawAffine.
  for (const jitter of [2, 5]) {
    for (let seed = 0; seed < 12; seed++) {
      const probe = new Rng(seed);
      const dx = probe.int(-jitter, jitter);
      const dy = probe.int(-jitter, jitter);
      const y = applyTransforms(x, [{ op: 'pad', px: 2, mode: 'constant' }, { op: 'jitter', px: jitter }], new Rng(seed));
      same(y, old(x, dx, dy), `jitter ${jitter}, seed ${seed}: shift (${dx}, ${dy})`);
      const r = applyTransforms(x, [{ op: 'pad', px: 2, mode: 'reflect' }, { op: 'jitter', px: jitter }], new Rng(seed));
      same(r, affineSampleShared(tf.mirrorPad(x, [[0, 0], [2, 2], [2, 2], [0, 0]], 'reflect') as Tensor4D, { dx, dy, scale: 1, angle: 0 }), `reflect, seed ${seed}`);
      tf.dispose([y, r]);
    }
  }
  tf.dispose([x, w]);
});
