/**
 * Same gradients as tfjs's own for Relu and Relu6, computed with one native
 * comparison per mask instead of tfjs's step(), which tfjs-node builds from
 * full-size ones()/fill() tensors made on the JS side (it was two thirds of
 * the kernel time of an AM step on MobileNetV2; bench/roofline.ts).
 * Values at the kinks follow tfjs: Relu' = [x > 0], Relu6' = [0 < x ≤ 6].
 */
import type { Tf, Tensor } from './tf.js';

export function installFastGradients(tf: Tf): void {
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as Tensor[];
      return { x: () => tf.mul(dy as Tensor, tf.cast(tf.greater(x!, 0), 'float32')) };
    },
  });
  tf.registerGradient({
    kernelName: 'Relu6',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as Tensor[];
      return { x: () => tf.mul(dy as Tensor, tf.cast(tf.logicalAnd(tf.greater(x!, 0), tf.lessEqual(x!, 6)), 'float32')) };
    },
  });
}
