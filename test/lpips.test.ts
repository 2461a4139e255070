/**
 * LPIPS parity with richzhang/PerceptualSimilarity's formula.
 *
 * The torchvision backbones are not available offline, so
 * test/fixtures/lpips/reference.py builds the AlexNet / SqueezeNet1.1 / VGG16
 * feature stacks in plain torch with torchvision's module indices and seeded
 * random weights, saves them with torch.save (legacy and zip formats), and
 * computes the reference LPIPS with the REAL linear heads from shared/lpips.
 * featvis must load those files and reproduce every distance, per-layer term
 * and spatial map within 1e-4.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { tf, type Tensor4D } from '../src/backend/tf.js';
import { readImage } from '../src/data/image.js';
import { readTorchStateDict } from '../src/io/pth.js';
import {
  SQUEEZENET_CAFFE_LPIPS_LIKE_LAYERS,
  SQUEEZENET_CAFFE_PREPROCESS,
  createLpips,
  createLpipsLike,
  lpipsPreprocess,
  type LpipsNet,
  type LpipsVersion,
} from '../src/metrics/lpips.js';
import { BACKBONES, buildBackbone } from '../src/metrics/lpipsNets.js';
import { loadModel } from '../src/models/load.js';
import { FeatvisError } from '../src/core/errors.js';
import { repoRoot, runPython, sharedDir, skipWithoutPython, skipWithoutShared } from './helpers/python.js';

const skip = skipWithoutPython() || skipWithoutShared();
const TOL = 1e-4;
const NETS: LpipsNet[] = ['alex', 'squeeze', 'vgg'];

interface Reference {
  pairs: Array<{ name: string; shape: [number, number, number] }>;
  nets: Record<string, { legacy: string; zip: string; equal: number[] } & Record<string, { distance: number[]; perLayer: number[][]; mapMean: number[] }>>;
}

let cached: { dir: string; ref: Reference } | null = null;
function reference(): { dir: string; ref: Reference } {
  if (cached) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-lpips-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const code = fs.readFileSync(path.join(repoRoot, 'test/fixtures/lpips/reference.py'), 'utf8');
  runPython(code, [dir, sharedDir, NETS.join(',')]);
  cached = { dir, ref: JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8')) as Reference };
  return cached;
}

function readF32(file: string): Float32Array {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function pair(dir: string, ref: Reference, i: number): [Tensor4D, Tensor4D] {
  const [h, w] = ref.pairs[i]!.shape;
  return [tf.tensor4d(readF32(path.join(dir, `pair${i}_a.bin`)), [1, h, w, 3]), tf.tensor4d(readF32(path.join(dir, `pair${i}_b.bin`)), [1, h, w, 3])];
}

const lin = (version: LpipsVersion, net: LpipsNet): string => path.join(sharedDir, 'lpips', `v${version}`, `${net}.pth`);
let maxDiff = 0;
const diffs: string[] = [];

for (const net of NETS) {
  for (const version of ['0.1', '0.0'] as const) {
    test(`LPIPS v${version} ${net} matches the PyTorch reference (distance, per layer, spatial map)`, { skip }, async () => {
      const { dir, ref } = reference();
      const r = ref.nets[net]!;
      // v0.1 reads the zip-format backbone, v0.0 the legacy one: both readers feed real parity.
      const m = await createLpips({ net, version, backboneWeights: version === '0.1' ? r.zip : r.legacy, linWeights: lin(version, net) });
      try {
        assert.equal(m.kind, 'lpips');
        let local = 0;
        const expected = r[`v${version}`]!;
        for (let i = 0; i < ref.pairs.length; i++) {
          const [a, b] = pair(dir, ref, i);
          const d = m.distance(a, b);
          const per = m.perLayer(a, b);
          const map = m.spatialMap(a, b);
          const [h, w] = ref.pairs[i]!.shape;
          assert.deepEqual(d.shape, [1]);
          assert.deepEqual(map.shape, [1, h, w, 1]);
          const got = d.dataSync()[0]!;
          const want = expected.distance[i]!;
          local = Math.max(local, Math.abs(got - want));
          assert.ok(Math.abs(got - want) <= TOL, `${ref.pairs[i]!.name}: featvis ${got} vs torch ${want}`);
          const perGot = per.dataSync();
          expected.perLayer[i]!.forEach((v, k) => assert.ok(Math.abs(perGot[k]! - v) <= TOL, `${ref.pairs[i]!.name} layer ${k}: ${perGot[k]} vs ${v}`));
          const mapWant = readF32(path.join(dir, `${net}_v${version}_map${i}.bin`));
          const mapGot = map.dataSync();
          let mapDiff = 0;
          for (let j = 0; j < mapWant.length; j++) mapDiff = Math.max(mapDiff, Math.abs(mapGot[j]! - mapWant[j]!));
          assert.ok(mapDiff <= TOL, `${ref.pairs[i]!.name}: spatial map differs by ${mapDiff}`);
          local = Math.max(local, mapDiff);
          // The map's mean equals the reference map's mean, and (upsampling aside) the distance.
          const mean = tf.mean(map).dataSync()[0]!;
          assert.ok(Math.abs(mean - expected.mapMean[i]!) <= TOL, `map mean ${mean} vs torch ${expected.mapMean[i]}`);
          assert.ok(Math.abs(mean - got) <= 0.02 * got + TOL, `map mean ${mean} vs distance ${got}`);
          tf.dispose([a, b, d, per, map]);
        }
        maxDiff = Math.max(maxDiff, local);
        diffs.push(`${net} v${version}: ${local.toExponential(2)}`);
        const desc = m.describe();
        assert.match(desc, new RegExp(`^LPIPS v${version.replace('.', '\\.')} .*net ${net}`));
        assert.ok(desc.includes(path.resolve(version === '0.1' ? r.zip : r.legacy)) && desc.includes(lin(version, net)), desc);
      } finally {
        m.dispose();
      }
    });
  }
}

test('upstream triplet read from PNG, batched and broadcast: ex_ref vs [ex_p0, ex_p1]', { skip }, async () => {
  const { dir, ref } = reference();
  const imgs = path.join(sharedDir, 'lpips', 'imgs');
  const [r, p0, p1] = await Promise.all(['ex_ref.png', 'ex_p0.png', 'ex_p1.png'].map((f) => readImage(path.join(imgs, f))));
  assert.equal(r!.width, 64);
  // featvis's PNG decoding gives the same pixels as PIL's.
  assert.deepEqual(Array.from(r!.data), Array.from(readF32(path.join(dir, 'pair0_a.bin'))));
  const m = await createLpips({ net: 'alex', backboneWeights: ref.nets.alex!.legacy, linWeights: lin('0.1', 'alex') });
  try {
    const a = tf.tensor4d(r!.data, [1, 64, 64, 3]);
    const b = tf.tensor4d(new Float32Array([...p0!.data, ...p1!.data]), [2, 64, 64, 3]);
    const d = Array.from(m.distance(a, b).dataSync());
    const want = ref.nets.alex!['v0.1']!.distance.slice(0, 2);
    d.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= TOL, `pair ${i}: ${v} vs ${want[i]}`));
    const before = tf.memory().numTensors;
    tf.dispose([m.distance(a, b), m.spatialMap(a, b), m.perLayer(a, b)]);
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    const self = m.distance(b, b).dataSync();
    assert.ok(Math.abs(self[0]!) < 1e-7 && Math.abs(self[1]!) < 1e-7, 'd(x, x) = 0');
    // Differentiable, with finite gradients (also at d = 0).
    const g = tf.grad((x) => m.distance(x as Tensor4D, b).sum())(tf.concat([a, a]));
    const g0 = tf.grad((x) => m.distance(x as Tensor4D, a).sum())(a);
    assert.ok(g.abs().max().dataSync()[0]! > 0 && Number.isFinite(g.abs().sum().dataSync()[0]!));
    assert.ok(Number.isFinite(g0.abs().sum().dataSync()[0]!));
    assert.throws(() => m.distance(a, tf.zeros([1, 32, 32, 3]) as Tensor4D), FeatvisError);
    assert.throws(() => m.distance(tf.zeros([2, 64, 64, 3]) as Tensor4D, tf.zeros([3, 64, 64, 3]) as Tensor4D), FeatvisError);
  } finally {
    m.dispose();
  }
});

test('calibrated LPIPS as a score metric: embeddings whose squared distances are the reference LPIPS', { skip }, async () => {
  const { dir, ref } = reference();
  for (const net of NETS) {
    const m = await createLpips({ net, version: '0.1', backboneWeights: ref.nets[net]!.zip, linWeights: lin('0.1', net) });
    try {
      for (let i = 0; i < ref.pairs.length; i++) {
        const [a, b] = pair(dir, ref, i);
        const got = tf.tidy(() => {
          const ea = m.embed(a).lpips!;
          const eb = m.embed(b).lpips!;
          return tf.sum(tf.squaredDifference(ea, eb)).dataSync()[0]!;
        });
        const want = ref.nets[net]!['v0.1']!.distance[i]!;
        assert.ok(Math.abs(got - want) <= TOL, `${net} pair ${i}: ${got} vs ${want}`);
        tf.dispose([a, b]);
      }
    } finally {
      m.dispose();
    }
  }
});

test('LPIPS-like (equal weights) equals the reference uncalibrated baseline and is never called LPIPS', { skip }, () => {
  const { dir, ref } = reference();
  const model = buildBackbone('alex', readTorchStateDict(ref.nets.alex!.zip), { source: 'fixture', preprocess: lpipsPreprocess('0.1'), name: 'alex-fixture' });
  const m = createLpipsLike({ features: model, layers: BACKBONES.alex.taps, weights: 'equal' });
  try {
    assert.equal(m.kind, 'lpips-like');
    assert.match(m.describe(), /^LPIPS-like \(equal weights\) on alex-fixture layers relu1, relu2, relu3, relu4, relu5/);
    assert.doesNotMatch(m.describe(), /LPIPS v\d/);
    assert.match(m.label, /^LPIPS-like/);
    for (let i = 0; i < ref.pairs.length; i++) {
      const [a, b] = pair(dir, ref, i);
      const got = m.distance(a, b).dataSync()[0]!;
      const want = ref.nets.alex!.equal[i]!;
      assert.ok(Math.abs(got - want) <= TOL * Math.max(1, want), `${ref.pairs[i]!.name}: ${got} vs ${want}`);
      tf.dispose([a, b]);
    }
    assert.throws(() => createLpipsLike({ features: model, layers: ['relu9'] }), /unknown layer 'relu9'/);
  } finally {
    m.dispose();
    model.dispose();
  }
});

test('LPIPS-like on the Caffe SqueezeNet (tfjs) features', { skip: skipWithoutShared() }, async () => {
  const features = await loadModel(path.join(sharedDir, 'models', 'tfjs_squeezenet1.1_features_caffe'), {
    preprocess: SQUEEZENET_CAFFE_PREPROCESS,
    name: 'squeezenet1.1-caffe',
  });
  const m = createLpipsLike({ features, layers: SQUEEZENET_CAFFE_LPIPS_LIKE_LAYERS });
  try {
    assert.match(m.describe(), /^LPIPS-like \(equal weights\) on squeezenet1\.1-caffe layers relu_conv1, fire3\/concat/);
    assert.match(m.describe(), /not LPIPS/);
    const imgs = path.join(sharedDir, 'lpips', 'imgs');
    const [r, p0, p1] = await Promise.all(['ex_ref.png', 'ex_p0.png', 'ex_p1.png'].map((f) => readImage(path.join(imgs, f))));
    const a = tf.tensor4d(r!.data, [1, 64, 64, 3]);
    const b = tf.tensor4d(new Float32Array([...r!.data, ...p0!.data, ...p1!.data]), [3, 64, 64, 3]);
    const d = m.distance(a, b).dataSync();
    assert.ok(Math.abs(d[0]!) < 1e-6, `d(x,x) = ${d[0]}`);
    assert.ok(d[1]! > 0.01 && d[2]! > 0.01, `distances ${d[1]}, ${d[2]}`);
    const map = m.spatialMap(a, b);
    assert.deepEqual(map.shape, [3, 64, 64, 1]);
  } finally {
    m.dispose();
    features.dispose();
  }
});

test('missing backbone weights offline: error names the file, URL and where to put it', { skip: skipWithoutShared() }, async () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-cache-'));
  const saved = { c: process.env.FEATVIS_CACHE, o: process.env.FEATVIS_OFFLINE };
  process.env.FEATVIS_CACHE = cache;
  process.env.FEATVIS_OFFLINE = '1';
  try {
    await assert.rejects(createLpips({ net: 'squeeze', linWeights: lin('0.1', 'squeeze') }), (err: Error) => {
      assert.ok(err instanceof FeatvisError);
      assert.match(err.message, /SqueezeNet 1\.1/);
      assert.ok(err.message.includes('https://download.pytorch.org/models/squeezenet1_1-b8a52dc0.pth'), err.message);
      assert.ok(err.message.includes(path.join(cache, 'torchvision', 'squeezenet1_1-b8a52dc0.pth')), err.message);
      return true;
    });
    // A corrupt file at the cache path is caught by the sha256 prefix in torchvision's file name.
    const bad = path.join(cache, 'torchvision', 'alexnet-owt-7be5be79.pth');
    fs.mkdirSync(path.dirname(bad), { recursive: true });
    fs.writeFileSync(bad, 'not the real weights');
    await assert.rejects(createLpips({ net: 'alex', linWeights: lin('0.1', 'alex') }), /checksum mismatch .*does not start with 7be5be79/);
  } finally {
    if (saved.c === undefined) delete process.env.FEATVIS_CACHE;
    else process.env.FEATVIS_CACHE = saved.c;
    if (saved.o === undefined) delete process.env.FEATVIS_OFFLINE;
    else process.env.FEATVIS_OFFLINE = saved.o;
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test('wrong weight files are refused clearly', { skip }, async () => {
  const { ref } = reference();
  // squeeze heads for alex: wrong channel counts.
  await assert.rejects(createLpips({ net: 'alex', backboneWeights: ref.nets.alex!.zip, linWeights: lin('0.1', 'squeeze') }), /lin1 has shape \[1,128,1,1\], expected \[1,192,1,1\]/);
  // an AlexNet state dict given as the SqueezeNet backbone.
  await assert.rejects(createLpips({ net: 'squeeze', backboneWeights: ref.nets.alex!.zip, linWeights: lin('0.1', 'squeeze') }), /features\.0\.weight' has shape \[64,3,11,11\], expected \[64,3,3,3\]/);
});

test('report: largest LPIPS parity difference', { skip }, () => {
  assert.ok(diffs.length === NETS.length * 2, 'all parity tests ran');
  console.log(`LPIPS parity vs PyTorch: max |diff| = ${maxDiff.toExponential(3)} (${diffs.join('; ')})`);
  assert.ok(maxDiff <= TOL);
});
