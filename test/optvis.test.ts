import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { tf, type Tensor1D, type Tensor4D } from '../src/backend/tf.js';
import type { FeatModel } from '../src/core/types.js';
import { channel, channels, objective } from '../src/optvis/objectives.js';
import { parseChannelList, parseObjective } from '../src/optvis/objectiveParse.js';
import { createParam } from '../src/optvis/param/index.js';
import { render, scoreImages } from '../src/optvis/render.js';
import { STANDARD_TRANSFORMS } from '../src/optvis/transforms.js';
import { deepDream } from '../src/optvis/dream.js';
import { layer } from '../src/optvis/objectives.js';
import { tinyMobilenet } from './helpers/models.js';
import { skipWithoutShared } from './helpers/python.js';

const skip = skipWithoutShared();
let model: FeatModel;
before(async () => {
  if (!skip) model = await tinyMobilenet();
});

const LAYER = 'conv_pw_5_relu';

test('batched AM raises every channel far above its starting activation', { skip }, async () => {
  const chs = [0, 3, 17, 42];
  const param = createParam('fft', { batch: chs.length, height: 96, width: 96, seed: 3 });
  const obj = channels(LAYER, chs);
  const start = tf.tidy(() => scoreImages(model, obj, param.toImage()));
  const r = await render(model, obj, param, { steps: 48, learningRate: 0.05, transforms: STANDARD_TRANSFORMS, seed: 3 });
  chs.forEach((c, i) => {
    assert.ok(r.activations[i]! > start[i]! + 1, `channel ${c}: ${start[i]} → ${r.activations[i]}`);
  });
  // Item i really optimised its own channel: its channel is higher on its own image than on the others'.
  const own = tf.tidy(() => scoreImages(model, obj, r.images));
  const shuffled = tf.tidy(() => scoreImages(model, obj, tf.reverse(r.images, 0) as Tensor4D));
  assert.ok(own.reduce((a, b) => a + b) > shuffled.reduce((a, b) => a + b), 'images are specific to their channel');
  r.images.dispose();
  param.dispose();
});

test('same seed gives the same image; another seed another image', { skip }, async () => {
  const run = async (seed: number) => {
    const p = createParam('pixel', { batch: 1, height: 48, width: 48, seed, decorrelate: true });
    const r = await render(model, channel(LAYER, 5), p, { steps: 12, transforms: STANDARD_TRANSFORMS, seed });
    const data = await r.images.data();
    r.images.dispose();
    p.dispose();
    return data;
  };
  const a = await run(7);
  const b = await run(7);
  const c = await run(8);
  assert.deepEqual(a, b);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - c[i]!));
  assert.ok(diff > 0.01, `different seeds should differ (max diff ${diff})`);
});

test('tensor count stays flat over 500 steps', { skip }, async () => {
  const before = tf.memory().numTensors;
  const p = createParam('pixel', { batch: 2, height: 32, width: 32, seed: 1 });
  const counts: number[] = [];
  const r = await render(model, channels('conv_pw_2_relu', [1, 2]), p, {
    steps: 500,
    transforms: STANDARD_TRANSFORMS,
    regularizers: { tv: 0.1, l2: 0.1, decay: 0.001, blurEvery: 4, blurSigma: 0.5, clipNormPct: 5, clipContribPct: 5 },
    reportEvery: 50,
    onStep: () => counts.push(tf.memory().numTensors),
  });
  assert.equal(counts.length, 10);
  assert.ok(counts.every((c) => c === counts[0]), `numTensors per report: ${counts.join(',')}`);
  r.images.dispose();
  p.dispose();
  assert.equal(tf.memory().numTensors, before, 'render and its parameterisation leave nothing behind');
  for (const kind of ['pixel', 'fft'] as const) {
    createParam(kind, { batch: 2, height: 16, width: 16, seed: [1, 2] }).dispose();
    assert.equal(tf.memory().numTensors, before, `${kind} parameterisation frees everything it made`);
  }
});

test('NaN during optimisation is stopped and reported with the step', { skip }, async () => {
  const p = createParam('pixel', { batch: 1, height: 32, width: 32, seed: 1 });
  await assert.rejects(
    render(model, channel(LAYER, 0).plus(objective({ name: 'nan', score: ({ image }) => tf.mul(tf.mean(image, [1, 2, 3]), Number.NaN) as Tensor1D })), p, { steps: 30, reportEvery: 5 }),
    /NaN\/Inf\) by step 5/,
  );
  p.dispose();
});

test('bad input: unknown layer lists close names, channel out of range gives the valid range', { skip }, async () => {
  const p = createParam('pixel', { batch: 1, height: 32, width: 32, seed: 1 });
  await assert.rejects(render(model, channel('conv_pw_5_rel', 0), p, { steps: 1 }), /unknown layer 'conv_pw_5_rel'.*conv_pw_5_relu/s);
  const c = model.layers.find((l) => l.name === LAYER)!.shape.at(-1)!;
  await assert.rejects(render(model, channel(LAYER, c), p, { steps: 1 }), new RegExp(`valid channels are 0–${c - 1}`));
  await assert.rejects(render(model, channel(LAYER, 0), p, { steps: 0 }), /steps must be a positive integer/);
  p.dispose();
});

test('objective expressions parse into the same scores as the API', { skip }, () => {
  const x = tf.randomUniform([2, 64, 64, 3], 0, 1, 'float32', 5) as Tensor4D;
  const parsed = parseObjective(`${LAYER}:3 - 0.5*${LAYER}:7 + 2*conv_pw_3_relu:1@2,3`);
  const parts = [channel(LAYER, 3), channel(LAYER, 7)];
  const acts = model.activations(x, [LAYER, 'conv_pw_3_relu']);
  const ctx = { acts, image: x, input: x, batch: 2 };
  const a = parsed.score(ctx).arraySync();
  const b3 = parts[0]!.score(ctx).arraySync();
  const b7 = parts[1]!.score(ctx).arraySync();
  const n = (acts['conv_pw_3_relu']!.slice([0, 3, 2, 1], [-1, 1, 1, 1]).reshape([-1]).arraySync()) as number[];
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(a[i]! - (b3[i]! - 0.5 * b7[i]! + 2 * n[i]!)) < 1e-4);
  tf.dispose([x, ...Object.values(acts)]);
  assert.deepEqual(parseChannelList('0-3,7,9-10'), [0, 1, 2, 3, 7, 9, 10]);
  assert.throws(() => parseChannelList('5-2'), /bad channel range/);
  assert.throws(() => parseObjective('mixed6:'), /cannot parse objective term/);
});

test('DeepDream raises the layer objective on a real photo', { skip }, async () => {
  const { readImageBatch } = await import('../src/data/image.js');
  const { sharedDir } = await import('./helpers/python.js');
  const photo = await readImageBatch([`${sharedDir}/images/coral_samples/owl.jpg`], [128, 128]);
  const r = await deepDream(model, layer('conv_pw_4_relu'), photo, { octaves: 2, stepsPerOctave: 5, stepSize: 0.02, seed: 1 });
  assert.ok(r.after > r.before * 1.2, `dream objective ${r.before} → ${r.after}`);
  assert.deepEqual(r.image.shape, photo.shape);
  tf.dispose([r.image, photo]);
});

test('a channel\'s image does not depend on its batch-mates (per-channel seeds, batch-shared transforms)', { skip }, async () => {
  const { visualizeChannels } = await import('../src/optvis/visualize.js');
  const base = { layer: LAYER, steps: 6, size: 40, learningRate: 0.05, param: 'fft' as const, decorrelate: true, transforms: STANDARD_TRANSFORMS, regularizers: {}, seed: 4, snapshots: [] };
  const together = await visualizeChannels(model, { ...base, channels: [3, 9], batchSize: 2 });
  const alone = await visualizeChannels(model, { ...base, channels: [9], batchSize: 1 });
  const a = together.images[1]!.data;
  const b = alone.images[0]!.data;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  assert.ok(diff < 1e-3, `channel 9 rendered with and without channel 3 differs by ${diff}`);
});

test('the batch-shared resampler equals the per-image one for the same map', async () => {
  const { affineSample, affineSampleShared } = await import('../src/optvis/affine.js');
  const x = tf.randomUniform([2, 17, 13, 3], 0, 1, 'float32', 9) as Tensor4D;
  const m = { dx: 2, dy: -3, scale: 1.05, angle: 0.07 };
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(affineSample(x, [m, m]), affineSampleShared(x, m)))).dataSync()[0]!);
  assert.ok(d < 1e-5, `max difference ${d}`);
  x.dispose();
});

test('redirected ReLU gradients rescue channels that are zero on the initial image', async () => {
  const { loadModel } = await import('../src/models/load.js');
  const m = await loadModel('featvis-imagenette');
  const newParam = () => createParam('fft', { batch: 1, height: 64, width: 64, seed: 0 });
  // Find the stage3 channels that are exactly zero (every ReLU unit off) on the initial image.
  const init = newParam();
  const width = m.layers.find((l) => l.name === 'stage3')!.shape.at(-1)!;
  const all = Array.from({ length: width }, (_, c) => c);
  const start = tf.tidy(() => scoreImages(m, channels('stage3', all), tf.tile(init.toImage(), [width, 1, 1, 1]) as Tensor4D));
  init.dispose();
  const dead = all.filter((c) => start[c] === 0);
  assert.ok(dead.length > 0, 'the embedded model has stage3 channels that are off on the initial image');
  const run = async (ch: number, reluRedirectSteps: number) => {
    const p = newParam();
    const r = await render(m, channel('stage3', ch), p, { steps: 24, transforms: STANDARD_TRANSFORMS, reluRedirectSteps });
    r.images.dispose();
    p.dispose();
    return r.activations[0]!;
  };
  const ch = dead[0]!;
  const stuck = await run(ch, 0);
  const rescued = await run(ch, 24);
  assert.equal(stuck, 0, `channel ${ch} of stage3 is zero on the initial image and gets no plain gradient`);
  assert.ok(rescued > 0.1, `with redirected gradients it rises clearly above 0: ${rescued}`);
  m.dispose();
});
