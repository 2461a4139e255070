/**
 * Fourier parameterisation with 1/f scaling (Mordvintsev et al., 2018): the
 * variables are the real and imaginary parts of a half spectrum per image and
 * channel, scaled so every frequency band starts with similar energy; the image
 * is the real inverse DFT (dft.ts: matrix products, differentiable everywhere):
 *
 *   x[h,w] = Σ_u Σ_v s(u,v) (A[u,v] cos θ − B[u,v] sin θ),  θ = 2π(uh/H + vw/W)
 */
import { tf, type Tensor3D, type Tensor4D, type Variable } from '../../backend/tf.js';
import { createDft2, twinWeights } from '../../data/dft.js';
import { batchNormal } from '../rng.js';
import { decorrelatedToRgb, toUnitRange } from './color.js';
import type { ImageParam, ParamOptions } from './types.js';

export interface FftOptions extends ParamOptions {
  /** Exponent of the 1/f scaling (1 = pink noise prior). */
  decayPower?: number;
}

export function fftParam(opts: FftOptions): ImageParam {
  const { batch, height: H, width: W } = opts;
  const Wf = Math.floor(W / 2) + 1;
  const decay = opts.decayPower ?? 1;
  const std = opts.initStd ?? 0.01;
  const shape: [number, number, number, number] = [batch, 3, H, Wf];
  // Real and imaginary parts drawn together per image: [re | im] per item.
  const both = batchNormal(opts.seed, batch, 2 * 3 * H * Wf, std);
  const per = 3 * H * Wf;
  const reArr = new Float32Array(batch * per);
  const imArr = new Float32Array(batch * per);
  for (let b = 0; b < batch; b++) {
    reArr.set(both.subarray(2 * b * per, (2 * b + 1) * per), b * per);
    imArr.set(both.subarray((2 * b + 1) * per, (2 * b + 2) * per), b * per);
  }
  const variable = (arr: Float32Array): Variable => {
    const t = tf.tensor4d(arr, shape);
    const v = tf.variable(t);
    t.dispose();
    return v;
  };
  const re = variable(reArr);
  const im = variable(imArr);
  // Frequency scaling s(u,v) = 1 / max(f, 1/max(H,W))^decay, times √(HW) so the
  // image's scale does not depend on its size.
  const scaleArr = new Float32Array(H * Wf);
  for (let u = 0; u < H; u++) {
    const fy = Math.min(u, H - u) / H;
    for (let v = 0; v < Wf; v++) {
      const fx = v / W;
      const f = Math.max(Math.hypot(fx, fy), 1 / Math.max(H, W));
      scaleArr[u * Wf + v] = 1 / Math.pow(f, decay);
    }
  }
  // Divided by √(HW) so the image statistics do not depend on its size.
  const scale = tf.keep(tf.tensor2d(scaleArr.map((v) => v / Math.sqrt(H * W)), [H, Wf]));
  // For v in (0, W/2) each coefficient stands for itself and its conjugate twin.
  const twinT = tf.keep(tf.tensor1d(twinWeights(W)));
  const dft = createDft2(H, W);

  const toImage = (): Tensor4D =>
    tf.tidy(() => {
      const s = tf.mul(scale, twinT);
      const a = tf.reshape(tf.mul(re, s), [batch * 3, H, Wf]) as Tensor3D;
      const b = tf.reshape(tf.mul(im, s), [batch * 3, H, Wf]) as Tensor3D;
      const nhwc = tf.transpose(tf.reshape(dft.inverse(a, b), [batch, 3, H, W]), [0, 2, 3, 1]) as Tensor4D;
      return toUnitRange(opts.decorrelate === false ? nhwc : decorrelatedToRgb(nhwc));
    });

  return {
    kind: opts.decorrelate === false ? 'fft' : 'fft+decorrelated',
    batch,
    height: H,
    width: W,
    variables: [re, im],
    pixels: null,
    toImage,
    dispose: () => {
      tf.dispose([re, im, scale, twinT]);
      dft.dispose();
    },
  };
}
