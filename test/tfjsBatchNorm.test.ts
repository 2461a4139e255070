/**
 * Gradients through BatchNormalization layers without gamma (`scale=False`) or
 * beta (`center=False`) in a TF.js LayersModel. tfjs-core's batchNorm gradient
 * needs gamma, so such models crashed on the first AM step; featvis completes
 * those layers at load time (src/models/tfjsBatchNorm.ts).
 *
 * The reference Python (.venv Keras) builds Conv2D → BatchNormalization → ReLU
 * models with random, non-trivial moving statistics, writes them as a TF.js
 * model.json (Keras 2 layer format, float32 shard) and computes the forward
 * output and the input gradient of a channel objective with tf.GradientTape.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tf, type Tensor4D } from '../src/backend/tf.js';
import { loadModel } from '../src/models/load.js';
import { completeBatchNorm } from '../src/models/tfjsBatchNorm.js';
import { readTfjsArtifacts } from '../src/models/tfjsFiles.js';
import { channels } from '../src/optvis/objectives.js';
import { createParam } from '../src/optvis/param/index.js';
import { render } from '../src/optvis/render.js';
import { runPython, skipWithoutPython } from './helpers/python.js';

const N = 2;
const S = 16;

const FIXTURE_PY = `
import json, os, sys
import numpy as np
import keras
import tensorflow as tf
out = sys.argv[1]
N, S = ${N}, ${S}
rng = np.random.default_rng(20240611)
f32 = lambda a: np.asarray(a, dtype=np.float32)

def build(kind):
    inp = keras.Input((S, S, 3), name='input_1')
    x = keras.layers.Conv2D(8, 3, padding='same', use_bias=False, name='conv_a')(inp)
    x = keras.layers.BatchNormalization(name='bn_a', **({'scale': False} if kind == 'noscale' else {'center': False}))(x)
    x = keras.layers.ReLU(name='relu_a')(x)
    x = keras.layers.Conv2D(6, 3, strides=2, padding='valid', use_bias=True, name='conv_b')(x)
    x = keras.layers.BatchNormalization(name='bn_b', scale=False, center=False, epsilon=1e-2)(x)
    x = keras.layers.Activation('relu', name='relu_b')(x)
    m = keras.Model(inp, x, name=kind)
    for l in m.layers:
        ws = l.get_weights()
        if isinstance(l, keras.layers.Conv2D):
            k = ws[0]
            new = [f32(rng.normal(0, np.sqrt(2.0 / np.prod(k.shape[:3])), k.shape))] + [f32(rng.normal(0, 0.2, w.shape)) for w in ws[1:]]
            l.set_weights(new)
        elif isinstance(l, keras.layers.BatchNormalization):
            new = []
            for v in l.weights:
                n = v.path.split('/')[-1]
                c = v.shape
                new.append({'gamma': f32(rng.uniform(0.5, 2.0, c)), 'beta': f32(rng.normal(0, 0.5, c)),
                            'moving_mean': f32(rng.normal(0, 0.5, c)), 'moving_variance': f32(rng.uniform(0.2, 3.0, c))}[n])
            l.set_weights(new)
    return m

def tfjs_layer(l, inbound):
    cls = type(l).__name__
    c = l.get_config()
    cfg = {'name': l.name, 'trainable': True}
    if cls == 'InputLayer':
        cfg.update(batch_input_shape=[None, S, S, 3], dtype='float32', sparse=False)
    elif cls == 'Conv2D':
        cfg.update(filters=c['filters'], kernel_size=list(c['kernel_size']), strides=list(c['strides']), padding=c['padding'],
                   data_format='channels_last', dilation_rate=list(c['dilation_rate']), activation=c['activation'], use_bias=c['use_bias'])
    elif cls == 'BatchNormalization':
        cfg.update(axis=c['axis'], momentum=c['momentum'], epsilon=c['epsilon'], center=c['center'], scale=c['scale'])
    elif cls == 'ReLU':
        cfg.update(max_value=None, negative_slope=0.0, threshold=0.0)
    elif cls == 'Activation':
        cfg.update(activation=c['activation'])
    else:
        raise ValueError(cls)
    return {'name': l.name, 'class_name': cls, 'config': cfg, 'inbound_nodes': [[[inbound, 0, 0, {}]]] if inbound else []}

meta = {}
x = f32(rng.uniform(0, 1, (N, S, S, 3)))
x.tofile(os.path.join(out, 'input.bin'))
for kind in ['noscale', 'nocenter']:
    m = build(kind)
    d = os.path.join(out, kind)
    os.makedirs(d)
    layers, prev = [], None
    for l in m.layers:
        layers.append(tfjs_layer(l, prev))
        prev = l.name
    topology = {'class_name': 'Model', 'keras_version': '2.2.4', 'backend': 'tensorflow',
                'config': {'name': kind, 'layers': layers, 'input_layers': [['input_1', 0, 0]], 'output_layers': [[prev, 0, 0]]}}
    specs, blobs = [], []
    for l in m.layers:
        for v in l.weights:
            a = f32(keras.ops.convert_to_numpy(v))
            specs.append({'name': f"{l.name}/{v.path.split('/')[-1]}", 'shape': list(a.shape), 'dtype': 'float32'})
            blobs.append(a.tobytes())
    with open(os.path.join(d, 'group1-shard1of1.bin'), 'wb') as f:
        f.write(b''.join(blobs))
    with open(os.path.join(d, 'model.json'), 'w') as f:
        json.dump({'format': 'layers-model', 'modelTopology': topology,
                   'weightsManifest': [{'paths': ['group1-shard1of1.bin'], 'weights': specs}]}, f)
    with open(os.path.join(d, 'featvis.json'), 'w') as f:
        json.dump({'name': kind, 'preprocess': {'size': [S, S], 'range': [0, 1]}}, f)
    xt = tf.constant(x)
    # The most active channel on this input (a dead channel has a zero gradient: nothing to compare).
    CH = int(np.argmax(np.mean(np.asarray(m(xt, training=False)), axis=(0, 1, 2))))
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = m(xt, training=False)
        obj = tf.reduce_sum(tf.reduce_mean(y[..., CH], axis=[1, 2]))
    g = tape.gradient(obj, xt)
    f32(y).tofile(os.path.join(d, 'output.bin'))
    f32(g).tofile(os.path.join(d, 'grad.bin'))
    meta[kind] = {'output': list(y.shape), 'channel': CH, 'bn': [[l.name, l.get_config()['scale'], l.get_config()['center']] for l in m.layers if type(l).__name__ == 'BatchNormalization']}
print(json.dumps(meta))
`;

interface Meta {
  [kind: string]: { output: number[]; channel: number; bn: Array<[string, boolean, boolean]> };
}

const TOL = 1e-5;

function readF32(file: string): Float32Array {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length);
  let d = 0;
  let m = 0;
  for (let i = 0; i < want.length; i++) {
    d = Math.max(d, Math.abs(got[i]! - want[i]!));
    m = Math.max(m, Math.abs(want[i]!));
  }
  assert.ok(m > 0, 'reference is all zeros');
  return d / m;
}

describe('TF.js LayersModel: gradients through BatchNormalization with scale=False / center=False', { skip: skipWithoutPython() }, () => {
  let dir = '';
  let meta: Meta;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-bn-'));
    meta = JSON.parse(runPython(FIXTURE_PY, [dir], 240_000).trim().split('\n').pop()!) as Meta;
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const kind of ['noscale', 'nocenter']) {
    test(`${kind}: layers completed, forward and input gradient match TensorFlow, AM raises the activation`, async () => {
      const modelDir = path.join(dir, kind);
      // The fixture has the layers the test is about.
      assert.deepEqual(meta[kind]!.bn, [kind === 'noscale' ? ['bn_a', false, true] : ['bn_a', true, false], ['bn_b', false, false]]);
      const fix = completeBatchNorm(await readTfjsArtifacts(modelDir));
      assert.deepEqual(fix.layers, ['bn_a', 'bn_b']);
      assert.deepEqual(
        fix.artifacts.weightSpecs!.filter((s) => /\/(gamma|beta)$/.test(s.name)).map((s) => s.name).sort(),
        ['bn_a/beta', 'bn_a/gamma', 'bn_b/beta', 'bn_b/gamma'],
      );

      const before = tf.memory().numTensors;
      const model = await loadModel(modelDir);
      try {
        assert.equal(model.constructor.name, 'LayersFeatModel');
        const ch = meta[kind]!.channel;
        const x = tf.tensor4d(readF32(path.join(dir, 'input.bin')), [N, S, S, 3]) as Tensor4D;
        const [outErr, gradErr] = tf.tidy(() => {
          const y = model.activations(x, ['relu_b']).relu_b!;
          assert.deepEqual(y.shape, meta[kind]!.output);
          const g = tf.grad((im) => tf.sum(tf.mean(model.activations(im as Tensor4D, ['relu_b']).relu_b!.slice([0, 0, 0, ch], [-1, -1, -1, 1]), [1, 2, 3])))(x);
          return [relError(y.dataSync(), readF32(path.join(modelDir, 'output.bin'))), relError(g.dataSync(), readF32(path.join(modelDir, 'grad.bin')))];
        });
        x.dispose();
        console.log(`# ${kind}: forward rel. error ${outErr!.toExponential(2)}, input-gradient rel. error ${gradErr!.toExponential(2)} (vs tf.GradientTape)`);
        assert.ok(outErr! < TOL, `forward relative error ${outErr}`);
        assert.ok(gradErr! < TOL, `gradient relative error ${gradErr}`);

        // A few AM steps: the channel's activation rises from the initial image.
        const param = createParam('pixel', { batch: 2, height: S, width: S, seed: 3 });
        const res = await render(model, channels('relu_b', [ch, ch]), param, { steps: 12, learningRate: 0.05, reportEvery: 1 });
        const first = res.history[0]!.scores;
        console.log(`# ${kind}: AM scores ${first.map((v) => v.toFixed(3)).join(', ')} → ${res.activations.map((v) => v.toFixed(3)).join(', ')}`);
        res.activations.forEach((a, i) => assert.ok(a > first[i]! + 1e-3, `image ${i}: ${first[i]} → ${a}`));
        tf.dispose([res.images, ...res.snapshots.map((s) => s.images)]);
        param.dispose();
      } finally {
        model.dispose();
      }
      assert.ok(tf.memory().numTensors <= before, `tensor leak: ${tf.memory().numTensors - before}`);
    });
  }
});
