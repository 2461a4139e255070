/**
 * Suggested layers (src/models/defaults.ts): a block output about 60 % deep,
 * never a BatchNorm or an inner convolution, on the embedded model, the shared
 * real models and nsfwjs's InceptionV3.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { LayerInfo } from '../src/core/types.js';
import { candidateLayers, defaultLayer, structuralLayer } from '../src/models/defaults.js';
import { spreadLayers } from '../src/notebook/model.js';
import { loadModel } from '../src/models/load.js';
import { sharedDir, skipWithoutShared } from './helpers/python.js';
import { skipWithoutNsfwjs } from './helpers/nsfwjs.js';

const BAD_KIND = /batch_?norm|^conv2d$|^Conv2D$|DepthwiseConv2D|depthwise/;

function layer(name: string, kind: string, shape = [14, 14, 64]): LayerInfo {
  return { name, kind, shape };
}

test('structural guess on synthetic layer lists: named blocks, then joins, then activations; never BN / conv', () => {
  const chain = Array.from({ length: 10 }, (_, i) => [layer(`conv_${i}`, 'Conv2D'), layer(`bn_${i}`, 'BatchNormalization'), layer(`relu_${i}`, 'ReLU')]).flat();
  assert.equal(structuralLayer(chain), 'relu_5'); // 60 % of indices 0…29 = 17.4: relu_5 is index 17
  const withJoins = [...chain.slice(0, 12), layer('add_a', 'Add'), ...chain.slice(12, 24), layer('add_b', 'Add'), ...chain.slice(24)];
  assert.equal(structuralLayer(withJoins), 'add_b');
  const withBlocks = [...withJoins.slice(0, 5), layer('stage1', 'ReLU'), ...withJoins.slice(5, 20), layer('stage2', 'ReLU'), ...withJoins.slice(20)];
  assert.equal(structuralLayer(withBlocks), 'stage2');
  // Inner, auto-named joins rank below named block outputs; flattened or tiny layers are never picked.
  const inception = [layer('mixed0', 'concatenate'), layer('concatenate', 'concatenate'), layer('mixed9_0', 'concatenate'), layer('mixed1', 'concatenate'), layer('avg_pool', 'global_average_pooling2d', [2048])];
  assert.equal(structuralLayer(inception), 'mixed1');
  assert.equal(structuralLayer([layer('d', 'Dense', [10]), layer('bn', 'BatchNormalization')]), null);
  // The model's own hint wins.
  assert.equal(defaultLayer({ name: 'm', layers: withBlocks, suggestedLayer: 'relu_2' } as never), 'relu_2');
  assert.equal(defaultLayer({ name: 'm', layers: withBlocks } as never), 'stage2');
});

test('a layer survey (DeepDream across layers, notebook 01) walks block outputs only, the study layer among them', () => {
  // InceptionV3-like: mixed0…mixed10 between inner convs, BNs and ReLUs
  const net = Array.from({ length: 11 }, (_, b) => [
    ...Array.from({ length: 6 }, (_, i) => [layer(`conv2d_${b * 6 + i}`, 'conv2d'), layer(`batch_normalization_${b * 6 + i}`, 'batch_normalization'), layer(`activation_${b * 6 + i}`, 'activation')]).flat(),
    layer(`mixed${b}`, 'concatenate', [b < 9 ? 17 : 8, b < 9 ? 17 : 8, 768]),
  ]).flat();
  assert.deepEqual(candidateLayers(net), Array.from({ length: 11 }, (_, b) => `mixed${b}`));
  const picks = spreadLayers({ name: 'inception-like', layers: net } as never, 4, 'mixed6');
  assert.equal(picks.length, 4);
  assert.ok(picks.every((p) => /^mixed\d+$/.test(p)), `only block outputs: ${picks.join(', ')}`);
  assert.ok(picks.includes('mixed6'));
  // a study layer that is not a block output is still dreamed with
  assert.ok(spreadLayers({ name: 'inception-like', layers: net } as never, 4, 'activation_40').includes('activation_40'));
});

test('embedded model: its sidecar hint (stage3); the structural guess is a stage too', async () => {
  const m = await loadModel('featvis-imagenette');
  try {
    assert.equal(defaultLayer(m), 'stage3');
    assert.match(structuralLayer(m.layers)!, /^stage\d$/);
  } finally {
    m.dispose();
  }
});

test('shared real models: a block output or activation ~60 % deep, never BN or an inner conv', { skip: skipWithoutShared() }, async () => {
  const cases: Array<[string, RegExp]> = [
    ['coral_mobilenet_v2_1.0_224_quant/mobilenet_v2_1.0_224_quant.tflite', /^MobilenetV2\/expanded_conv_\d+\/add$/],
    ['coral_mobilenet_v1_1.0_224_quant/mobilenet_v1_1.0_224_quant_embedding_extractor.tflite', /Conv2d_\d+_pointwise\/Relu6$/],
    ['tfjs_mobilenet_v1_0.25_224', /^conv_pw_\d+_relu$/],
    ['tfjs_darknet_tiny', /^leaky_re_lu_\d+$/],
    ['tfjs_squeezenet1.1_features_caffe', /^fire\d+\/concat$/],
  ];
  for (const [rel, pattern] of cases) {
    const m = await loadModel(path.join(sharedDir, 'models', rel));
    try {
      const name = defaultLayer(m);
      const i = m.layers.findIndex((l) => l.name === name);
      const info = m.layers[i]!;
      console.log(`# ${rel}: ${name} (${info.kind} ${info.shape.join('×')}, ${Math.round((100 * i) / (m.layers.length - 1))} % deep)`);
      assert.match(name, pattern, rel);
      assert.ok(!/batch_?norm/i.test(info.kind), `${rel}: ${name} is a ${info.kind}`);
      if (BAD_KIND.test(info.kind)) assert.match(name, /Relu6?$/, `${rel}: a convolution is suggested only where TFLite fused its activation`);
      assert.ok(i / (m.layers.length - 1) > 0.4 && i / (m.layers.length - 1) < 0.8, `${rel}: ${i}/${m.layers.length}`);
    } finally {
      m.dispose();
    }
  }
});

test('nsfwjs:inception_v3: hint mixed5; the structural guess is a mixed block as well', { skip: skipWithoutNsfwjs() }, async () => {
  const m = await loadModel('nsfwjs:inception_v3');
  try {
    assert.equal(defaultLayer(m), 'mixed5');
    assert.match(structuralLayer(m.layers)!, /^mixed\d+$/);
  } finally {
    m.dispose();
  }
});
