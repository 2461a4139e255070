/**
 * Keras InceptionV3 in featvis vs TensorFlow/Keras on the same weights.
 *
 * The official ImageNet weights are not available offline, so the venv's Keras
 * builds InceptionV3 with seeded random weights (He-scaled kernels and random
 * BatchNorm beta / moving statistics, so BN matters) and writes it twice into a
 * temp folder: Keras 3 `save_weights` (.weights.h5) and the legacy layout of the
 * official keras-applications file (root attr layer_names, Keras 2.0 one-based
 * names conv2d_1…, datasets conv2d_1/conv2d_1/kernel:0). Keras' outputs on a
 * fixed 2×139×139 input are the reference.
 */
import assert from 'node:assert/strict';
import dns from 'node:dns/promises';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tf, type Tensor4D } from '../src/backend/tf.js';
import { openHdf5 } from '../src/io/hdf5.js';
import { FeatvisError } from '../src/core/errors.js';
import { inceptionV3LayerNames, inceptionV3WeightSpec } from '../src/models/inceptionV3.js';
import { loadInceptionV3 } from '../src/models/kerasInception.js';
import { mapKerasWeights, readKerasWeightsFile } from '../src/models/kerasH5.js';
import { loadModel, registerLoader } from '../src/models/load.js';
import { imagenetLabels, loadKerasH5Model, loadZooModel, ZOO, zooLoaders } from '../src/models/zoo.js';
import { runPython, skipWithoutPython } from './helpers/python.js';

const FIXTURE_PY = `
import json, os, sys, time
import numpy as np
out = sys.argv[1]
N, H, W = 2, 139, 139
t0 = time.time()
import h5py
import keras
t_import = time.time() - t0
keras.utils.set_random_seed(1234)
m = keras.applications.InceptionV3(weights=None, input_shape=(H, W, 3))
t_build = time.time() - t0 - t_import
rng = np.random.default_rng(1234)
f32 = lambda a: np.asarray(a, dtype=np.float32)
for l in m.layers:
    ws = l.get_weights()
    if not ws:
        continue
    if isinstance(l, keras.layers.Conv2D):
        k = ws[0]
        l.set_weights([f32(rng.normal(0.0, np.sqrt(2.0 / np.prod(k.shape[:3])), k.shape))])
    elif isinstance(l, keras.layers.BatchNormalization):
        c = ws[0].shape
        l.set_weights([f32(rng.normal(0.0, 0.3, c)), f32(rng.normal(0.0, 0.3, c)), f32(rng.uniform(0.3, 3.0, c))])
    elif isinstance(l, keras.layers.Dense):
        k, b = ws
        l.set_weights([f32(rng.normal(0.0, 4.0 / np.sqrt(k.shape[0]), k.shape)), f32(rng.normal(0.0, 0.5, b.shape))])
t1 = time.time()
m.save_weights(os.path.join(out, 'keras3.weights.h5'))

# The official keras-applications file's layout (Keras 2.0 save_weights).
def legacy_name(n):
    if n == 'input_layer':
        return 'input_1'
    if n in ('avg_pool', 'predictions') or n.startswith('mixed'):
        return n
    base, _, idx = n.rpartition('_')
    return f'{base}_{int(idx) + 1}' if base and idx.isdigit() else f'{n}_1'
with h5py.File(os.path.join(out, 'legacy.h5'), 'w') as f:
    f.attrs['layer_names'] = [legacy_name(l.name).encode('utf8') for l in m.layers]
    f.attrs['backend'] = b'tensorflow'
    f.attrs['keras_version'] = b'2.0.8'
    for l in m.layers:
        ln = legacy_name(l.name)
        g = f.create_group(ln)
        ws = l.trainable_weights + l.non_trainable_weights
        names = [f'{ln}/{w.name}:0'.encode('utf8') for w in ws]
        g.attrs['weight_names'] = names if names else []
        for name, w in zip(names, ws):
            v = keras.ops.convert_to_numpy(w)
            g.create_dataset(name.decode(), data=v)
# The same model as a TF.js model.json whose topology is Keras 3's own to_json() (zero-based names,
# Keras 3 inbound_nodes), float32 weights named <layer>/<weight> as tensorflowjs writes them.
tdir = os.path.join(out, 'keras3_tfjs')
os.makedirs(tdir)
specs, blobs = [], []
for l in m.layers:
    for v in l.weights:
        a = np.ascontiguousarray(keras.ops.convert_to_numpy(v), dtype=np.float32)
        specs.append({'name': f"{l.name}/{v.path.split('/')[-1]}", 'shape': list(a.shape), 'dtype': 'float32'})
        blobs.append(a.tobytes())
with open(os.path.join(tdir, 'group1-shard1of1.bin'), 'wb') as f:
    f.write(b''.join(blobs))
with open(os.path.join(tdir, 'model.json'), 'w') as f:
    json.dump({'format': 'layers-model', 'modelTopology': {'keras_version': keras.__version__, 'backend': 'tensorflow', 'model_config': json.loads(m.to_json())},
               'weightsManifest': [{'paths': ['group1-shard1of1.bin'], 'weights': specs}]}, f)
t_save = time.time() - t1

# A fine-tuned full model saved the legacy way (model.save .h5, with its topology): InceptionV3 up to
# mixed10, its own head, the first layers frozen.
fy = keras.layers.GlobalAveragePooling2D(name='gap')(m.get_layer('mixed10').output)
fy = keras.layers.Dense(16, activation='relu', name='fc1')(fy)
fy = keras.layers.Dropout(0.5, name='drop')(fy)
fy = keras.layers.Dense(3, activation='softmax', name='fc2')(fy)
ft = keras.Model(m.inputs, fy, name='finetuned')
for l in ft.layers[:40]:
    l.trainable = False
for n, s in (('fc1', 2.0), ('fc2', 1.0)):
    k, b = ft.get_layer(n).get_weights()
    ft.get_layer(n).set_weights([f32(rng.normal(0.0, s / np.sqrt(k.shape[0]), k.shape)), f32(rng.normal(0.0, 0.1, b.shape))])
ft.save(os.path.join(out, 'finetuned.h5'))
ft_frozen = [l.name for l in ft.layers if l.weights and not l.trainable]

# A small full model saved the legacy way (model.save .h5 -> 'model_weights' group).
ti = keras.Input((8, 8, 3))
ty = keras.layers.Conv2D(4, 3, name='c1')(ti)
ty = keras.layers.BatchNormalization(name='bn')(ty)
ty = keras.layers.GlobalAveragePooling2D(name='gap')(ty)
ty = keras.layers.Dense(2, name='d')(ty)
tiny = keras.Model(ti, ty)
tiny.save(os.path.join(out, 'tiny_model.h5'))
# An HDF5 file that is not a Keras weights file.
with h5py.File(os.path.join(out, 'plain.h5'), 'w') as f:
    f.create_dataset('data', data=np.arange(6, dtype=np.float32))

x = rng.uniform(0.0, 1.0, (N, H, W, 3)).astype(np.float32)
x.tofile(os.path.join(out, 'input.bin'))
names = ['conv2d', 'batch_normalization', 'mixed2', 'mixed6', 'mixed10', 'avg_pool', 'predictions']
sub = keras.Model(m.inputs, [m.get_layer(n).output for n in names])
outs = [np.asarray(o) for o in sub(x * 2.0 - 1.0, training=False)]
k, b = m.get_layer('predictions').get_weights()
names.append('logits')
outs.append((outs[names.index('avg_pool')].astype(np.float64) @ k.astype(np.float64) + b).astype(np.float32))
meta = {'input': [N, H, W, 3], 'outputs': {}, 'layers': [l.name for l in m.layers],
        'legacy_layers': [legacy_name(l.name) for l in m.layers],
        'tiny': {'c1_kernel': tiny.get_layer('c1').get_weights()[0].ravel()[:5].tolist(),
                 'bn_moving_variance': tiny.get_layer('bn').get_weights()[3].tolist()}}
for n, o in zip(names, outs):
    o = np.ascontiguousarray(o, dtype=np.float32)
    o.tofile(os.path.join(out, n + '.bin'))
    meta['outputs'][n] = {'shape': list(o.shape)}
ft_names = ['mixed5', 'fc1', 'fc2']
ft_outs = keras.Model(ft.inputs, [ft.get_layer(n).output for n in ft_names])(x * 2.0 - 1.0, training=False)
for n, o in zip(ft_names, ft_outs):
    np.ascontiguousarray(o, dtype=np.float32).tofile(os.path.join(out, 'ft_' + n + '.bin'))
meta['finetuned'] = {'layers': [l.name for l in ft.layers], 'frozen': ft_frozen, 'shapes': {n: list(o.shape) for n, o in zip(ft_names, ft_outs)}}
meta['seconds'] = {'import': t_import, 'build': t_build, 'save': t_save, 'total': time.time() - t0}
print(json.dumps(meta))
`;

interface FixtureMeta {
  input: [number, number, number, number];
  outputs: Record<string, { shape: number[] }>;
  layers: string[];
  /** The same layers under Keras 2.0's one-based names (the legacy fixture's). */
  legacy_layers: string[];
  tiny: { c1_kernel: number[]; bn_moving_variance: number[] };
  finetuned: { layers: string[]; frozen: string[]; shapes: Record<string, number[]> };
  seconds: Record<string, number>;
}

const REL_TOL = 1e-5; // measured: 0 (bit-identical) up to mixed10, ~2e-6 after the dense layer

// What src/models/load.ts does once it imports zoo.ts (registering twice is harmless).
for (const l of zooLoaders()) registerLoader(l);

async function rejectsFeatvis(p: Promise<unknown> | (() => unknown), pattern: RegExp): Promise<FeatvisError> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof FeatvisError, `expected a FeatvisError, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  assert.match(caught.message, pattern);
  return caught;
}

describe('InceptionV3 architecture (no weights needed)', () => {
  test('Keras layer names, both numberings', () => {
    const names = inceptionV3LayerNames();
    assert.equal(names.length, 312); // Keras' 313 layers minus the input layer
    for (let i = 0; i <= 10; i++) assert.ok(names.includes(`mixed${i}`), `mixed${i}`);
    for (const n of ['conv2d', 'conv2d_93', 'batch_normalization_93', 'activation_93', 'max_pooling2d_3', 'average_pooling2d_8', 'mixed9_0', 'mixed9_1', 'concatenate_1', 'avg_pool', 'predictions']) {
      assert.ok(names.includes(n), n);
    }
    assert.ok(!names.includes('conv2d_94'));
    const legacy = inceptionV3LayerNames({ naming: 'keras2' });
    assert.equal(legacy[0], 'conv2d_1');
    assert.ok(legacy.includes('conv2d_94') && legacy.includes('concatenate_2') && !legacy.includes('conv2d'));
    const spec = inceptionV3WeightSpec();
    assert.equal(spec.length, 94 * 2 + 1);
    assert.equal(spec.reduce((a, l) => a + l.weights.reduce((b, w) => b + w.shape.reduce((c, d) => c * d, 1), 0), 0), 23_851_784); // Keras: 23,851,784 params
    assert.deepEqual(inceptionV3WeightSpec({ includeTop: false }).at(-1)?.name, 'batch_normalization_93');
  });

  test('zoo entry and labels', () => {
    assert.equal(ZOO.inceptionv3!.weights.url, 'https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels.h5');
    const labels = imagenetLabels();
    assert.equal(labels.length, 1000);
    assert.match(labels[0]!, /^tench/);
    assert.match(labels[285]!, /^Egyptian cat/);
    assert.match(labels[999]!, /toilet tissue/);
    assert.equal(zooLoaders().find((l) => l.name === 'zoo')!.matches('constructor'), false);
    assert.equal(zooLoaders().find((l) => l.name === 'zoo')!.matches('InceptionV3'), true);
  });

  test('offline: a clear error naming the file, its official URL and where to put it (fails fast)', async () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-iv3-cache-'));
    const saved = { cache: process.env.FEATVIS_CACHE, offline: process.env.FEATVIS_OFFLINE };
    process.env.FEATVIS_CACHE = cache;
    const expected = path.join(cache, 'keras', 'inception_v3_weights_tf_dim_ordering_tf_kernels.h5');
    const check = (e: FeatvisError): void => {
      assert.ok(e.message.includes('inception_v3_weights_tf_dim_ordering_tf_kernels.h5'));
      assert.ok(e.message.includes(ZOO.inceptionv3!.weights.url), e.message);
      assert.ok(e.message.includes(expected), e.message);
    };
    try {
      process.env.FEATVIS_OFFLINE = '1';
      check(await rejectsFeatvis(loadZooModel('inceptionv3'), /not available/));
      delete process.env.FEATVIS_OFFLINE;
      // A real fetch, only where the network is really absent (as on the dev machines).
      const online = await dns.lookup('storage.googleapis.com').then(
        () => true,
        () => false,
      );
      if (!online) {
        const t0 = Date.now();
        check(await rejectsFeatvis(loadModel('inceptionv3'), /not available/));
        assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms`);
      }
      assert.deepEqual(fs.readdirSync(path.join(cache, 'keras')).filter((f) => f.includes('.part')), []);
    } finally {
      if (saved.cache === undefined) delete process.env.FEATVIS_CACHE;
      else process.env.FEATVIS_CACHE = saved.cache;
      if (saved.offline === undefined) delete process.env.FEATVIS_OFFLINE;
      else process.env.FEATVIS_OFFLINE = saved.offline;
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  test('not an HDF5 file / empty file → clear FeatvisError', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-iv3-bad-'));
    try {
      const txt = path.join(dir, 'weights.h5');
      fs.writeFileSync(txt, '<html>404 not found</html>\n'.repeat(10));
      await rejectsFeatvis(loadKerasH5Model(txt), /weights\.h5 is not an HDF5 file/);
      const empty = path.join(dir, 'empty.h5');
      fs.writeFileSync(empty, '');
      await rejectsFeatvis(() => openHdf5(empty), /not an HDF5 file/);
      await rejectsFeatvis(loadKerasH5Model(path.join(dir, 'missing.h5')), /not found/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('InceptionV3 vs Keras on generated weights', { skip: skipWithoutPython() }, () => {
  let dir = '';
  let meta: FixtureMeta;
  const read = (name: string): Float32Array => {
    const b = fs.readFileSync(path.join(dir, `${name}.bin`));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-iv3-'));
    const t0 = Date.now();
    meta = JSON.parse(runPython(FIXTURE_PY, [dir], 240_000).trim().split('\n').pop()!) as FixtureMeta;
    console.log(`# fixture by Keras in ${((Date.now() - t0) / 1000).toFixed(1)} s (${JSON.stringify(meta.seconds)})`);
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function parity(file: string, expectMatch: 'name' | 'renumbered', naming: 'keras' | 'keras2'): void {
    const wf = readKerasWeightsFile(path.join(dir, file));
    const t0 = Date.now();
    const model = loadInceptionV3(wf);
    const loadMs = Date.now() - t0;
    try {
      // Every Keras layer is addressable under the name the file gives it (layer order aside).
      const fileNames = naming === 'keras' ? meta.layers : meta.legacy_layers;
      assert.deepEqual(model.layers.map((l) => l.name).sort(), fileNames.filter((n) => n !== 'input_layer' && n !== 'input_1').sort());
      assert.equal(model.suggestedLayer, 'mixed5');
      assert.equal(mapKerasWeights(wf, inceptionV3WeightSpec()).matchedBy, expectMatch);
      const refNames = Object.keys(meta.outputs);
      const fileName = (n: string): string => (naming === 'keras' ? n : n === 'logits' ? n : meta.legacy_layers[meta.layers.indexOf(n)]!);
      const names = refNames.map(fileName);
      const before = tf.memory().numTensors;
      const diffs = tf.tidy(() => {
        const x = tf.tensor4d(read('input'), meta.input) as Tensor4D;
        const out = model.activations(x, names);
        return refNames.map((r, i) => {
          const n = names[i]!;
          const ref = read(r);
          const got = out[n]!;
          assert.deepEqual(got.shape, meta.outputs[r]!.shape, n);
          const data = got.dataSync();
          let maxAbs = 0;
          let maxRef = 0;
          for (let i = 0; i < ref.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(data[i]! - ref[i]!));
            maxRef = Math.max(maxRef, Math.abs(ref[i]!));
          }
          return { n, maxAbs, rel: maxAbs / maxRef };
        });
      });
      assert.equal(tf.memory().numTensors, before, 'tensor leak');
      console.log(`# ${file} (${wf.layout}, matched by ${expectMatch}, load ${loadMs} ms): ${diffs.map((d) => `${d.n} max|Δ| ${d.maxAbs.toExponential(2)} rel ${d.rel.toExponential(2)}`).join('; ')}`);
      for (const d of diffs) assert.ok(d.rel <= REL_TOL, `${d.n}: relative error ${d.rel} > ${REL_TOL}`);
    } finally {
      model.dispose();
    }
  }

  test('the legacy fixture has the official file layout', () => {
    const f = openHdf5(path.join(dir, 'legacy.h5'));
    const names = f.stringListAttr('layer_names')!;
    assert.deepEqual(names.slice(0, 3), ['input_1', 'conv2d_1', 'batch_normalization_1']);
    assert.deepEqual(f.group('input_1').stringListAttr('weight_names'), []);
    assert.deepEqual(f.dataset('conv2d_1/conv2d_1/kernel:0').shape, [3, 3, 3, 32]);
    assert.deepEqual(f.group('predictions').stringListAttr('weight_names'), ['predictions/kernel:0', 'predictions/bias:0']);
    // Keras 2.0 numbering maps by name; without the classifier, 'predictions' may be left over only on request.
    const wf = readKerasWeightsFile(f);
    assert.equal(mapKerasWeights(wf, inceptionV3WeightSpec({ naming: 'keras2' })).matchedBy, 'name');
    assert.throws(() => mapKerasWeights(wf, inceptionV3WeightSpec({ includeTop: false })), /does not have \(1\): predictions/);
    assert.equal(mapKerasWeights(wf, inceptionV3WeightSpec({ includeTop: false }), { ignoreFileLayers: ['predictions'] }).matchedBy, 'renumbered');
    const spec = inceptionV3WeightSpec();
    spec.find((l) => l.name === 'conv2d_7')!.weights[0]!.shape = [5, 5, 48, 65];
    spec.push({ name: 'conv2d_200', weights: [{ name: 'kernel', shape: [1, 1, 1, 1] }] });
    const e = (() => {
      try {
        mapKerasWeights(wf, spec);
      } catch (err) {
        return err;
      }
      return null;
    })();
    assert.ok(e instanceof FeatvisError);
    assert.match(e.message, /missing layers \(1\): conv2d_200\n/);
    assert.match(e.message, /mismatched weights \(1\): conv2d_7\/kernel: file \[5,5,48,64\] \(conv2d_8\/conv2d_8\/kernel:0\), expected \[5,5,48,65\]$/);
  });

  test('parity: legacy layout (official file structure, one-based names, reported as such) within 1e-5', () => parity('legacy.h5', 'renumbered', 'keras2'));

  test('parity: Keras 3 save_weights (.weights.h5) within 1e-5', () => parity('keras3.weights.h5', 'name', 'keras'));

  test('loader: layers, unknown layer, truncation, other input sizes, gradients', async () => {
    const model = await loadKerasH5Model(path.join(dir, 'legacy.h5'));
    try {
      assert.equal(model.labels?.length, 1000);
      assert.deepEqual(model.preprocess, { size: [299, 299], range: [-1, 1], channelOrder: 'RGB' });
      const byName = new Map(model.layers.map((l) => [l.name, l]));
      for (let i = 0; i <= 10; i++) assert.ok(byName.has(`mixed${i}`), `mixed${i}`);
      assert.deepEqual(byName.get('mixed6')!.shape, [17, 17, 768]);
      assert.deepEqual(byName.get('mixed10')!.shape, [8, 8, 2048]);
      assert.deepEqual(byName.get('conv2d_1')!.shape, [149, 149, 32]); // the legacy file's one-based names
      assert.ok(!byName.has('conv2d') && byName.has('conv2d_94') && byName.has('concatenate_2'));
      assert.deepEqual(byName.get('predictions')!.shape, [1000]);
      assert.ok(!byName.has('logits'), 'logits stay hidden from the layer list');
      const err = await rejectsFeatvis(() => tf.tidy(() => model.activations(tf.zeros([1, 75, 75, 3]) as Tensor4D, ['mixed66'])), /unknown layer 'mixed66'/);
      assert.match(err.message, /mixed6\b/);
      await rejectsFeatvis(() => tf.tidy(() => model.activations(tf.zeros([1, 74, 120, 3]) as Tensor4D, ['conv2d_1'])), /at least 75×75 pixels, got 74×120/);

      // Runs only as far as the deepest requested layer: 26 convolutions precede mixed2.
      const prof = await tf.profile(() => {
        const out = model.activations(tf.zeros([1, 75, 75, 3]) as Tensor4D, ['mixed2']);
        tf.dispose(Object.values(out));
      });
      assert.equal(prof.kernels.filter((k) => k.name === 'Conv2D').length, 26);

      // Smallest Keras size (75): fully convolutional down to 1×1, and differentiable.
      const g = tf.tidy(() => {
        const x = tf.randomUniform([1, 75, 75, 3], 0, 1, 'float32', 3) as Tensor4D;
        const out = model.activations(x, ['mixed10']);
        assert.deepEqual(out.mixed10!.shape, [1, 1, 1, 2048]);
        const grad = tf.grad((im) => tf.mean(model.activations(im as Tensor4D, ['mixed6']).mixed6!.slice([0, 0, 0, 5], [-1, -1, -1, 1])))(x);
        return [tf.sum(tf.abs(grad)).dataSync()[0]!, tf.all(tf.isFinite(grad)).dataSync()[0]!];
      });
      assert.ok(g[0]! > 0 && g[1] === 1, `gradient sum ${g[0]}, finite ${g[1]}`);
    } finally {
      model.dispose();
    }
  });

  test("TF.js model.json with Keras 3's topology (zero-based names) → featvis's builder, Keras's names, parity", async () => {
    const model = await loadModel(path.join(dir, 'keras3_tfjs'));
    try {
      assert.equal(model.constructor.name, 'GraphFeatModel', `notes: ${model.notes?.join('; ')}`);
      assert.deepEqual(model.layers.map((l) => l.name).sort(), meta.layers.filter((n) => n !== 'input_layer').sort());
      assert.deepEqual(model.preprocess, { size: [139, 139], range: [-1, 1], channelOrder: 'RGB' });
      assert.equal(model.suggestedLayer, 'mixed5');
      const names = ['mixed6', 'predictions'];
      const rels: number[] = [];
      tf.tidy(() => {
        const out = model.activations(tf.tensor4d(read('input'), meta.input) as Tensor4D, names);
        for (const n of names) {
          const ref = read(n);
          const got = out[n]!.dataSync();
          let d = 0;
          let m = 0;
          for (let i = 0; i < ref.length; i++) {
            d = Math.max(d, Math.abs(got[i]! - ref[i]!));
            m = Math.max(m, Math.abs(ref[i]!));
          }
          rels.push(d / m);
        }
      });
      console.log(`# keras3_tfjs/model.json (Keras 3 topology): ${names.map((n, i) => `${n} rel ${rels[i]!.toExponential(2)}`).join('; ')}`);
      for (const r of rels) assert.ok(r <= REL_TOL, `relative error ${r}`);
    } finally {
      model.dispose();
    }
  });

  test('full-model .h5 of a fine-tuned InceptionV3: its own head from the topology, trainable flags, parity', async () => {
    const model = await loadModel(path.join(dir, 'finetuned.h5'));
    try {
      assert.equal(model.constructor.name, 'GraphFeatModel');
      const ft = meta.finetuned;
      // Every layer but the input and the dropout (hidden, as in the TF.js listing) under the file's names.
      assert.deepEqual(model.layers.map((l) => l.name).sort(), ft.layers.filter((n) => n !== 'input_layer' && n !== 'drop').sort());
      assert.deepEqual(model.preprocess.size, [139, 139]); // from the model's InputLayer
      const byName = new Map(model.layers.map((l) => [l.name, l]));
      assert.deepEqual(byName.get('fc2')!.shape, [3]);
      assert.deepEqual(model.layers.filter((l) => l.trainable === false).map((l) => l.name).sort(), [...ft.frozen].sort());
      assert.equal(byName.get('fc1')!.trainable, true);
      const before = tf.memory().numTensors;
      const rels: Array<[string, number]> = [];
      tf.tidy(() => {
        const out = model.activations(tf.tensor4d(read('input'), meta.input) as Tensor4D, ['mixed5', 'fc1', 'fc2', 'drop']);
        assert.deepEqual(Array.from(out.drop!.dataSync()), Array.from(out.fc1!.dataSync()), 'dropout is the identity at inference');
        for (const n of ['mixed5', 'fc1', 'fc2']) {
          assert.deepEqual(out[n]!.shape, ft.shapes[n]);
          const ref = read(`ft_${n}`);
          const got = out[n]!.dataSync();
          let d = 0;
          let m = 0;
          for (let i = 0; i < ref.length; i++) {
            d = Math.max(d, Math.abs(got[i]! - ref[i]!));
            m = Math.max(m, Math.abs(ref[i]!));
          }
          rels.push([n, d / m]);
        }
      });
      assert.equal(tf.memory().numTensors, before, 'tensor leak');
      console.log(`# finetuned.h5 (model.save, custom head): ${rels.map(([n, r]) => `${n} rel ${r.toExponential(2)}`).join('; ')}`);
      for (const [n, r] of rels) assert.ok(r <= 1e-5, `${n}: relative error ${r}`);
    } finally {
      model.dispose();
    }
  });

  test('generic Keras .h5: full-model layout, clear mismatch errors', async () => {
    const wf = readKerasWeightsFile(path.join(dir, 'tiny_model.h5'));
    assert.equal(wf.layout, 'legacy-model');
    const spec = [
      { name: 'c1', weights: [{ name: 'kernel', shape: [3, 3, 3, 4] }, { name: 'bias', shape: [4] }] },
      {
        name: 'bn',
        weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((n) => ({ name: n, shape: [4] })),
      },
      { name: 'd', weights: [{ name: 'kernel', shape: [4, 2] }, { name: 'bias', shape: [2] }] },
    ];
    const w = mapKerasWeights(wf, spec);
    const k = w.get('c1', 'kernel');
    assert.equal(k.length, 3 * 3 * 3 * 4);
    meta.tiny.c1_kernel.forEach((v, i) => assert.ok(Math.abs(k[i]! - v) < 1e-7));
    assert.deepEqual([...w.get('bn', 'moving_variance')], meta.tiny.bn_moving_variance);

    const bad = [{ ...spec[0]!, weights: [{ name: 'kernel', shape: [3, 3, 3, 8] }, spec[0]!.weights[1]!] }, spec[2]!, { name: 'zz', weights: [{ name: 'kernel', shape: [1] }] }];
    const e = await rejectsFeatvis(() => mapKerasWeights(wf, bad), /does not fit the architecture/);
    assert.match(e.message, /missing layers \(1\): zz/);
    assert.match(e.message, /does not have \(1\): bn/);
    assert.match(e.message, /c1\/kernel: file \[3,3,3,4\] .*expected \[3,3,3,8\]/);

    await rejectsFeatvis(loadKerasH5Model(path.join(dir, 'tiny_model.h5')), /unrecognised Keras architecture/);
    await rejectsFeatvis(() => readKerasWeightsFile(path.join(dir, 'plain.h5')), /not a Keras weights file/);
  });

  test('truncated weight files → clear FeatvisError', async () => {
    const src = fs.readFileSync(path.join(dir, 'legacy.h5'));
    for (const keep of [40, 4096, Math.floor(src.length / 2), src.length - 1000]) {
      const p = path.join(dir, `cut-${keep}.h5`);
      fs.writeFileSync(p, src.subarray(0, keep));
      await rejectsFeatvis(loadModel(p), /not an HDF5 file|truncated|corrupt/);
      fs.rmSync(p);
    }
  });
});
