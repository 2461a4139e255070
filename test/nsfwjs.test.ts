/**
 * nsfwjs's bundled models as featvis model sources, and Keras parity on the
 * only real InceptionV3 weights available offline (nsfwjs:inception_v3).
 *
 * Parity: node writes the dequantised weights (exactly as tfjs decodes them)
 * and a batch of real photos (../shared/images/coral_samples, 299 px, [0, 1]);
 * the venv's Keras rebuilds InceptionV3 (weights=None, include_top=False),
 * sets those weights under its own layer names and computes mixed5 / mixed6 and
 * the input gradient of one mixed5 channel (tf.GradientTape). Both featvis
 * routes are compared: the generic TF.js LayersModel (with the BatchNorm fix)
 * and featvis's InceptionV3 builder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tf, type Tensor4D } from '../src/backend/tf.js';
import { readImageBatch } from '../src/data/image.js';
import { parseJsLiteral } from '../src/io/jsLiteral.js';
import { structuralLayer } from '../src/models/defaults.js';
import { loadModel } from '../src/models/load.js';
import { NSFWJS_LABELS, NSFWJS_MODELS, nsfwjsPackageDir, readBundledModel } from '../src/models/nsfwjs.js';
import { formatLayers } from '../src/cli/layers.js';
import type { FeatModel } from '../src/core/types.js';
import { repoRoot, runPython, sharedDir, skipWithoutPython, skipWithoutShared } from './helpers/python.js';
import { exportNsfwjsInceptionWeights, skipWithoutNsfwjs } from './helpers/nsfwjs.js';

const skipNsfwjs = skipWithoutNsfwjs();
const PARITY_TOL = 1e-5;
const GRAD_TOL = 1e-4;

/** The value a `NAME = {…}` / `NAME: {…}` assignment in nsfwjs's dist code gives, read as data. */
function distLiteral(file: string, marker: RegExp): unknown {
  const text = fs.readFileSync(file, 'utf8');
  const m = marker.exec(text);
  assert.ok(m, `${marker} not found in ${file}`);
  return parseJsLiteral(text, m.index + m[0].length, file).value;
}

describe('nsfwjs model sources', { skip: skipNsfwjs }, () => {
  test("labels, sizes and input range are nsfwjs's own (read from its dist code)", () => {
    const { dir, version } = nsfwjsPackageDir();
    assert.equal(version, '4.4.0');
    for (const flavour of ['esm', 'cjs']) {
      const classes = distLiteral(path.join(dir, 'dist', flavour, 'nsfw_classes.js'), /NSFW_CLASSES\s*=\s*(?=\{)/);
      assert.deepEqual(classes, { '0': 'Drawing', '1': 'Hentai', '2': 'Neutral', '3': 'Porn', '4': 'Sexy' });
    }
    assert.deepEqual(NSFWJS_LABELS, ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
    assert.deepEqual(distLiteral(path.join(dir, 'dist', 'esm', 'models', 'inception_v3.js'), /options:\s*/), { size: 299 });
    const core = fs.readFileSync(path.join(dir, 'dist', 'esm', 'core.js'), 'utf8');
    assert.match(core, /var IMAGE_SIZE = 224;/); // the size of the models without options
    assert.match(core, /this\.normalizationOffset = tf\.scalar\(255\)/); // images fed as x / 255: range [0, 1]
    assert.match(core, /\.div\(_this\.normalizationOffset\)/);
    assert.equal(NSFWJS_MODELS.inception_v3!.size, 299);
    assert.equal(NSFWJS_MODELS.mobilenet_v2!.size, 224);
  });

  test('the InceptionV3 bundle: 382 tensors, 22,360,869 bytes, Keras 2.2.4 topology', () => {
    const { dir } = nsfwjsPackageDir();
    const { artifacts } = readBundledModel(path.join(dir, 'dist', 'models', 'inception_v3'), 'nsfwjs:inception_v3');
    assert.equal(artifacts.weightSpecs!.length, 382);
    assert.equal((artifacts.weightData as ArrayBuffer).byteLength, 22_360_869);
    const topo = artifacts.modelTopology as { keras_version: string; model_config: { config: { layers: Array<{ name: string; config: { trainable?: boolean } }> } } };
    assert.equal(topo.keras_version, '2.2.4');
    const layers = topo.model_config.config.layers;
    // The first 168 layers (input … mixed5, conv2d_55 and its BN/activation) are frozen, the rest trainable.
    const frozen = layers.findIndex((l) => l.config.trainable === true);
    assert.equal(frozen, 168);
    assert.equal(layers[frozen - 1]!.name, 'activation_55');
    assert.ok(layers.slice(1, frozen).every((l) => l.config.trainable === false));
    assert.ok(layers.slice(frozen).every((l) => l.config.trainable === true));
  });

  test('nsfwjs:inception_v3 loads offline in both routes: mixed0…mixed10, the same layer names, head, trainable flags, no tensor leak', async () => {
    const names: Record<string, string[]> = {};
    for (const runtime of ['featvis', 'tfjs'] as const) {
      const before = tf.memory().numTensors;
      const m = await loadModel('nsfwjs:inception_v3', { runtime });
      try {
        assert.equal(m.constructor.name, runtime === 'featvis' ? 'GraphFeatModel' : 'LayersFeatModel');
        assert.equal(m.name, 'nsfwjs:inception_v3');
        assert.deepEqual(m.preprocess, { size: [299, 299], range: [0, 1], channelOrder: 'RGB' });
        assert.deepEqual(m.labels, NSFWJS_LABELS);
        assert.equal(m.suggestedLayer, 'mixed5');
        assert.match(m.fingerprint ?? '', /^[0-9a-f]{16}$/);
        assert.ok(m.notes?.some((n) => /preprocessing is a guess.*x\/255/.test(n)));
        const byName = new Map(m.layers.map((l) => [l.name, l]));
        for (let i = 0; i <= 10; i++) assert.ok(byName.has(`mixed${i}`), `mixed${i}`);
        assert.deepEqual(byName.get('mixed5')!.shape, [17, 17, 768]);
        assert.deepEqual(byName.get('mixed10')!.shape, [8, 8, 2048]);
        assert.deepEqual(byName.get('dense_3')!.shape, [5]);
        assert.equal(byName.get('conv2d_1')!.trainable, false);
        assert.equal(byName.get('conv2d_55')!.trainable, false);
        assert.equal(byName.get('batch_normalization_50')!.trainable, false);
        assert.equal(byName.get('conv2d_56')!.trainable, true);
        assert.equal(byName.get('dense_1')!.trainable, true);
        assert.equal(byName.get('mixed5')!.trainable, undefined); // no weights
        names[runtime] = m.layers.map((l) => l.name).sort();
        const probs = tf.tidy(() => {
          const x = tf.randomUniform([2, 299, 299, 3], 0, 1, 'float32', 5) as Tensor4D;
          const out = m.activations(x, ['mixed6', 'dense_3']);
          assert.deepEqual(out.mixed6!.shape, [2, 17, 17, 768]);
          return tf.sum(out.dense_3!, 1).arraySync() as number[];
        });
        probs.forEach((p) => assert.ok(Math.abs(p - 1) < 1e-5, `softmax sums to ${p}`));
      } finally {
        m.dispose();
      }
      assert.equal(tf.memory().numTensors, before, `${runtime}: tensors leaked by load + activations + dispose`);
    }
    assert.deepEqual(names.featvis, names.tfjs);
    assert.equal(names.featvis!.length, 314);
  });

  test('featvis layers --model nsfwjs:inception_v3: a mixed block suggested, trainable flags shown with a legend, the guessed preprocessing said', () => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'featvis.mjs'), 'layers', '--model', 'nsfwjs:inception_v3'], { cwd: repoRoot, encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout;
    console.log(`# ${out.split('\n').slice(0, 6).join('\n# ')}\n# …\n# ${out.trimEnd().split('\n').slice(-6).join('\n# ')}`);
    assert.match(out, /^nsfwjs:inception_v3: 314 layers, input 299×299 RGB in \[0, 1\]/);
    assert.match(out, /note: preprocessing is a guess: RGB in \[0, 1\] at 299×299 is how nsfwjs feeds images/);
    assert.match(out, /note: frozen layers .* kept Keras's ImageNet InceptionV3 kernels/);
    assert.match(out, /\nconv2d_1 +conv2d +149×149×32 +frozen\n/);
    assert.match(out, /\nconv2d_56 +conv2d +17×17×160 +tuned\n/);
    assert.match(out, /\nmixed5 +concatenate +17×17×768\n/);
    assert.match(out, /\nweights: frozen = trainable: false in the model file/);
    assert.match(out, /\nsuggested layer: mixed\d+\n?$/);
  });

  test('nsfwjs:mobilenet_v2 (LayersModel) and nsfwjs:mobilenet_v2_mid (GraphModel): 224 px, [0, 1], a block output suggested, gradients flow', async () => {
    for (const id of ['mobilenet_v2', 'mobilenet_v2_mid']) {
      const m: FeatModel = await loadModel(`nsfwjs:${id}`);
      try {
        assert.deepEqual(m.preprocess, { size: [224, 224], range: [0, 1], channelOrder: 'RGB' });
        assert.deepEqual(m.labels, NSFWJS_LABELS);
        const hint = m.layers.find((l) => l.name === m.suggestedLayer);
        assert.ok(hint, `${id}: suggested layer ${m.suggestedLayer} is not a layer`);
        assert.match(hint.kind, /^(Add|AddV2)$/);
        assert.deepEqual(hint.shape.slice(0, 2), [14, 14]); // block 9 of 16: 60 % deep, 14×14
        assert.ok(hint.shape[2]! >= 64);
        assert.equal(structuralLayer(m.layers), m.suggestedLayer, `${id}: the structural guess agrees with the hint`);
        console.log(`# ${id}: ${m.layers.length} layers, suggested ${m.suggestedLayer}`);
        const g = tf.tidy(() => {
          const x = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 9) as Tensor4D;
          const grad = tf.grad((im) => tf.mean(m.activations(im as Tensor4D, [hint.name])[hint.name]!))(x);
          return tf.sum(tf.abs(grad)).dataSync()[0]!;
        });
        assert.ok(g > 0 && Number.isFinite(g), `${id}: gradient ${g}`);
      } finally {
        m.dispose();
      }
    }
  });

  test('formatLayers without frozen layers prints no weights column', async () => {
    const m = await loadModel('nsfwjs:mobilenet_v2_mid');
    try {
      const text = formatLayers(m);
      assert.doesNotMatch(text, /frozen|tuned|weights: /);
      assert.match(text, /suggested layer: .*expanded_conv_9\/add$/);
    } finally {
      m.dispose();
    }
  });
});

const KERAS_PY = `
import json, os, sys
import numpy as np
d = sys.argv[1]
import keras
import tensorflow as tf
spec = json.load(open(os.path.join(d, 'weights.json')))
blob = np.fromfile(os.path.join(d, 'weights.bin'), dtype=np.float32)
W = {w['name']: blob[w['offset']:w['offset'] + int(np.prod(w['shape']))].reshape(w['shape']) for w in spec['weights']}
m = keras.applications.InceptionV3(weights=None, include_top=False, input_shape=(299, 299, 3))

def file_name(n):
    # Keras 3 numbers auto-named layers from 0 (conv2d, conv2d_1, ...), nsfwjs's Keras 2.2.4 file from 1.
    if n.startswith('mixed'):
        return n
    base, _, idx = n.rpartition('_')
    return f'{base}_{int(idx) + 1}' if base and idx.isdigit() else f'{n}_1'

used = set()
for l in m.layers:
    if not l.weights:
        continue
    names = [f"{file_name(l.name)}/{v.path.split('/')[-1]}" for v in l.weights]
    l.set_weights([W[n] for n in names])
    used.update(names)
unused = sorted(set(W) - used)
x = np.fromfile(os.path.join(d, 'input.bin'), dtype=np.float32).reshape(spec['input'])
sub = keras.Model(m.inputs, [m.get_layer('mixed5').output, m.get_layer('mixed6').output])
a5, a6 = [np.asarray(t, dtype=np.float32) for t in sub(x, training=False)]
ch = int(spec['channel'])

def input_grad(model, x):
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = model(xt, training=False)
        obj = tf.reduce_sum(tf.reduce_mean(y[..., ch], axis=[1, 2]))
    return np.asarray(tape.gradient(obj, xt), dtype=np.float32)

m5 = keras.Model(m.inputs, m.get_layer('mixed5').output)
g = input_grad(m5, x)
# The input gradient through max pooling is discontinuous: where a window's two
# largest values are within float32 rounding, the gradient goes to either. The
# noise floor: TensorFlow against itself on an input moved by 1e-7.
rng = np.random.default_rng(0)
g_moved = input_grad(m5, (x + rng.uniform(-1e-7, 1e-7, x.shape)).astype(np.float32))
floor = float(np.abs(g_moved - g).max() / np.abs(g).max())

# Pinned reference: the same network with each max pooling routed to the
# window position featvis picked (argmax of featvis's own pool inputs), so
# both sides differentiate the same piece of the piecewise-linear function.
class PinnedMaxPool(keras.layers.Layer):
    def __init__(self, onehot, **kw):
        super().__init__(**kw)
        self.onehot = tf.constant(onehot)
    def call(self, v):
        p = tf.image.extract_patches(v, sizes=[1, 3, 3, 1], strides=[1, 2, 2, 1], rates=[1, 1, 1, 1], padding='VALID')
        n, ho, wo, _ = p.shape
        p = tf.reshape(p, [-1, ho, wo, 9, v.shape[-1]])
        return tf.reduce_sum(p * self.onehot, axis=3)

def onehot_argmax(a):
    ho, wo = (a.shape[1] - 3) // 2 + 1, (a.shape[2] - 3) // 2 + 1
    win = np.stack([a[:, i:i + 2 * ho - 1:2, j:j + 2 * wo - 1:2, :] for i in range(3) for j in range(3)], axis=3)
    return (np.arange(9)[None, None, None, :, None] == win.argmax(axis=3)[:, :, :, None, :]).astype(np.float32)

def pinned_grad(pools):
    pinned = {}
    for p in pools:
        l = m.get_layer(p['keras'])
        assert isinstance(l, keras.layers.MaxPooling2D) and file_name(l.input._keras_history.operation.name) == p['input'], (p, l.input._keras_history.operation.name)
        a = np.fromfile(os.path.join(d, p['file']), dtype=np.float32).reshape(p['shape'])
        pinned[p['keras']] = onehot_argmax(a)
    def swap(layer):
        if layer.name in pinned:
            return PinnedMaxPool(pinned[layer.name], name=layer.name)
        return layer.__class__.from_config(layer.get_config())
    mp = keras.models.clone_model(m5, clone_function=swap)
    for l in mp.layers:
        if l.weights:
            l.set_weights(m5.get_layer(l.name).get_weights())
    a5p = np.asarray(mp(x, training=False), dtype=np.float32)
    return input_grad(mp, x), float(np.abs(a5p - a5).max() / np.abs(a5).max())

pinned_forward = {}
for route, pools in spec['pools'].items():
    gp, pinned_forward[route] = pinned_grad(pools)
    gp.tofile(os.path.join(d, f'grad_pinned_{route}.bin'))
a5.tofile(os.path.join(d, 'mixed5.bin'))
a6.tofile(os.path.join(d, 'mixed6.bin'))
g.tofile(os.path.join(d, 'grad.bin'))
print(json.dumps({'mixed5': list(a5.shape), 'mixed6': list(a6.shape), 'grad': list(g.shape), 'set': len(used), 'unused': unused,
                  'floor': floor, 'pinned_forward': pinned_forward}))
`;

interface KerasOut {
  mixed5: number[];
  mixed6: number[];
  grad: number[];
  set: number;
  unused: string[];
  /** max-relative change of TensorFlow's own input gradient when the input moves by 1e-7. */
  floor: number;
  /** Per featvis route: max-relative change of mixed5 when the max poolings are pinned to that route's choices. */
  pinned_forward: Record<string, number>;
}

/** The max poolings between the input and mixed5 (file names), with the layers feeding them. */
const POOLS = [
  { keras: 'max_pooling2d', input: 'activation_3' },
  { keras: 'max_pooling2d_1', input: 'activation_5' },
  { keras: 'max_pooling2d_2', input: 'mixed2' },
];

function relError(got: ArrayLike<number>, want: ArrayLike<number>): { rel: number; maxAbs: number } {
  assert.equal(got.length, want.length);
  let maxAbs = 0;
  let maxRef = 0;
  for (let i = 0; i < want.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(got[i]! - want[i]!));
    maxRef = Math.max(maxRef, Math.abs(want[i]!));
  }
  assert.ok(maxRef > 0, 'reference is all zeros');
  return { rel: maxAbs / maxRef, maxAbs };
}

function readF32(file: string): Float32Array {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

const PHOTOS = ['cat.bmp', 'parrot.jpg', 'grace_hopper.bmp'];
/** A mixed5 channel for the gradient check (any channel alive on the photos works). */
const GRAD_CHANNEL = 100;

describe('nsfwjs:inception_v3 vs Keras on the real weights', { skip: skipNsfwjs || skipWithoutPython() || skipWithoutShared() }, () => {
  let dir = '';
  let ref: KerasOut;
  let input: Tensor4D;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-nsfwjs-keras-'));
    // The dequantised weights, exactly as tfjs decodes them for both featvis routes.
    const entries = exportNsfwjsInceptionWeights(dir);
    input = await readImageBatch(PHOTOS.map((f) => path.join(sharedDir, 'images', 'coral_samples', f)), [299, 299], 'cover');
    fs.writeFileSync(path.join(dir, 'input.bin'), Buffer.from((input.dataSync() as Float32Array).buffer));
    // Each route's own max-pool inputs, so the reference can route its max poolings as that route does.
    const pools: Record<string, unknown[]> = {};
    for (const runtime of ['featvis', 'tfjs'] as const) {
      const model = await loadModel('nsfwjs:inception_v3', { runtime });
      pools[runtime] = tf.tidy(() => {
        const acts = model.activations(input, POOLS.map((p) => p.input));
        return POOLS.map((p, i) => {
          const file = `pool_in_${runtime}_${i}.bin`;
          const a = acts[p.input]!;
          fs.writeFileSync(path.join(dir, file), Buffer.from((a.dataSync() as Float32Array).buffer));
          return { ...p, file, shape: a.shape };
        });
      });
      model.dispose();
    }
    fs.writeFileSync(path.join(dir, 'weights.json'), JSON.stringify({ weights: entries, input: input.shape, channel: GRAD_CHANNEL, pools }));
    const t0 = Date.now();
    ref = JSON.parse(runPython(KERAS_PY, [dir], 600_000).trim().split('\n').pop()!) as KerasOut;
    console.log(`# Keras reference in ${((Date.now() - t0) / 1000).toFixed(1)} s: set ${ref.set} weights; unused (the head): ${ref.unused.join(', ')}`);
    console.log(
      `# TensorFlow's own input gradient of mixed5:${GRAD_CHANNEL} moves by ${ref.floor.toExponential(2)} (max-relative) when the input moves by 1e-7 (max-pool ties); ` +
        `pinning the max poolings to each route's choices changes Keras's mixed5 by ${Object.entries(ref.pinned_forward).map(([r, v]) => `${v.toExponential(2)} (${r})`).join(', ')}`,
    );
  });
  after(() => {
    input?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('Keras used every InceptionV3 weight of the file (only the dense head is left over)', () => {
    assert.equal(ref.set, 94 * 4); // 94 conv kernels + 94 × (beta, moving_mean, moving_variance)
    assert.deepEqual(ref.unused, ['dense_1/bias', 'dense_1/kernel', 'dense_2/bias', 'dense_2/kernel', 'dense_3/bias', 'dense_3/kernel']);
  });

  for (const runtime of ['tfjs', 'featvis'] as const) {
    const route = runtime === 'tfjs' ? 'TF.js LayersModel route (BatchNorm completed)' : "featvis's InceptionV3 builder route";
    test(`parity at mixed5 and mixed6, ${route}: relative error < ${PARITY_TOL}; input gradient of mixed5:${GRAD_CHANNEL}`, async () => {
      const m = await loadModel('nsfwjs:inception_v3', { runtime });
      try {
        assert.equal(m.constructor.name, runtime === 'tfjs' ? 'LayersFeatModel' : 'GraphFeatModel');
        const [e5, e6, eg, ep] = tf.tidy(() => {
          const out = m.activations(input, ['mixed5', 'mixed6']);
          assert.deepEqual(out.mixed5!.shape, ref.mixed5);
          assert.deepEqual(out.mixed6!.shape, ref.mixed6);
          const g = tf.grad((x) => tf.sum(tf.mean(m.activations(x as Tensor4D, ['mixed5']).mixed5!.slice([0, 0, 0, GRAD_CHANNEL], [-1, -1, -1, 1]), [1, 2, 3])))(input);
          const gd = g.dataSync();
          return [
            relError(out.mixed5!.dataSync(), readF32(path.join(dir, 'mixed5.bin'))),
            relError(out.mixed6!.dataSync(), readF32(path.join(dir, 'mixed6.bin'))),
            relError(gd, readF32(path.join(dir, 'grad.bin'))),
            relError(gd, readF32(path.join(dir, `grad_pinned_${runtime}.bin`))),
          ];
        });
        console.log(
          `# ${route} on ${PHOTOS.join(', ')} (299 px, [0, 1]): mixed5 rel ${e5!.rel.toExponential(2)} (max|Δ| ${e5!.maxAbs.toExponential(2)}), ` +
            `mixed6 rel ${e6!.rel.toExponential(2)} (max|Δ| ${e6!.maxAbs.toExponential(2)}); input gradient of mixed5:${GRAD_CHANNEL}: ` +
            `vs Keras's tape ${eg!.rel.toExponential(2)}, vs Keras's tape with this route's max-pool routing ${ep!.rel.toExponential(2)}`,
        );
        assert.ok(e5!.rel < PARITY_TOL, `mixed5 relative error ${e5!.rel}`);
        assert.ok(e6!.rel < PARITY_TOL, `mixed6 relative error ${e6!.rel}`);
        // The plain comparison cannot beat TensorFlow's own noise floor (max-pool near-ties); with the routing pinned it must be tight.
        assert.ok(eg!.rel < Math.max(20 * ref.floor, GRAD_TOL), `gradient relative error ${eg!.rel} (TensorFlow's own floor ${ref.floor})`);
        assert.ok(ep!.rel < GRAD_TOL, `gradient relative error with pinned max-pool routing ${ep!.rel}`);
      } finally {
        m.dispose();
      }
    });
  }
});
