/**
 * Same gradients as tfjs's own for Relu and Relu6, computed with one native
 * comparison per mask instead of tfjs's step(), which tfjs-node builds from
 * full-size ones()/fill() tensors made on the JS side (it was two thirds of
 * the kernel time of an AM step on MobileNetV2; bench/roofline.ts).
 * Values at the kinks follow tfjs: Relu' = [x > 0], Relu6' = [0 < x ≤ 6].
 */
import type { Tf, Tensor } from './tf.js';

let redirect = false;

/**
 * "Redirected" ReLU and ReLU6 gradients (as Lucid's redirected_relu_grad and
 * redirected_relu6_grad): while on, a ReLU whose ordinary gradient is zero for
 * a whole batch item passes the gradients that would push its inputs back into
 * the active range instead (negative inputs up; for ReLU6 also inputs above 6
 * down), so a channel that is flat on the initial image still gets a signal.
 * Items with any ordinary gradient are untouched. render() turns it on
 * (reluRedirectSteps).
 */
export function setReluRedirect(on: boolean): void {
  redirect = on;
}

export function installFastGradients(tf: Tf): void {
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as Tensor[];
      const g = dy as Tensor;
      return {
        x: () => {
          const plain = tf.mul(g, tf.cast(tf.greater(x!, 0), 'float32'));
          if (!redirect || x!.rank < 2) return plain;
          // Per batch item: if the plain gradient is zero everywhere, let through
          // the gradients that would raise negative inputs (dy < 0 when minimising).
          const axes = Array.from({ length: x!.rank - 1 }, (_, i) => i + 1);
          const stuck = tf.equal(tf.sum(tf.abs(plain), axes, true), 0);
          const redirected = tf.mul(g, tf.cast(tf.logicalOr(tf.greater(x!, 0), tf.less(g, 0)), 'float32'));
          return tf.where(stuck, redirected, plain);
        },
      };
    },
  });
  tf.registerGradient({
    kernelName: 'Relu6',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as Tensor[];
      const g = dy as Tensor;
      return {
        x: () => {
          const plain = tf.mul(g, tf.cast(tf.logicalAnd(tf.greater(x!, 0), tf.lessEqual(x!, 6)), 'float32'));
          if (!redirect || x!.rank < 2) return plain;
          const axes = Array.from({ length: x!.rank - 1 }, (_, i) => i + 1);
          const stuck = tf.equal(tf.sum(tf.abs(plain), axes, true), 0);
          // Gradient descent moves x by −lr·g: below 0 let through g < 0 (x rises), above 6 g > 0 (x falls).
          const towards = tf.logicalOr(tf.logicalAnd(tf.lessEqual(x!, 0), tf.less(g, 0)), tf.logicalAnd(tf.greater(x!, 6), tf.greater(g, 0)));
          const redirected = tf.mul(g, tf.cast(tf.logicalOr(tf.logicalAnd(tf.greater(x!, 0), tf.lessEqual(x!, 6)), towards), 'float32'));
          return tf.where(stuck, redirected, plain);
        },
      };
    },
  });
}
