/**
 * FeatModel: what every importer produces and every other stage consumes.
 *
 * Images enter as NHWC float32 RGB in [0, 1]; the model applies its own
 * preprocessing (size is the caller's business, range / channel order / mean /
 * std are the model's), differentiably, so parameterisations and transforms
 * never need to know which network they feed.
 */
import type { Tensor, Tensor4D } from '../backend/tf.js';

export interface LayerInfo {
  /** Name used in objectives, e.g. `mixed6`, `block_7_add`. */
  name: string;
  /** Output shape without the batch dimension, for the model's default input size: [H, W, C] or [C]. */
  shape: number[];
  /** Operation kind (conv2d, add, concat, dense…), informative. */
  kind: string;
  /**
   * The `trainable` flag the model file gives this layer's weights, when it
   * gives one (layers with weights only). `false`: frozen during the file's
   * last training (e.g. kept from a pretrained network while the rest was fine-tuned).
   */
  trainable?: boolean;
}

export interface Preprocess {
  /** Default input size [height, width]. Fully convolutional layers accept others. */
  size: [number, number];
  /** Pixel range the network expects, e.g. [-1, 1] or [0, 255]. */
  range: [number, number];
  channelOrder: 'RGB' | 'BGR';
  /** Per-channel mean subtracted after scaling to `range` (in the network's channel order). */
  mean?: [number, number, number];
  /** Per-channel std divided after mean subtraction. */
  std?: [number, number, number];
}

export interface FeatModel {
  readonly name: string;
  /**
   * sha256 (16 hex) of the weight bytes, when the loader read them. Resumable
   * jobs key on it (see fingerprint.ts) so new weights never resume old results.
   */
  readonly fingerprint?: string;
  readonly layers: readonly LayerInfo[];
  readonly preprocess: Preprocess;
  readonly labels?: readonly string[];
  /** A layer worth visualising first (used when the user names none). */
  readonly suggestedLayer?: string;
  /** What users should know about this model's source (e.g. preprocessing that is a guess), one line each. */
  readonly notes?: readonly string[];
  /**
   * Runs the network on `images` (NHWC, RGB, [0, 1]) only as far as the deepest
   * requested layer and returns those layers' outputs. Differentiable.
   * The caller owns the returned tensors (use inside tf.tidy).
   */
  activations(images: Tensor4D, layerNames: readonly string[]): Record<string, Tensor>;
  dispose(): void;
}
