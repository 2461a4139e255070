import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf, type Tensor4D } from '../src/backend/tf.js';
import type { FeatModel } from '../src/core/types.js';
import { channels } from '../src/optvis/objectives.js';
import { createParam } from '../src/optvis/param/index.js';
import { gaussianBlur, type Regularizers } from '../src/optvis/regularizers.js';
import { render, scoreImages } from '../src/optvis/render.js';
import { NO_TRANSFORMS, type TransformList } from '../src/optvis/transforms.js';
import { affineSample } from '../src/optvis/affine.js';
import { Rng } from '../src/optvis/rng.js';
import { tinyMobilenet } from './helpers/models.js';
import { skipWithoutShared } from './helpers/python.js';

const skip = skipWithoutShared();
let model: FeatModel;
before(async () => {
  if (!skip) model = await tinyMobilenet();
});

const LAYER = 'conv_pw_5_relu';
const CHS = [2, 9, 21, 33];
const STEPS = 40;

async function am(reg: Regularizers, transforms: TransformList = NO_TRANSFORMS, kind: 'pixel' | 'fft' = 'pixel'): Promise<Tensor4D> {
  const p = createParam(kind, { batch: CHS.length, height: 64, width: 64, seed: 11, initStd: 0.5 });
  const r = await render(model, channels(LAYER, CHS), p, { steps: STEPS, learningRate: 0.05, regularizers: reg, transforms, seed: 11 });
  p.dispose();
  return r.images;
}

/** Mean energy of the high-pass part (image − blur(image)), per batch. */
function highFreq(x: Tensor4D): number {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(x, gaussianBlur(x, 1)))).dataSync()[0]!);
}

function pixelNorm(x: Tensor4D): number {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(x, 0.5))).dataSync()[0]!);
}

test('total variation lowers high-frequency energy at equal steps', { skip }, async () => {
  const base = await am({});
  const tv = await am({ tv: 2 });
  const [h0, h1] = [highFreq(base), highFreq(tv)];
  assert.ok(h1 < 0.7 * h0, `high-frequency energy: none ${h0.toExponential(3)}, tv ${h1.toExponential(3)}`);
  tf.dispose([base, tv]);
});

test('Gaussian blur every k steps lowers high-frequency energy at equal steps', { skip }, async () => {
  const base = await am({});
  const blur = await am({ blurEvery: 2, blurSigma: 1 });
  const [h0, h1] = [highFreq(base), highFreq(blur)];
  assert.ok(h1 < 0.7 * h0, `high-frequency energy: none ${h0.toExponential(3)}, blur ${h1.toExponential(3)}`);
  tf.dispose([base, blur]);
});

test('frequency penalty lowers high-frequency energy', { skip }, async () => {
  const base = await am({});
  const freq = await am({ freq: 50 });
  const [h0, h1] = [highFreq(base), highFreq(freq)];
  assert.ok(h1 < 0.8 * h0, `high-frequency energy: none ${h0.toExponential(3)}, freq ${h1.toExponential(3)}`);
  tf.dispose([base, freq]);
});

test('L2 penalty and L2 decay lower the pixel norm', { skip }, async () => {
  const base = await am({});
  const l2 = await am({ l2: 20 });
  const decay = await am({ decay: 0.05 });
  const [n0, n1, n2] = [pixelNorm(base), pixelNorm(l2), pixelNorm(decay)];
  assert.ok(n1 < 0.8 * n0, `pixel norm: none ${n0}, l2 ${n1}`);
  assert.ok(n2 < 0.8 * n0, `pixel norm: none ${n0}, decay ${n2}`);
  tf.dispose([base, l2, decay]);
});

test('clipping small-norm and small-contribution pixels zeroes at least that share of pixels', { skip }, async () => {
  for (const reg of [{ clipNormPct: 30 }, { clipContribPct: 30 }] as Regularizers[]) {
    const img = await am(reg);
    // zeroed pixel variables are exactly grey (sigmoid(0) = 0.5) in every channel
    const grey = tf.tidy(() => tf.mean(tf.cast(tf.all(tf.less(tf.abs(tf.sub(img, 0.5)), 1e-6), 3), 'float32')).dataSync()[0]!);
    assert.ok(grey >= 0.29, `${JSON.stringify(reg)}: ${(grey * 100).toFixed(1)} % grey pixels`);
    img.dispose();
  }
});

test('jitter raises the activation under random shifts compared with no jitter', { skip }, async () => {
  const plain = await am({}, NO_TRANSFORMS, 'fft');
  const jit = await am({}, [{ op: 'jitter', px: 6 }], 'fft');
  const rng = new Rng(99);
  const obj = channels(LAYER, CHS);
  const robust = (x: Tensor4D): number => {
    let total = 0;
    for (let k = 0; k < 12; k++) {
      const maps = CHS.map(() => ({ dx: rng.int(-6, 6), dy: rng.int(-6, 6), scale: 1, angle: 0 }));
      total += tf.tidy(() => scoreImages(model, obj, affineSample(x, maps))).reduce((a, b) => a + b, 0);
    }
    return total / 12;
  };
  const [a, b] = [robust(plain), robust(jit)];
  assert.ok(b > a, `mean activation under shifts: no jitter ${a.toFixed(3)}, jitter ${b.toFixed(3)}`);
  tf.dispose([plain, jit]);
});

test('regulariser validation: negative strength and pixel-only operators on fft are errors', { skip }, async () => {
  const p = createParam('fft', { batch: 1, height: 32, width: 32, seed: 1 });
  await assert.rejects(render(model, channels(LAYER, [0]), p, { steps: 1, regularizers: { tv: -1 } }), /tv must be a finite number ≥ 0/);
  await assert.rejects(render(model, channels(LAYER, [0]), p, { steps: 1, regularizers: { blurEvery: 2 } }), /pixel parameterisation/);
  p.dispose();
});
