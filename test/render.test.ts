/**
 * The render loop on a tiny in-memory model: activation rises, regularisers do
 * what they claim, determinism, no leaks, redirected ReLU/ReLU6, custom
 * objectives and regularisers. No ../shared needed.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as fv from '../src/index.js';
import { tf, type Tensor4D } from '../src/backend/tf.js';
import { tinyModel } from './helpers/tinyModel.js';

const model = tinyModel();
after(() => model.dispose());

const highFreq = (x: Tensor4D): number => tf.tidy(() => tf.mean(tf.square(tf.sub(x, fv.gaussianBlur(x, 1)))).dataSync()[0]!);

async function am(overrides: Partial<fv.ChannelBatch> = {}): Promise<fv.ChannelBatchResult> {
  return fv.renderChannels(model, { ...fv.AM_DEFAULTS, layer: 'block', channels: [1, 4, 9], size: 32, steps: 40, transforms: [], ...overrides });
}

test('rendering raises every channel well above its starting activation', async () => {
  // MACO moves only phases under a fixed spectrum: it rises less on this tiny network, and gets its recipe's step.
  for (const param of fv.PARAM_KINDS) {
    const lr = param === 'maco' ? { learningRate: 0.1, paramOptions: { contrast: 2.5 } } : {};
    const start = await am({ param, ...lr, steps: 1, learningRate: 1e-6 });
    const r = await am({ param, ...lr });
    const gain = param === 'maco' ? 0.25 : 0.5;
    r.activations.forEach((a, i) => assert.ok(a > start.activations[i]! + gain, `${param} channel ${i}: ${start.activations[i]} → ${a}`));
  }
});

test('each image is specific to its own channel', async () => {
  const r = await am({ steps: 60 });
  const batch = tf.tensor4d(r.images.flatMap((im) => Array.from(im.data)), [3, 32, 32, 3]);
  const own = fv.scoreImages(model, fv.channels('block', [1, 4, 9]), batch);
  const swapped = fv.scoreImages(model, fv.channels('block', [4, 9, 1]), batch);
  assert.ok(own.reduce((a, b) => a + b) > swapped.reduce((a, b) => a + b) + 1, `own ${own} vs swapped ${swapped}`);
  batch.dispose();
});

test('same seed, same images; another seed, other images; a channel does not depend on its batch-mates', async () => {
  const a = await am({ seed: 3, param: 'pixel' });
  const b = await am({ seed: 3, param: 'pixel' });
  const c = await am({ seed: 4, param: 'pixel' });
  assert.deepEqual(a.images[1]!.data, b.images[1]!.data);
  assert.notDeepEqual(a.images[1]!.data, c.images[1]!.data);
  // Same starting noise for channel 4 whatever else is in the batch (per-channel seeds).
  const alone = await am({ seed: 3, param: 'pixel', channels: [4], steps: 1, learningRate: 1e-9 });
  const inBatch = await am({ seed: 3, param: 'pixel', channels: [1, 4, 9], steps: 1, learningRate: 1e-9 });
  let d = 0;
  alone.images[0]!.data.forEach((v, i) => (d = Math.max(d, Math.abs(v - inBatch.images[1]!.data[i]!))));
  assert.ok(d < 1e-6, `starting image of channel 4 differs by ${d}`);
});

test('total variation and blur lower high-frequency energy; decay pulls towards grey', async () => {
  const toT = (r: fv.ChannelBatchResult): Tensor4D => tf.tensor4d(r.images.flatMap((im) => Array.from(im.data)), [r.images.length, 32, 32, 3]);
  const base = toT(await am({ param: 'pixel' }));
  const tv = toT(await am({ param: 'pixel', regularizers: { tv: 3 } }));
  const blur = toT(await am({ param: 'pixel', regularizers: { blurEvery: 2, blurSigma: 1 } }));
  const decay = toT(await am({ param: 'pixel', regularizers: { decay: 0.05 } }));
  const [h0, h1, h2] = [highFreq(base), highFreq(tv), highFreq(blur)];
  assert.ok(h1 < 0.7 * h0, `tv: ${h1} vs ${h0}`);
  assert.ok(h2 < 0.7 * h0, `blur: ${h2} vs ${h0}`);
  const grey = (x: Tensor4D): number => tf.tidy(() => tf.mean(tf.square(tf.sub(x, 0.5))).dataSync()[0]!);
  assert.ok(grey(decay) < 0.8 * grey(base), `decay: ${grey(decay)} vs ${grey(base)}`);
  tf.dispose([base, tv, blur, decay]);
});

test('the tensor count stays flat over 300 steps with every regulariser and transform on', async () => {
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const p = fv.createParam('pixel', { batch: 2, height: 32, width: 32, seed: 1 });
  const r = await fv.render(model, fv.channels('block', [1, 2]), p, {
    steps: 300,
    transforms: [...fv.STANDARD_TRANSFORMS, { op: 'crop', scale: [0.7, 1] }, { op: 'noise', std: 0.02 }, { op: 'resize', size: 40 }],
    regularizers: { tv: 0.1, l1: 0.1, l2: 0.1, freq: 1, decay: 0.001, blurEvery: 4, blurSigma: 0.5, clipNormPct: 5, clipContribPct: 5 },
    reportEvery: 30,
    onStep: () => counts.push(tf.memory().numTensors),
  });
  assert.equal(counts.length, 10);
  assert.ok(counts.every((c) => c === counts[0]), `numTensors per report: ${counts.join(',')}`);
  r.images.dispose();
  p.dispose();
  assert.equal(tf.memory().numTensors, before, 'render and its parameterisation leave nothing behind');
});

test('redirected gradients revive channels that are dead on the starting image, for ReLU and ReLU6', async () => {
  // A model whose only unit is off everywhere at the start: relu(x − 5) and relu6(x − 5) of a [0,1] image.
  for (const kind of ['relu', 'relu6'] as const) {
    const m: fv.FeatModel = {
      name: `dead-${kind}`,
      layers: [{ name: 'unit', shape: [8, 8, 1], kind }],
      preprocess: { size: [8, 8], range: [0, 1], channelOrder: 'RGB' },
      activations: (x) => ({ unit: (kind === 'relu' ? tf.relu : tf.relu6)(tf.sub(tf.mean(x, 3, true), 5)) }),
      dispose: () => undefined,
    };
    const run = async (reluRedirectSteps: number): Promise<number> => {
      const p = fv.createParam('pixel', { batch: 1, height: 8, width: 8, seed: 2 });
      const r = await fv.render(m, fv.channel('unit', 0), p, { steps: 30, learningRate: 0.5, reluRedirectSteps });
      const img = tf.tidy(() => tf.mean(r.images).dataSync()[0]!);
      r.images.dispose();
      p.dispose();
      return img;
    };
    const off = await run(0);
    const on = await run(30);
    assert.ok(on > off + 0.2, `${kind}: redirect should brighten the image (towards the unit's threshold): ${off} → ${on}`);
  }
  // And a unit stuck above 6 is pushed down by the ReLU6 redirect.
  const m6: fv.FeatModel = {
    name: 'saturated-relu6',
    layers: [{ name: 'unit', shape: [8, 8, 1], kind: 'relu6' }],
    preprocess: { size: [8, 8], range: [0, 1], channelOrder: 'RGB' },
    activations: (x) => ({ unit: tf.neg(tf.relu6(tf.add(tf.mean(x, 3, true), 6.5))) }),
    dispose: () => undefined,
  };
  const p = fv.createParam('pixel', { batch: 1, height: 8, width: 8, seed: 2 });
  const r = await fv.render(m6, fv.channel('unit', 0), p, { steps: 30, learningRate: 0.5 });
  const mean = tf.tidy(() => tf.mean(r.images).dataSync()[0]!);
  assert.ok(mean < 0.3, `relu6 above 6 is redirected downwards (image mean ${mean})`);
  tf.dispose(r.images);
  p.dispose();
});

test('the README custom objective and custom regulariser run and do their job', async () => {
  // From the README ("Custom objectives and regularisers"): the centre of channel 3 minus channel 7 everywhere,
  // with a penalty on saturated pixels.
  const centreMinus = fv.objective({
    name: 'block:3 centre − block:7',
    layers: ['block'],
    score: ({ acts }) => {
      const t = acts.block!; // [N, H, W, C]
      const [, h, w] = t.shape;
      const centre = tf.slice(t, [0, h! >> 1, w! >> 1, 3], [-1, 1, 1, 1]).reshape([-1]);
      return tf.sub(centre, tf.mean(tf.slice(t, [0, 0, 0, 7], [-1, -1, -1, 1]), [1, 2, 3])) as fv.Tensor1D;
    },
  });
  const saturation = fv.objective({
    name: 'saturation',
    score: ({ image }) => tf.mean(tf.relu(tf.sub(tf.abs(tf.sub(image, 0.5)), 0.4)), [1, 2, 3]) as fv.Tensor1D,
  });
  const run = async (k: number): Promise<{ act: number; sat: number }> => {
    const p = fv.createParam('pixel', { batch: 1, height: 32, width: 32, seed: 0 });
    const r = await fv.render(model, centreMinus.minus(saturation.times(k)), p, { steps: 80, learningRate: 0.2 });
    const act = fv.scoreImages(model, centreMinus, r.images)[0]!;
    const sat = tf.tidy(() => tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(r.images, 0.5)), 0.4), 'float32')).dataSync()[0]!);
    r.images.dispose();
    p.dispose();
    return { act, sat };
  };
  const free = await run(0);
  const penalised = await run(200);
  const start = await (async () => {
    const p = fv.createParam('pixel', { batch: 1, height: 32, width: 32, seed: 0 });
    const img = tf.tidy(() => p.toImage());
    const s = fv.scoreImages(model, centreMinus, img)[0]!;
    tf.dispose([img]);
    p.dispose();
    return s;
  })();
  assert.ok(free.act > start + 0.5, `custom objective rises: ${start} → ${free.act}`);
  assert.ok(penalised.sat < free.sat * 0.5, `custom regulariser lowers saturated pixels: ${free.sat} → ${penalised.sat}`);
});

test('render stops with clear errors: abort, NaN, bad options', async () => {
  const p = fv.createParam('pixel', { batch: 1, height: 32, width: 32, seed: 0 });
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(fv.render(model, fv.channel('block', 0), p, { steps: 5, signal: ac.signal }), /render aborted at step 1/);
  await assert.rejects(fv.render(model, fv.channel('block', 0), p, { steps: 0 }), /steps must be a positive integer/);
  await assert.rejects(fv.render(model, fv.channel('block', 0), p, { learningRate: -1 }), /learning rate must be > 0/);
  const nan = fv.objective({ name: 'nan', score: ({ image }) => tf.mul(tf.mean(image, [1, 2, 3]), Number.NaN) as fv.Tensor1D });
  await assert.rejects(fv.render(model, nan, p, { steps: 10 }), /diverged \(NaN\/Inf\) by step 10/);
  await assert.rejects(fv.render(model, 'block:0' as unknown as fv.Objective, p), /render needs an objective/);
  p.dispose();
});

test('visualizeChannels fills defaults, writes a resumable run and refuses another batch size on resume', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fv-vis-'));
  const s = { layer: 'block', channels: [0, 1, 2], steps: 6, size: 32, batchSize: 2 };
  const first = await fv.visualizeChannels(model, s, { outDir: out });
  assert.equal(first.settings.param, fv.AM_DEFAULTS.param, 'defaults fill what is left out');
  assert.ok(fs.existsSync(path.join(out, 'grid.png')) && fs.existsSync(path.join(out, 'block_2.png')));
  const again = await fv.visualizeChannels(model, s, { outDir: out });
  assert.deepEqual(again.results.map((r) => r.activation), first.results.map((r) => r.activation), 'a rerun resumes, redoing nothing');
  await assert.rejects(fv.visualizeChannels(model, { ...s, batchSize: 3 }, { outDir: out }), /rendered in batches of 2; resuming with batch 3 would give other images/);
  await assert.rejects(fv.visualizeChannels(model, { ...s, steps: 7 }, { outDir: out }), /holds a run with other settings/);
  await assert.rejects(fv.visualizeChannels(model, { ...s, channels: [0, 16] }), /channel 16 is out of range/);
  fs.rmSync(out, { recursive: true, force: true });
});
