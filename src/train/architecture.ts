/**
 * The featvis default CNN: a small plain ResNet (conv-BN-ReLU basic blocks)
 * with named stages, built for feature visualisation.
 *
 *   input → stem (two 3×3 convs, /2) → stage1 (/4) → stage2 (/8) → stage3 (/16)
 *         → stage4 (/32) → pool (global average) → logits (dense)
 *
 * Each stage's output ReLU is named `stageN` (and `stem`), so objectives can
 * say `stage3:17`. Inner layers are `stageN_blockB_conv1` etc.
 */
import { tf, type LayersModel } from '../backend/tf.js';
import type { ArchConfig } from './archConfig.js';

type SymbolicTensor = ReturnType<typeof tf.input>;

export { DEFAULT_ARCH, STAGE_NAMES, type ArchConfig } from './archConfig.js';

/**
 * Builds the network. `inputSize` null gives a fully convolutional input
 * ([null, null, 3]), used for training at several resolutions.
 * Initialisers are seeded from `seed`, so the same seed gives the same weights.
 */
export function buildModel(cfg: ArchConfig, inputSize: number | null, seed: number): LayersModel {
  let s = seed >>> 0;
  const nextSeed = (): number => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s % 2147483647;
  };
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input' });

  const conv = (x: SymbolicTensor, filters: number, kernel: number, strides: number, name: string): SymbolicTensor =>
    tf.layers
      .conv2d({
        filters,
        kernelSize: kernel,
        strides,
        padding: 'same',
        useBias: false,
        kernelInitializer: tf.initializers.heNormal({ seed: nextSeed() }),
        name,
      })
      .apply(x) as SymbolicTensor;
  const bn = (x: SymbolicTensor, name: string, zeroGamma = false): SymbolicTensor =>
    tf.layers
      .batchNormalization({ momentum: 0.9, epsilon: 1e-5, gammaInitializer: zeroGamma ? 'zeros' : 'ones', name })
      .apply(x) as SymbolicTensor;
  const relu = (x: SymbolicTensor, name: string): SymbolicTensor => tf.layers.reLU({ name }).apply(x) as SymbolicTensor;

  let x = relu(bn(conv(input, cfg.stem[0], 3, 2, 'stem_conv1'), 'stem_bn1'), 'stem_relu1');
  x = relu(bn(conv(x, cfg.stem[1], 3, cfg.stemStride2, 'stem_conv2'), 'stem_bn2'), 'stem');
  let channels = cfg.stem[1];
  for (let st = 0; st < 4; st++) {
    const width = cfg.widths[st]!;
    const nBlocks = cfg.blocks[st]!;
    for (let b = 0; b < nBlocks; b++) {
      const p = `stage${st + 1}_block${b + 1}`;
      const stride = b > 0 ? 1 : st === 0 ? cfg.stage1Stride : 2;
      let y = relu(bn(conv(x, width, 3, stride, `${p}_conv1`), `${p}_bn1`), `${p}_relu1`);
      y = bn(conv(y, width, 3, 1, `${p}_conv2`), `${p}_bn2`, true);
      let shortcut = x;
      if (stride !== 1 || channels !== width) {
        shortcut = bn(conv(x, width, 1, stride, `${p}_proj`), `${p}_proj_bn`);
      }
      const sum = tf.layers.add({ name: `${p}_add` }).apply([y, shortcut]) as SymbolicTensor;
      x = relu(sum, b === nBlocks - 1 ? `stage${st + 1}` : p);
      channels = width;
    }
  }
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as SymbolicTensor;
  const logits = tf.layers
    .dense({
      units: cfg.numClasses,
      kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed() }),
      name: 'logits',
    })
    .apply(pooled) as SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: 'featvis_imagenette' });
}

/** Number of float32 parameters (trainable and BN statistics). */
export function countParams(model: LayersModel): number {
  return model.weights.reduce((acc, w) => acc + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

/** Multiply-accumulates of one forward pass at `size`×`size` (convs and dense only). */
export function forwardMacs(cfg: ArchConfig, size: number): number {
  let macs = 0;
  let hw = Math.ceil(size / 2);
  macs += hw * hw * 27 * cfg.stem[0];
  hw = Math.ceil(hw / cfg.stemStride2);
  macs += hw * hw * 9 * cfg.stem[0] * cfg.stem[1];
  let c = cfg.stem[1];
  for (let st = 0; st < 4; st++) {
    const w = cfg.widths[st]!;
    hw = Math.ceil(hw / (st === 0 ? cfg.stage1Stride : 2));
    for (let b = 0; b < cfg.blocks[st]!; b++) {
      macs += hw * hw * 9 * c * w + hw * hw * 9 * w * w;
      if (b === 0) macs += hw * hw * c * w;
      c = w;
    }
  }
  return macs + c * cfg.numClasses;
}
