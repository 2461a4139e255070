/**
 * The recipe of the shipped default model (data/featvis-imagenette), and a
 * tiny variant for tests. `featvis train` with no options reproduces the
 * shipped model (given the same data and teacher).
 */
import { DEFAULT_ARCH, type ArchConfig } from './archConfig.js';
import { DEFAULT_AUGMENT } from './augment.js';
import type { TrainConfig } from './trainer.js';

export const DEFAULT_MODEL_NAME = 'featvis-imagenette';
/** Side of the cached training images (random crops are cut from these). */
export const TRAIN_CACHE_SIZE = 144;
/** Input side of the exported model (and of evaluation: whole image resized). */
export const EVAL_SIZE = 128;

export const DEFAULT_RECIPE: TrainConfig = {
  seed: 1,
  epochs: 48,
  batchSize: 64,
  lr: 0.1,
  warmupEpochs: 1,
  momentum: 0.9,
  weightDecay: 5e-4,
  labelSmoothing: 0.1,
  sizes: [96, 112],
  augment: { ...DEFAULT_AUGMENT },
  arch: DEFAULT_ARCH,
  distill: { alpha: 0.5, temperature: 2 },
};

/**
 * A very small network for tests and smoke runs. (Not narrower: TF 2.21's oneDNN
 * conv backprop crashes the process on 4-channel convs, seen with stem [4, 8].)
 */
export const TINY_ARCH: ArchConfig = {
  stem: [8, 16],
  widths: [16, 16, 32, 32],
  blocks: [1, 1, 1, 1],
  stemStride2: 1,
  stage1Stride: 2,
  numClasses: 10,
};
