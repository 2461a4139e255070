import { tf, type Tensor4D } from '../backend/tf.js';
import type { Preprocess } from '../core/types.js';

/** Maps RGB images in [0, 1] to what the network expects (differentiable). */
export function applyPreprocess(images: Tensor4D, p: Preprocess): Tensor4D {
  return tf.tidy(() => {
    let x: Tensor4D = images;
    if (p.channelOrder === 'BGR') x = tf.reverse(x, 3);
    const [lo, hi] = p.range;
    if (lo !== 0 || hi !== 1) x = tf.add(tf.mul(x, hi - lo), lo);
    if (p.mean) x = tf.sub(x, tf.tensor1d(p.mean));
    if (p.std) x = tf.div(x, tf.tensor1d(p.std));
    return x;
  });
}
