/** The default network's shape, as data (no TensorFlow: `featvis train --help` prints it). */
export interface ArchConfig {
  /** Output channels of the two stem convs. */
  stem: [number, number];
  /** Output channels of stage1..stage4. */
  widths: [number, number, number, number];
  /** Residual blocks per stage. */
  blocks: [number, number, number, number];
  /** Stride of the second stem conv (2 puts stage1 at 1/8 of the input... see below). */
  stemStride2: 1 | 2;
  /** Stride of the first block of stage1 (stages 2..4 always halve the size). */
  stage1Stride: 1 | 2;
  numClasses: number;
}

export const DEFAULT_ARCH: ArchConfig = {
  stem: [24, 32],
  widths: [64, 128, 256, 256],
  blocks: [1, 1, 1, 1],
  stemStride2: 1,
  stage1Stride: 2,
  numClasses: 10,
};

/** Layers that are worth visualising, shallow to deep. */
export const STAGE_NAMES = ['stem', 'stage1', 'stage2', 'stage3', 'stage4'] as const;
