import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { tf, type Tensor4D } from '../src/backend/tf.js';
import { readImageBatch } from '../src/data/image.js';
import { loadModel } from '../src/models/load.js';
import { sharedDir, skipWithoutShared } from './helpers/python.js';

const skip = skipWithoutShared();

test('TF.js LayersModel (MobileNetV1 0.25) classifies the sample photos and truncates at the requested layer', { skip }, async () => {
  const m = await loadModel(path.join(sharedDir, 'models', 'tfjs_mobilenet_v1_0.25_224'));
  assert.equal(m.name, 'tfjs_mobilenet_v1_0.25_224');
  const files = ['parrot.jpg', 'hot_dog.jpg'].map((f) => path.join(sharedDir, 'images', 'coral_samples', f));
  const x = await readImageBatch(files, [224, 224], 'cover');
  const last = m.layers.at(-1)!.name;
  const out = m.activations(x, [last]);
  const top = (tf.argMax(tf.reshape(out[last]!, [2, -1]), 1).arraySync() as number[]);
  assert.deepEqual(top, [88, 934]); // macaw, hotdog (1000-class indexing)
  const early = m.activations(x, ['conv_pw_3_relu']);
  assert.deepEqual(early['conv_pw_3_relu']!.shape, [2, 56, 56, 32]);
  tf.dispose([x, ...Object.values(out), ...Object.values(early)]);
  m.dispose();
});

/** A hand-written GraphModel: conv 3×3 (4 filters) + bias + relu, then a mean. */
function writeGraphModel(dir: string): { kernel: Float32Array; bias: Float32Array } {
  const kernel = Float32Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.sin(i) * 0.5);
  const bias = Float32Array.from([0.1, -0.2, 0.05, 0]);
  const node = (name: string, op: string, input: string[], attr: Record<string, unknown> = {}) => ({ name, op, input, attr });
  const topology = {
    node: [
      node('input', 'Placeholder', [], { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '16' }, { size: '16' }, { size: '3' }] } } }),
      node('kernel', 'Const', [], { dtype: { type: 'DT_FLOAT' } }),
      node('bias', 'Const', [], { dtype: { type: 'DT_FLOAT' } }),
      node('axes', 'Const', [], { dtype: { type: 'DT_INT32' } }),
      node('conv', 'Conv2D', ['input', 'kernel'], {
        T: { type: 'DT_FLOAT' }, padding: { s: Buffer.from('SAME').toString('base64') }, strides: { list: { i: ['1', '1', '1', '1'] } },
        data_format: { s: Buffer.from('NHWC').toString('base64') }, dilations: { list: { i: ['1', '1', '1', '1'] } },
      }),
      node('biased', 'BiasAdd', ['conv', 'bias'], { T: { type: 'DT_FLOAT' } }),
      node('relu', 'Relu', ['biased'], { T: { type: 'DT_FLOAT' } }),
      node('pooled', 'Mean', ['relu', 'axes'], { keep_dims: { b: false }, T: { type: 'DT_FLOAT' } }),
    ],
    versions: { producer: 1 },
  };
  const weights = [
    { name: 'kernel', shape: [3, 3, 3, 4], dtype: 'float32' },
    { name: 'bias', shape: [4], dtype: 'float32' },
    { name: 'axes', shape: [2], dtype: 'int32' },
  ];
  const buf = Buffer.concat([Buffer.from(kernel.buffer), Buffer.from(bias.buffer), Buffer.from(Int32Array.from([1, 2]).buffer)]);
  fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), buf);
  fs.writeFileSync(
    path.join(dir, 'model.json'),
    JSON.stringify({ format: 'graph-model', modelTopology: topology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights }] }),
  );
  fs.writeFileSync(path.join(dir, 'featvis.json'), JSON.stringify({ name: 'tiny-graph', preprocess: { size: [16, 16], range: [0, 1] } }));
  return { kernel, bias };
}

test('TF.js GraphModel: layers listed, activations equal a direct computation, gradients flow', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-graph-'));
  const { kernel, bias } = writeGraphModel(dir);
  const m = await loadModel(dir);
  assert.equal(m.name, 'tiny-graph');
  assert.deepEqual(m.layers.find((l) => l.name === 'relu')?.shape, [16, 16, 4]);
  const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 3) as Tensor4D;
  const got = m.activations(x, ['relu'])['relu']!;
  const want = tf.relu(tf.add(tf.conv2d(x, tf.tensor4d(kernel, [3, 3, 3, 4]), 1, 'same'), tf.tensor1d(bias)));
  assert.ok(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]! < 1e-5);
  const g = tf.grad((t) => tf.mean(m.activations(t as Tensor4D, ['pooled'])['pooled']!))(x);
  assert.ok(tf.sum(tf.abs(g)).dataSync()[0]! > 0);
  m.dispose();
});

test('broken TF.js models fail with clear errors', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-graph-'));
  writeGraphModel(dir);
  const shard = path.join(dir, 'group1-shard1of1.bin');
  fs.writeFileSync(shard, fs.readFileSync(shard).subarray(0, 40));
  await assert.rejects(loadModel(dir), /truncated/);
  const j = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
  j.weightsManifest[0]!.paths = ['../../etc/passwd'];
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(j));
  await assert.rejects(loadModel(dir), /escapes the model folder/);
  fs.writeFileSync(path.join(dir, 'model.json'), '{"not": "a model"');
  await assert.rejects(loadModel(dir), /not valid JSON/);
});
