/** Objectives: exact values on hand-made activations, algebra, custom objectives, typed errors. No ../shared needed. */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as fv from '../src/index.js';
import { tf, type Tensor4D } from '../src/backend/tf.js';
import { tinyModel } from './helpers/tinyModel.js';

const model = tinyModel();
after(() => model.dispose());

/** acts['L'][n, y, x, c] = 100·n + 10·c + (y·2 + x), 2 images, 2×2 positions, 3 channels. */
function ctxWith(): fv.ObjectiveContext {
  const data: number[] = [];
  for (let n = 0; n < 2; n++) for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) for (let c = 0; c < 3; c++) data.push(100 * n + 10 * c + (y * 2 + x));
  const image = tf.zeros([2, 4, 4, 3]) as Tensor4D;
  return { acts: { L: tf.tensor4d(data, [2, 2, 2, 3]) }, image, input: image, batch: 2 };
}

const values = (t: fv.Tensor): number[] => Array.from(t.dataSync());

test('channel, channels, neuron, layer and direction give the exact expected values', () => {
  const ctx = ctxWith();
  // mean over positions of 0..3 = 1.5
  assert.deepEqual(values(fv.channel('L', 2).score(ctx)), [21.5, 121.5]);
  assert.deepEqual(values(fv.channels('L', [0, 1]).score(ctx)), [1.5, 111.5]);
  assert.deepEqual(values(fv.neuron('L', 1, 1, 0).score(ctx)), [11, 111]);
  assert.deepEqual(values(fv.neuron('L', 0).score(ctx)), [3, 103]); // centre of 2×2 = (1, 1) → 3
  // layer: mean of squares over all positions and channels
  const sq = (n: number): number => {
    let s = 0;
    for (let p = 0; p < 4; p++) for (let c = 0; c < 3; c++) s += (100 * n + 10 * c + p) ** 2;
    return s / 12;
  };
  const lay = values(fv.layer('L').score(ctx));
  assert.ok(Math.abs(lay[0]! - sq(0)) < 1e-3 && Math.abs(lay[1]! - sq(1)) < 1e-2, `layer ${lay}`);
  assert.deepEqual(values(fv.direction('L', [1, 0, -1]).score(ctx)), [-20, -20]);
  tf.dispose(Object.values(ctx.acts));
});

test('objectives compose: plus, minus, times, neg and sum, with readable names', () => {
  const ctx = ctxWith();
  const a = fv.channel('L', 0);
  const b = fv.channel('L', 1);
  const combo = a.minus(b.times(0.5)).plus(2).neg();
  assert.deepEqual(values(combo.score(ctx)), [-(1.5 - 0.5 * 11.5 + 2), -(101.5 - 0.5 * 111.5 + 2)]);
  assert.deepEqual(values(fv.sum([a, b, a]).score(ctx)), [1.5 + 11.5 + 1.5, 101.5 + 111.5 + 101.5]);
  assert.equal(a.minus(b.times(0.5)).name, 'L:0 + -1·0.5·L:1');
  assert.deepEqual([...a.plus(fv.channel('M', 0)).layers], ['L', 'M']);
  tf.dispose(Object.values(ctx.acts));
});

test('a custom objective sees the activations and the image', () => {
  const ctx = ctxWith();
  const bright = fv.objective({ name: 'brightness', score: ({ image }) => tf.mean(image, [1, 2, 3]) as fv.Tensor1D });
  const mixed = fv.objective({ name: 'c0-c2', layers: ['L'], score: ({ acts }) => tf.sub(tf.mean(acts.L!, [1, 2, 3]), 0) as fv.Tensor1D });
  assert.deepEqual(values(bright.score(ctx)), [0, 0]);
  assert.deepEqual(values(mixed.score(ctx)), [11.5, 111.5]);
  assert.deepEqual([...bright.layers], []);
  tf.dispose(Object.values(ctx.acts));
});

test('evaluate runs the model only for the layers the objective names', () => {
  const img = tf.fill([2, 32, 32, 3], 0.5) as Tensor4D;
  const direct = tf.tidy(() => values(tf.mean(model.activations(img, ['conv2']).conv2!, [1, 2]).slice([0, 5], [-1, 1]).reshape([-1])));
  const viaObjective = tf.tidy(() => values(fv.evaluate(model, fv.channel('conv2', 5), img)));
  assert.deepEqual(viaObjective, direct);
  img.dispose();
});

test('objectives check layers and channels against the model with clear errors', () => {
  assert.throws(() => fv.channel('conv9', 0).validate(model), /unknown layer 'conv9'.*Closest layer names: conv/);
  assert.throws(() => fv.channel('conv2', 16).validate(model), /channel 16 is out of range for layer 'conv2': valid channels are 0–15/);
  assert.throws(() => fv.direction('conv1', [1, 2]).validate(model), /direction has 2 entries but 'conv1' has 8 channels/);
  fv.channels('block', [0, 15]).validate(model);
});

test('bad arguments at the public API are FeatvisErrors, not TypeErrors', () => {
  const bad: Array<() => unknown> = [
    () => fv.channel(null as unknown as string, 0),
    () => fv.channel('conv1', -1),
    () => fv.channel('conv1', 1.5),
    () => fv.channels('conv1', []),
    () => fv.neuron(undefined as unknown as string, 0),
    () => fv.layer(42 as unknown as string),
    () => fv.direction('conv1', [Number.NaN]),
    () => fv.channel('conv1', 0).times(Number.POSITIVE_INFINITY),
    () => fv.channel('conv1', 0).plus({} as unknown as fv.Objective),
    () => fv.objective({} as unknown as fv.ObjectiveSpec),
  ];
  for (const f of bad) assert.throws(f, (e: unknown) => e instanceof fv.FeatvisError, String(f));
});

test('objective expressions parse into the same scores as the API', () => {
  const img = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 5) as Tensor4D;
  const parsed = fv.parseObjective('conv2:3 - 0.5*conv2:7 + 2*relu6:1@2,3');
  const api = fv.channel('conv2', 3).minus(fv.channel('conv2', 7).times(0.5)).plus(fv.neuron('relu6', 1, 2, 3).times(2));
  const [a, b] = tf.tidy(() => [values(fv.evaluate(model, parsed, img)), values(fv.evaluate(model, api, img))]);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(a![i]! - b![i]!) < 1e-5, `${a} vs ${b}`);
  img.dispose();
});
