/**
 * Colour decorrelation (Olah et al., "Feature Visualization", 2017): the
 * parameter lives in a decorrelated colour space; the image is obtained with
 * the square root of ImageNet's RGB colour covariance, normalised by its
 * largest column norm, then squashed to [0, 1] with a sigmoid.
 */
import { tf, type Tensor4D } from '../../backend/tf.js';

// Square root of the RGB covariance of ImageNet pixels (published constants).
const COLOR_CORRELATION_SVD_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];

const maxNorm = Math.max(...[0, 1, 2].map((j) => Math.hypot(...COLOR_CORRELATION_SVD_SQRT.map((r) => r[j]!))));

/** x (NHWC, decorrelated space) → NHWC in RGB space (pre-sigmoid). */
export function decorrelatedToRgb(x: Tensor4D): Tensor4D {
  return tf.tidy(() => {
    const m = tf.tensor2d(COLOR_CORRELATION_SVD_SQRT.flat().map((v) => v / maxNorm), [3, 3]);
    const [n, h, w] = x.shape;
    // rgb = x · Mᵀ  (each pixel's 3-vector multiplied by the matrix)
    return tf.reshape(tf.matMul(tf.reshape(x, [n * h * w, 3]), m, false, true), [n, h, w, 3]) as Tensor4D;
  });
}

/** Pre-sigmoid RGB → image in [0, 1]. */
export function toUnitRange(x: Tensor4D): Tensor4D {
  return tf.sigmoid(x);
}
