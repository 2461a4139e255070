/**
 * A tiny convolutional network made in memory from a seed: tests of objectives,
 * parameterisations, transforms, regularisers and the render loop run with it
 * on any machine (no ../shared, no downloads), fast.
 *
 *   input 32×32 [-1,1] → conv1 3×3×8 + ReLU → conv2 3×3/2 ×16 + ReLU
 *   → conv3 3×3×16 + ReLU6 (`relu6`) → add(conv2, relu6) (`block`) → mean (`pool`) → dense 4 (`logits`)
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../../src/backend/tf.js';
import type { FeatModel } from '../../src/core/types.js';
import { GraphFeatModel, INPUT, type GraphNode } from '../../src/models/graph.js';
import { Rng } from '../../src/optvis/rng.js';

export function tinyModel(seed = 1): FeatModel {
  const rng = new Rng(seed);
  const owned: Tensor[] = [];
  const weights = (shape: number[], fanIn: number): Float32Array => rng.normalArray(shape.reduce((a, b) => a * b, 1), Math.sqrt(2 / fanIn));
  const conv = (name: string, input: string, cin: number, cout: number, stride: 1 | 2, act: 'relu' | 'relu6' | 'none'): GraphNode => {
    const k = tf.tensor4d(weights([3, 3, cin, cout], 9 * cin), [3, 3, cin, cout]);
    const b = tf.tensor1d(rng.normalArray(cout, 0.1));
    owned.push(k, b);
    return {
      name,
      inputs: [input],
      kind: 'conv2d',
      run: ([x]) =>
        tf.tidy(() => {
          const y = tf.add(tf.conv2d(x as Tensor4D, k, stride, 'same'), b);
          return act === 'relu' ? tf.relu(y) : act === 'relu6' ? tf.relu6(y) : y;
        }),
    };
  };
  const dense = tf.tensor2d(weights([16, 4], 16), [16, 4]);
  owned.push(dense);
  const nodes: GraphNode[] = [
    conv('conv1', INPUT, 3, 8, 1, 'relu'),
    conv('conv2', 'conv1', 8, 16, 2, 'relu'),
    conv('relu6', 'conv2', 16, 16, 1, 'relu6'),
    { name: 'block', inputs: ['conv2', 'relu6'], kind: 'add', run: ([a, b]) => tf.add(a!, b!) },
    { name: 'pool', inputs: ['block'], kind: 'global_average_pooling2d', run: ([x]) => tf.mean(x!, [1, 2]) },
    { name: 'logits', inputs: ['pool'], kind: 'dense', run: ([x]) => tf.matMul(x as Tensor2D, dense) },
  ];
  return new GraphFeatModel({
    name: `tiny-${seed}`,
    nodes,
    preprocess: { size: [32, 32], range: [-1, 1], channelOrder: 'RGB' },
    dispose: () => tf.dispose(owned),
  });
}
