/**
 * TFLite import: the Coral MobileNetV2 (uint8) against the TFLite interpreter,
 * float / float16 / int8 fixtures generated with the venv's TensorFlow,
 * TF SAME padding, gradients, and hostile files.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tf, type Tensor, type Tensor4D } from '../src/backend/tf.js';
import { FeatvisError } from '../src/core/errors.js';
import { loadModel } from '../src/models/load.js';
import { buildTfliteModel, loadTflite, TfliteFeatModel } from '../src/models/tflite.js';
import { dilateKernel, samePadding, tfjsPadding } from '../src/models/tfliteOps.js';
import { parseTflite } from '../src/io/tfliteSchema.js';
import { readImage } from '../src/data/image.js';
import { applyPreprocess } from '../src/models/preprocess.js';
import { repoRoot, runPython, sharedDir, skipWithoutPython, skipWithoutShared } from './helpers/python.js';

const CORAL_V2 = path.join(sharedDir, 'models', 'coral_mobilenet_v2_1.0_224_quant', 'mobilenet_v2_1.0_224_quant.tflite');
const CORAL_V1_DIR = path.join(sharedDir, 'models', 'coral_mobilenet_v1_1.0_224_quant');
const SAMPLES = path.join(sharedDir, 'images', 'coral_samples');
const IMAGES = ['bird.bmp', 'cat.bmp', 'dragonfly.bmp', 'grace_hopper.bmp', 'hot_dog.jpg', 'owl.jpg', 'parrot.jpg', 'sunflower.bmp'];
/**
 * Top-1 classes (1001-class indexing, 0 = background) of the TFLite
 * interpreter on these photos, decoded by featvis (readImage 224×224 'fill')
 * and fed as uint8. Computed once with tf.lite.Interpreter (TF 2.21).
 */
const INTERPRETER_TOP1: Record<string, number> = {
  'bird.bmp': 20, // chickadee
  'cat.bmp': 286, // Egyptian cat
  'dragonfly.bmp': 320, // dragonfly
  'grace_hopper.bmp': 653, // military uniform
  'hot_dog.jpg': 935, // hotdog
  'owl.jpg': 83, // ruffed grouse (sic)
  'parrot.jpg': 89, // macaw
  'sunflower.bmp': 986, // daisy
};

const FIXTURE_H = 23;
const FIXTURE_W = 19;

interface FixtureRef {
  output: number[];
  ops: string[];
  input_quant: number[];
}
interface Reference {
  float_ref: number[];
  'float.tflite': FixtureRef;
  'fp16.tflite': FixtureRef;
  'int8.tflite': FixtureRef;
  coral?: { top1: number[]; logits: number[][] };
}

const noPython = skipWithoutPython();
const noShared = skipWithoutShared();

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

async function expectFeatvisError(p: Promise<unknown> | (() => unknown), pattern: RegExp): Promise<FeatvisError> {
  let caught: unknown = null;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof FeatvisError, `expected a FeatvisError, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  assert.match(caught.message, pattern);
  return caught;
}

describe('TFLite import', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-tflite-'));
  let ref: Reference | null = null;
  let coralImages: Tensor4D | null = null;
  let coral: TfliteFeatModel | null = null;

  before(async () => {
    if (!noShared) {
      const imgs = await Promise.all(IMAGES.map((f) => readImage(path.join(SAMPLES, f), [224, 224], 'fill')));
      const buf = new Float32Array(IMAGES.length * 224 * 224 * 3);
      imgs.forEach((im, i) => buf.set(im.data, i * 224 * 224 * 3));
      coralImages = tf.tensor4d(buf, [IMAGES.length, 224, 224, 3]);
      // The interpreter gets exactly featvis's pixels: readImage yields byte / 255.
      const bytes = Uint8Array.from(buf, (v) => Math.round(v * 255));
      fs.writeFileSync(path.join(tmp, 'coral_input.u8'), bytes);
      coral = await loadTflite(CORAL_V2);
    }
    if (!noPython) {
      const args = [tmp];
      if (!noShared) args.push(CORAL_V2, path.join(tmp, 'coral_input.u8'), String(IMAGES.length), '224', '224');
      const script = fs.readFileSync(path.join(repoRoot, 'test', 'fixtures', 'tflite', 'make_fixtures.py'), 'utf8');
      ref = JSON.parse(runPython(script, args)) as Reference;
    }
  });

  after(() => {
    coralImages?.dispose();
    coral?.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('imports the Coral MobileNetV2 (uint8): layers, preprocessing, labels', { skip: noShared }, () => {
    const m = coral!;
    assert.equal(m.name, 'mobilenet_v2_1.0_224_quant');
    // uint8 q = 255·pixel, float = (q − 128) / 128.
    assert.deepEqual(m.preprocess, { size: [224, 224], range: [-1, 127 / 128], channelOrder: 'RGB' });
    assert.equal(m.labels?.length, 1001);
    assert.equal(m.labels?.[286], 'Egyptian cat');
    assert.equal(m.layers.length, 66, 'one layer per operator');
    const add7 = m.layers.find((l) => l.name === 'MobilenetV2/expanded_conv_7/add');
    assert.deepEqual(add7, { name: 'MobilenetV2/expanded_conv_7/add', kind: 'add', shape: [14, 14, 64] });
    assert.deepEqual(m.layers.find((l) => l.name === 'MobilenetV2/expanded_conv_13/depthwise/Relu6')?.shape, [7, 7, 576]);
    assert.deepEqual(m.layers.at(-1), { name: 'MobilenetV2/Predictions/Softmax', kind: 'softmax', shape: [1001] });
    assert.equal(m.aliases['expanded_conv_7/add'], 'MobilenetV2/expanded_conv_7/add');
    assert.equal(m.aliases['expanded_conv_7/project'], 'MobilenetV2/expanded_conv_7/project/add_fold');
    assert.equal(m.logitsLayer, 'MobilenetV2/Logits/Squeeze1');
    assert.equal(m.outputLayer, 'MobilenetV2/Predictions/Softmax');
    assert.ok(!m.layers.some((l) => l.name in m.aliases), 'aliases are not listed as layers');
  });

  it('Coral MobileNetV2 matches the TFLite interpreter on the 8 sample photos', { skip: noShared }, async (t) => {
    const m = coral!;
    const names = [m.logitsLayer!, m.outputLayer, 'logits'];
    const out = tf.tidy(() => m.activations(coralImages!, names));
    const logits = (await out[m.logitsLayer!]!.array()) as number[][];
    const probs = (await out[m.outputLayer]!.array()) as number[][];
    assert.equal(out['logits'], out[m.logitsLayer!], "the 'logits' alias is the same tensor");
    for (const v of Object.values(out)) v.dispose();
    const ours = logits.map(argmax);
    t.diagnostic(`featvis top-1: ${IMAGES.map((f, i) => `${f}=${ours[i]} (${m.labels?.[ours[i]!]})`).join(', ')}`);
    for (let i = 0; i < IMAGES.length; i++) {
      assert.equal(argmax(probs[i]!), ours[i], 'softmax and logits agree');
      assert.ok(Math.abs(probs[i]!.reduce((s, v) => s + v, 0) - 1) < 1e-4, 'output is dequantised probabilities');
    }
    if (ref?.coral) {
      assert.deepEqual(ref.coral.top1, IMAGES.map((f) => INTERPRETER_TOP1[f]), 'recorded interpreter classes are current');
      let worst = 0;
      let minCorr = 1;
      for (let i = 0; i < IMAGES.length; i++) {
        worst = Math.max(worst, maxAbsDiff(logits[i]!, ref.coral.logits[i]!));
        minCorr = Math.min(minCorr, correlation(logits[i]!, ref.coral.logits[i]!));
      }
      t.diagnostic(`logits vs interpreter (quantised arithmetic): max abs error ${worst.toFixed(4)}, min correlation ${minCorr.toFixed(5)}`);
      assert.ok(minCorr > 0.995, `logit correlation ${minCorr}`);
      assert.ok(worst < 1, `max abs logit error ${worst}`);
    }
    assert.deepEqual(ours, IMAGES.map((f) => INTERPRETER_TOP1[f]));
  });

  it('derives the float input from the uint8 quantisation exactly', { skip: noShared }, async () => {
    const x = tf.tidy(() => applyPreprocess(coralImages!.slice([1, 100, 100, 0], [1, 4, 4, 3]) as Tensor4D, coral!.preprocess));
    const q = tf.tidy(() => tf.round(tf.mul(coralImages!.slice([1, 100, 100, 0], [1, 4, 4, 3]), 255)));
    const want = tf.tidy(() => tf.div(tf.sub(q, 128), 128));
    assert.ok(maxAbsDiff(await x.data(), await want.data()) < 1e-6);
    tf.dispose([x, q, want]);
  });

  it('float, float16 and int8 (per-channel) fixtures match the interpreter', { skip: noPython }, async (t) => {
    const x = new Float32Array(fs.readFileSync(path.join(tmp, 'fixture_input.f32')).buffer.slice(0));
    assert.equal(x.length, FIXTURE_H * FIXTURE_W * 3);
    // featvis images are in [0, 1]; the fixture's float input is x ∈ [-1, 1].
    const img = tf.tensor4d(x.map((v) => (v + 1) / 2), [1, FIXTURE_H, FIXTURE_W, 3]);
    const errors: Record<string, number> = {};
    for (const name of ['float.tflite', 'fp16.tflite', 'int8.tflite'] as const) {
      const m = await loadTflite(path.join(tmp, name));
      assert.deepEqual(m.preprocess.size, [FIXTURE_H, FIXTURE_W]);
      const y = tf.tidy(() => m.activations(img, [m.outputLayer])[m.outputLayer]!);
      const got = await y.data();
      y.dispose();
      const want = ref![name].output;
      errors[name] = maxAbsDiff(got, want);
      if (name === 'int8.tflite') errors['int8 vs float net'] = maxAbsDiff(got, ref!.float_ref);
      // int8: activation quantisation in the interpreter may flip close classes.
      else assert.equal(argmax(got), argmax(want), `${name}: top-1`);
      if (name === 'float.tflite') {
        assert.deepEqual(m.preprocess.range, [-1, 1]);
        const kinds = new Set(m.layers.map((l) => l.kind));
        for (const k of ['conv2d', 'depthwise_conv2d', 'avg_pool', 'max_pool', 'concat', 'add', 'mul', 'sigmoid', 'pad', 'relu6', 'mean', 'reshape', 'dense', 'softmax']) {
          assert.ok(kinds.has(k), `fixture exercises ${k}`);
        }
        // SAME, stride 2 on 23×19 → 12×10; depthwise multiplier 2: 8 → 16 channels.
        assert.deepEqual(m.layers[0]!.shape, [12, 10, 8]);
        assert.deepEqual(m.layers.find((l) => l.kind === 'depthwise_conv2d')!.shape, [6, 5, 16]);
      }
      if (name === 'int8.tflite') {
        const q = ref![name].input_quant;
        assert.deepEqual(m.preprocess.range, [(0 - q[1]!) * q[0]!, (255 - q[1]!) * q[0]!]);
        const parsed = parseTflite(new Uint8Array(fs.readFileSync(path.join(tmp, name))), name);
        assert.ok(parsed.subgraphs[0]!.tensors.some((tt) => (tt.quantization?.scale.length ?? 0) > 1), 'fixture has per-channel weights');
      }
      m.dispose();
    }
    img.dispose();
    t.diagnostic(`max abs output error vs interpreter: ${JSON.stringify(errors)}`);
    assert.ok(errors['float.tflite']! < 1e-4);
    assert.ok(errors['fp16.tflite']! < 1e-4);
    // int8: the interpreter quantises activations (softmax output step 1/256); featvis runs them in float.
    assert.ok(errors['int8.tflite']! < 0.02);
    assert.ok(errors['int8 vs float net']! < 0.01);
    // And the float fixture is the TensorFlow function itself.
    assert.ok(maxAbsDiff(ref!['float.tflite'].output, ref!.float_ref) < 1e-5);
  });

  it('loadModel dispatches .tflite files to the TFLite loader', { skip: noPython }, async () => {
    const m = await loadModel(path.join(tmp, 'float.tflite'), { name: 'fixture', preprocess: { range: [0, 1] } });
    assert.ok(m instanceof TfliteFeatModel);
    assert.equal(m.name, 'fixture');
    assert.deepEqual(m.preprocess.range, [0, 1]);
    m.dispose();
  });

  it('TF SAME padding (asymmetric for stride 2) and dilation, differentiable', async () => {
    assert.deepEqual(samePadding(224, 3, 2), [0, 1]);
    assert.deepEqual(samePadding(23, 3, 2), [1, 1]);
    assert.deepEqual(samePadding(12, 3, 1, 2), [2, 2]);
    assert.deepEqual(samePadding(10, 4, 2), [1, 1]);
    assert.deepEqual(samePadding(11, 4, 2), [1, 2]);
    assert.deepEqual(samePadding(7, 7, 2), [3, 3]);
    // Direct loops with TF's padding vs the tfjs path the importer uses (dilated kernel + tfjs 'same').
    const [h, w, ci, co] = [9, 8, 2, 3];
    const xv = Float32Array.from({ length: h * w * ci }, (_, i) => Math.sin(i * 1.7));
    const x = tf.tensor4d(xv, [1, h, w, ci]);
    for (const [k, s, d] of [[3, 2, 1], [4, 2, 1], [3, 1, 2], [3, 2, 2], [2, 3, 3]] as const) {
      const fv = Float32Array.from({ length: k * k * ci * co }, (_, i) => Math.cos(i * 0.9));
      const f = tf.tensor4d(fv, [k, k, ci, co]);
      const fd = dilateKernel(f, d, d);
      const y = tf.conv2d(x, fd, s, tfjsPadding(0));
      const [pt] = samePadding(h, k, s, d);
      const [pl] = samePadding(w, k, s, d);
      const ho = Math.ceil(h / s);
      const wo = Math.ceil(w / s);
      assert.deepEqual(y.shape, [1, ho, wo, co]);
      const want = new Float32Array(ho * wo * co);
      for (let i = 0; i < ho; i++)
        for (let j = 0; j < wo; j++)
          for (let o = 0; o < co; o++) {
            let acc = 0;
            for (let a = 0; a < k; a++)
              for (let b = 0; b < k; b++) {
                const yi = i * s + a * d - pt;
                const xj = j * s + b * d - pl;
                if (yi < 0 || yi >= h || xj < 0 || xj >= w) continue;
                for (let c = 0; c < ci; c++) acc += xv[(yi * w + xj) * ci + c]! * fv[((a * k + b) * ci + c) * co + o]!;
              }
            want[(i * wo + j) * co + o] = acc;
          }
      assert.ok(maxAbsDiff(await y.data(), want) < 1e-4, `k=${k} stride=${s} dilation=${d}`);
      // tfjs has no gradient for dilated convolutions; the dilated kernel has one.
      const g = tf.grad((xx: Tensor) => tf.sum(tf.conv2d(xx as Tensor4D, fd, s, 'same')))(x);
      assert.ok((await g.abs().sum().data())[0]! > 0);
      tf.dispose([f, fd, y, g]);
    }
    x.dispose();
  });

  it('gradients flow from a middle layer to the input', { skip: noShared && noPython }, async () => {
    const cases: Array<{ m: TfliteFeatModel; layer: string; size: [number, number]; own: boolean }> = [];
    if (!noShared) cases.push({ m: coral!, layer: 'expanded_conv_7/add', size: [224, 224], own: false });
    if (!noPython) {
      // The concat gathers the depthwise (multiplier 2), dilated-conv + max-pool and avg-pool branches.
      const m = await loadTflite(path.join(tmp, 'float.tflite'));
      assert.ok(m.layers.some((l) => l.name === 'concat'));
      cases.push({ m, layer: 'concat', size: [FIXTURE_H, FIXTURE_W], own: true });
    }
    for (const { m, layer, size, own } of cases) {
      const before = tf.memory().numTensors;
      const x = tf.randomUniform([1, ...size, 3], 0, 1, 'float32', 7) as Tensor4D;
      const g = tf.grad((img: Tensor) => tf.mean(m.activations(img as Tensor4D, [layer])[layer]!))(x);
      const v = await g.data();
      assert.ok(v.every(Number.isFinite), `${m.name}: finite`);
      assert.ok(v.filter((e) => e !== 0).length > v.length / 2, `${m.name}: nonzero`);
      tf.dispose([x, g]);
      assert.equal(tf.memory().numTensors, before, `${m.name}: no tensor leaks`);
      if (own) m.dispose();
    }
  });

  it('rejects truncated, foreign and corrupted files with a FeatvisError', { skip: noShared && noPython }, async () => {
    const file = noShared ? path.join(tmp, 'float.tflite') : CORAL_V2;
    const bytes = new Uint8Array(fs.readFileSync(file));
    const trunc = path.join(tmp, 'truncated.tflite');
    fs.writeFileSync(trunc, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectFeatvisError(loadTflite(trunc), /truncated\.tflite: malformed FlatBuffer: .*runs past the end.*truncated or corrupt/);
    const foreign = noShared ? path.join(tmp, 'fixture_input.f32') : path.join(SAMPLES, 'cat.bmp');
    const copy = path.join(tmp, 'picture.tflite');
    fs.copyFileSync(foreign, copy);
    await expectFeatvisError(loadTflite(copy), /picture\.tflite: not a TFLite model \(file identifier is .*expected 'TFL3'\)/);
    fs.writeFileSync(copy, 'tiny');
    await expectFeatvisError(loadTflite(copy), /not a TFLite model/);
    // Every truncation and random corruption of a small model: success or FeatvisError, never another error.
    const small = noPython ? bytes : new Uint8Array(fs.readFileSync(path.join(tmp, 'float.tflite')));
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const cases: Uint8Array[] = [];
    for (const n of [0, 4, 8, 12, 16, 24, 32, 64, 100, 200, 500, 1000, small.length - 1]) cases.push(small.slice(0, n));
    for (let k = 0; k < 60; k++) {
      const b = small.slice();
      // Header and table region (TFLite writes the weights last, so early bytes are mostly offsets).
      for (let j = 0; j < 6; j++) b[Math.floor(rand() * Math.min(b.length, 4096))] = Math.floor(rand() * 256);
      cases.push(b);
    }
    let failures = 0;
    for (const c of cases) {
      try {
        const m = buildTfliteModel([{ file: 'fuzz.tflite', model: parseTflite(c, 'fuzz.tflite') }], { name: 'fuzz' });
        m.dispose();
      } catch (err) {
        assert.ok(err instanceof FeatvisError, `non-FeatvisError: ${err instanceof Error ? err.stack : String(err)}`);
        failures++;
      }
    }
    assert.ok(failures >= 13, 'at least every truncation failed');
  });

  it('names the unsupported operator and the model', { skip: noPython }, async () => {
    await expectFeatvisError(
      loadTflite(path.join(tmp, 'lrn.tflite'), { name: 'lrn-net' }),
      /model 'lrn-net' \(lrn\.tflite\) uses TFLite operator LOCAL_RESPONSE_NORMALIZATION that featvis does not support\. Supported: .*CONV_2D/,
    );
  });

  // Its 7×7×512 → 1024 pointwise conv kills the process (SIGFPE) in oneDNN's conv kernel; the importer runs 1×1 convs as matMul.
  it('chains the two-part Coral MobileNetV1 folder', { skip: noShared }, async () => {
    const m = await loadTflite(CORAL_V1_DIR);
    assert.equal(m.name, 'coral_mobilenet_v1_1.0_224_quant');
    assert.equal(m.layers.length, 28 + 3);
    assert.ok(m.layers.some((l) => l.name === 'MobilenetV1/Logits/AvgPool_1a/AvgPool'));
    assert.ok('Conv2d_13_pointwise' in m.aliases);
    const idx = [1, 4, 6]; // cat, hot_dog, parrot
    const x = tf.tidy(() => tf.gather(coralImages!, idx));
    const y = tf.tidy(() => m.activations(x, [m.outputLayer])[m.outputLayer]!);
    assert.deepEqual([...(await y.argMax(1).data())], [286, 935, 89]);
    tf.dispose([x, y]);
    m.dispose();
  });
});
