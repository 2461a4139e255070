import type { Tensor4D, Variable } from '../../backend/tf.js';

/** An image parameterisation: trainable variables and a differentiable map to images. */
export interface ImageParam {
  readonly kind: string;
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly variables: Variable[];
  /** NHWC RGB in [0, 1]. Call inside tf.tidy / variableGrads. */
  toImage(): Tensor4D;
  /**
   * The pixel-space variable, when the parameterisation has one (`pixel`):
   * image = sigmoid(colour(pixels)). Step operators (decay, blur, clipping)
   * act on it. Null for spectral parameterisations.
   */
  readonly pixels: Variable | null;
  dispose(): void;
}

export interface ParamOptions {
  batch: number;
  height: number;
  width: number;
  /** Standard deviation of the initial noise (in the parameter's space). */
  initStd?: number;
  /** Decorrelate colours with ImageNet's colour correlation (Olah et al. 2017). */
  decorrelate?: boolean;
  /** One seed for the batch, or one per image (an image then does not depend on its batch-mates). */
  seed: number | readonly number[];
}
