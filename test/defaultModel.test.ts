/**
 * The built-in default model (data/featvis-imagenette) and the code that
 * trains it (src/train): seeded determinism, bit-exact resume from a
 * checkpoint, augmentation basics, and the committed model's accuracy on a
 * fixed 200-image Imagenette val subset.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { tf, type LayersModel } from '../src/backend/tf.js';
import { readImageBatch } from '../src/data/image.js';
import { loadModel } from '../src/models/load.js';
import { renderWhole, sampleCrop, DEFAULT_AUGMENT } from '../src/train/augment.js';
import { compareCheckpoints, readCheckpoint, writeCheckpoint } from '../src/train/checkpoint.js';
import { IMAGENETTE_CLASSES, listSplit, strideSubset, type ImageCache } from '../src/train/dataset.js';
import { KeyedRng } from '../src/train/random.js';
import { DEFAULT_RECIPE, TINY_ARCH } from '../src/train/recipe.js';
import { train, type TrainConfig } from '../src/train/trainer.js';
import { repoRoot, sharedDir, skipWithoutShared } from './helpers/python.js';

const MODEL_DIR = path.join(repoRoot, 'data', 'featvis-imagenette');
/** The committed model scores 85.0 % (170/200) on this subset (87.16 % on the full val split); the bar is 3 points under. */
const SUBSET_MIN_TOP1 = 0.82;

/** 32 synthetic 40×40 images whose class sets the mean colour, so a few steps make progress. */
function syntheticCache(): ImageCache {
  const size = 40;
  const count = 32;
  const rng = new KeyedRng(7);
  const pixels = new Uint8Array(count * size * size * 3);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 10;
    for (let p = 0; p < size * size; p++) {
      for (let c = 0; c < 3; c++) pixels[(i * size * size + p) * 3 + c] = Math.min(255, ((labels[i]! * (c + 3) * 37) % 200) + rng.int(56));
    }
  }
  return { split: 'train', size, count, pixels, labels, files: [] };
}

const tinyConfig = (seed: number): TrainConfig => ({
  ...DEFAULT_RECIPE,
  seed,
  epochs: 2,
  batchSize: 8,
  sizes: [32, 32],
  arch: TINY_ARCH,
  distill: null,
});

async function weightsOf(m: LayersModel): Promise<Float32Array[]> {
  return Promise.all(m.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

function sameArrays(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((x, i) => x.length === b[i]!.length && x.every((v, j) => Object.is(v, b[i]![j])));
}

test('training is deterministic for a seed and resumes bit-for-bit from a checkpoint', async () => {
  const data = { train: syntheticCache() };
  const quiet = (): void => {};
  const run = async (seed: number, steps: number, ckpt?: string) => {
    const r = await train({ config: tinyConfig(seed), data, maxSteps: steps, log: quiet, ...(ckpt ? { checkpointFile: ckpt } : {}) });
    const w = await weightsOf(r.model);
    r.model.dispose();
    return { w, loss: r.lastLoss, step: r.globalStep };
  };
  const a = await run(3, 4);
  const b = await run(3, 4);
  const c = await run(4, 4);
  assert.equal(a.step, 4);
  assert.ok(Number.isFinite(a.loss));
  assert.equal(a.loss, b.loss, 'same seed, same loss');
  assert.ok(sameArrays(a.w, b.w), 'same seed, same weights');
  assert.ok(!sameArrays(a.w, c.w), 'another seed gives other weights');

  // 2 steps, checkpoint, a fresh process-like restart, 2 more steps == 4 steps straight.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-ckpt-'));
  try {
    const ckpt = path.join(dir, 'run.ckpt');
    const tensorsBefore = tf.memory().numTensors;
    const first = await run(3, 2, ckpt);
    assert.equal(tf.memory().numTensors, tensorsBefore, 'a run that writes checkpoints leaves no tensors behind');
    assert.equal(first.step, 2);
    const state = readCheckpoint(ckpt);
    assert.equal(state.globalStep, 2);
    assert.ok(state.optimizer.length > 1, 'optimizer state (momentum) is saved');
    // An independent run with the same seed writes a bit-identical checkpoint; another seed does not.
    const twin = path.join(dir, 'twin.ckpt');
    await run(3, 2, twin);
    const same = compareCheckpoints(state, readCheckpoint(twin));
    assert.ok(same.samePosition);
    assert.equal(same.differing, 0, 'same seed, bit-identical checkpoint');
    assert.ok(same.values > 1000);
    const other = path.join(dir, 'other.ckpt');
    await run(4, 2, other);
    const diff = compareCheckpoints(state, readCheckpoint(other));
    assert.ok(diff.differing > diff.values / 2 && diff.maxAbsDiff > 0 && diff.worst !== null, 'another seed differs');
    const resumed = await run(3, 2, ckpt);
    assert.equal(resumed.step, 4);
    assert.equal(resumed.loss, a.loss, 'resumed run ends with the same loss');
    assert.ok(sameArrays(resumed.w, a.w), 'resumed run ends with the same weights');
    // Settings that differ from the checkpoint's are refused.
    await assert.rejects(train({ config: { ...tinyConfig(3), lr: 0.5 }, data, maxSteps: 1, log: quiet, checkpointFile: ckpt }), /different settings/);
    // A damaged checkpoint is an error, not garbage weights.
    fs.writeFileSync(ckpt, fs.readFileSync(ckpt).subarray(0, 5000));
    assert.throws(() => readCheckpoint(ckpt), /truncated|corrupt/);
    writeCheckpoint(ckpt, { ...state, weights: [], optimizer: [] });
    assert.equal(readCheckpoint(ckpt).epoch, state.epoch);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('augmentation: whole-image render is exact, crops stay inside the image', () => {
  const cache = syntheticCache();
  const out = new Float32Array(40 * 40 * 3);
  renderWhole(cache.pixels, 0, 40, 40, out, 0);
  for (let i = 0; i < out.length; i++) assert.ok(Math.abs(out[i]! - (cache.pixels[i]! / 255) * 2 + 1) < 1e-6);
  const rng = new KeyedRng(1);
  for (let i = 0; i < 200; i++) {
    const c = sampleCrop(rng, 144, DEFAULT_AUGMENT);
    assert.ok(c.x >= 0 && c.y >= 0 && c.x + c.w <= 144 + 1e-9 && c.y + c.h <= 144 + 1e-9);
    assert.ok((c.w * c.h) / (144 * 144) >= DEFAULT_AUGMENT.scale[0] - 1e-9);
  }
});

test('committed default model: format, size, layers and top-1 on 200 Imagenette val images', { skip: skipWithoutShared() }, async () => {
  const side = JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'featvis.json'), 'utf8')) as { labels: string[] };
  assert.deepEqual(side.labels, IMAGENETTE_CLASSES.map((c) => c.name));
  const bytes = fs.readdirSync(MODEL_DIR).filter((f) => f.endsWith('.bin')).reduce((a, f) => a + fs.statSync(path.join(MODEL_DIR, f)).size, 0);
  assert.ok(bytes <= 10e6, `weights are ${bytes} bytes (limit 10 MB)`);
  assert.ok(fs.existsSync(path.join(MODEL_DIR, 'MODEL_CARD.md')));

  const model = await loadModel(MODEL_DIR);
  try {
    assert.equal(model.name, 'featvis-imagenette');
    assert.deepEqual(model.preprocess.size, [128, 128]);
    const shapes = Object.fromEntries(model.layers.map((l) => [l.name, l.shape]));
    assert.deepEqual(shapes.stage3, [8, 8, 256]);
    assert.deepEqual(shapes.logits, [10]);
    for (const n of ['stem', 'stage1', 'stage2', 'stage4', 'pool']) assert.ok(shapes[n], `layer ${n}`);

    const val = listSplit(path.join(sharedDir, 'images', 'imagenette2_224'), 'val');
    const idx = strideSubset(val.files.length, 200);
    let correct = 0;
    for (let i = 0; i < idx.length; i += 50) {
      const ids = idx.slice(i, i + 50);
      const x = await readImageBatch(ids.map((j) => val.files[j]!), [128, 128]);
      const pred = tf.tidy(() => tf.argMax(model.activations(x, ['logits']).logits!, 1));
      const p = await pred.data();
      x.dispose();
      pred.dispose();
      ids.forEach((j, k) => {
        if (p[k] === val.labels[j]) correct++;
      });
    }
    const top1 = correct / idx.length;
    console.log(`default model top-1 on the 200-image val subset: ${(top1 * 100).toFixed(1)} %`);
    assert.ok(top1 >= SUBSET_MIN_TOP1, `top-1 ${top1} < ${SUBSET_MIN_TOP1}`);
  } finally {
    model.dispose();
  }
});
