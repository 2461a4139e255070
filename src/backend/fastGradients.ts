/**
 * ReLU and ReLU6 gradients for every tf.relu / tf.relu6 in featvis (tfjs
 * LayersModels, Keras HDF5, InceptionV3, heads): TensorFlow's own gradient
 * kernels (nativeKernels.ts) instead of tfjs's step(), which tfjs-node builds
 * from full-size ones()/fill() tensors made on the JS side (it was two thirds
 * of the kernel time of an AM step on MobileNetV2; bench/roofline.ts).
 * Both are computed from the op's output, so the tape keeps no pre-activation.
 * Values at the kinks: Relu' = [x > 0] (as tfjs and TF), Relu6' = [0 < x < 6]
 * (as TensorFlow and PyTorch; tfjs's own passes x = 6 exactly as well).
 */
import { relu6Grad, reluGrad } from './nativeKernels.js';
import type { Tf, Tensor } from './tf.js';

let redirect = false;

/**
 * "Redirected" ReLU and ReLU6 gradients (as Lucid's redirected_relu_grad and
 * redirected_relu6_grad): while on, a ReLU whose ordinary gradient is zero for
 * a whole batch item passes the gradients that would push its inputs back into
 * the active range instead (negative inputs up; for ReLU6 also inputs at or
 * above 6 down), so a channel that is flat on the initial image still gets a
 * signal. Items with any ordinary gradient are untouched. render() turns it on
 * (reluRedirectSteps).
 */
export function setReluRedirect(on: boolean): void {
  redirect = on;
}

/**
 * `plain` where a batch item has any nonzero gradient; `redirected()` for the
 * items where `plain` is zero everywhere. Finding those items takes two
 * read-only reductions (max and min are both 0 exactly when every value is 0;
 * NaN propagates and counts as nonzero, as in Σ|plain| = 0); the redirected
 * gradient is only built when some item needs it.
 */
function redirectStuck(tf: Tf, plain: Tensor, redirected: () => Tensor): Tensor {
  if (!redirect || plain.rank < 2) return plain;
  const axes = Array.from({ length: plain.rank - 1 }, (_, i) => i + 1);
  const stuck = tf.logicalAnd(tf.equal(tf.max(plain, axes, true), 0), tf.equal(tf.min(plain, axes, true), 0));
  if (!stuck.dataSync().some((v) => v !== 0)) return plain;
  return tf.where(stuck, redirected(), plain);
}

export function installFastGradients(tf: Tf): void {
  tf.registerGradient({
    kernelName: 'Relu',
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved as Tensor[];
      const g = dy as Tensor;
      return {
        // Redirected: let through the gradients that would raise negative inputs (g < 0 when minimising).
        x: () => redirectStuck(tf, reluGrad(g, y!), () => tf.mul(g, tf.cast(tf.logicalOr(tf.greater(y!, 0), tf.less(g, 0)), 'float32'))),
      };
    },
  });
  tf.registerGradient({
    kernelName: 'Relu6',
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved as Tensor[];
      const g = dy as Tensor;
      return {
        x: () =>
          redirectStuck(tf, relu6Grad(g, y!), () => {
            // Gradient descent moves x by −lr·g: at or below 0 let through g < 0 (x rises), at or above 6 g > 0 (x falls).
            const inside = tf.logicalAnd(tf.greater(y!, 0), tf.less(y!, 6));
            const towards = tf.logicalOr(tf.logicalAnd(tf.lessEqual(y!, 0), tf.less(g, 0)), tf.logicalAnd(tf.greaterEqual(y!, 6), tf.greater(g, 0)));
            return tf.mul(g, tf.cast(tf.logicalOr(inside, towards), 'float32'));
          }),
      };
    },
  });
}
