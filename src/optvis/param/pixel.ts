/** Pixel parameterisation: one variable per pixel and channel, image = sigmoid(colour(x)). */
import { tf, type Tensor4D, type Variable } from '../../backend/tf.js';
import { batchNormal } from '../rng.js';
import { decorrelatedToRgb, toUnitRange } from './color.js';
import type { ImageParam, ParamOptions } from './types.js';

export function pixelParam(opts: ParamOptions): ImageParam {
  const { batch, height, width } = opts;
  const init = batchNormal(opts.seed, batch, height * width * 3, opts.initStd ?? 0.1);
  const initT = tf.tensor4d(init, [batch, height, width, 3]);
  const v: Variable = tf.variable(initT, true, undefined, 'float32');
  initT.dispose();
  return {
    kind: opts.decorrelate ? 'pixel+decorrelated' : 'pixel',
    batch,
    height,
    width,
    variables: [v],
    pixels: v,
    toImage: () => tf.tidy(() => toUnitRange(opts.decorrelate ? decorrelatedToRgb(v as unknown as Tensor4D) : (v as unknown as Tensor4D))),
    dispose: () => v.dispose(),
  };
}
