/**
 * Penalties on the image, as objectives (lucid's way): each scores how much of
 * something unwanted an image has, per batch item, on the image as the
 * parameterisation made it (before the per-step transforms), in [0,1]:
 *
 *   l1()               mean |x − ½|             (pull towards grey)
 *   l2()               mean (x − ½)²
 *   totalVariation()   mean |∇x| over both axes (Mahendran & Vedaldi 2015)
 *   frequency()        mean (x − blur(x))², the high-pass energy
 *
 * Subtract them, weighted: `channel('mixed6', 3).minus(totalVariation().times(0.5))`.
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D } from '../backend/tf.js';
import { objective, type Objective, type ObjectiveContext } from './objectives.js';

function gaussianKernel(sigma: number): Tensor4D {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k: number[] = [];
  for (let i = -radius; i <= radius; i++) k.push(Math.exp(-(i * i) / (2 * sigma * sigma)));
  const s = k.reduce((a, b) => a + b, 0);
  const size = 2 * radius + 1;
  const data = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) for (let c = 0; c < 3; c++) data[(y * size + x) * 3 + c] = (k[y]! * k[x]!) / (s * s);
  return tf.tensor4d(data, [size, size, 3, 1]);
}

/** Depthwise Gaussian blur of an NHWC RGB batch with reflect padding. */
export function gaussianBlur(x: Tensor4D, sigma: number): Tensor4D {
  return tf.tidy(() => {
    const kernel = gaussianKernel(sigma);
    const r = (kernel.shape[0] - 1) / 2;
    const [, h, w] = x.shape;
    const padR = Math.min(r, h - 1, w - 1);
    const padded = tf.mirrorPad(x, [[0, 0], [padR, padR], [padR, padR], [0, 0]], 'reflect');
    const extra = r - padR;
    const p2 = extra > 0 ? tf.pad(padded, [[0, 0], [extra, extra], [extra, extra], [0, 0]]) : padded;
    return tf.depthwiseConv2d(p2, kernel, 1, 'valid');
  });
}

/**
 * |x| with tf.abs's values and gradient (dy where x > 0, −dy elsewhere, as
 * tfjs's dy·step(x, −1)), computed with one comparison and a select: tfjs-node
 * runs step() with full-size ones() and fill() tensors built on the JS side,
 * which made the TV gradient a tenth of an AM step (bench/am-step-vs-torch.ts).
 */
export const absFast = tf.customGrad((...args) => {
  const x = args[0] as Tensor;
  const save = args[1] as (ts: Tensor[]) => void;
  save([x]);
  return { value: tf.abs(x), gradFunc: (dy: Tensor, saved: Tensor[]) => tf.where(tf.greater(saved[0]!, 0), dy, tf.neg(dy)) };
}) as (x: Tensor) => Tensor;

const perImageMean = (t: Tensor): Tensor1D => tf.mean(t, [1, 2, 3]) as Tensor1D;

/** Total variation of each image: mean |x[i+1,j] − x[i,j]| + mean |x[i,j+1] − x[i,j]|. */
export function totalVariationOf(images: Tensor4D): Tensor1D {
  const [, h, w] = images.shape;
  const dy = absFast(tf.sub(tf.slice(images, [0, 1, 0, 0], [-1, -1, -1, -1]), tf.slice(images, [0, 0, 0, 0], [-1, h - 1, -1, -1])));
  const dx = absFast(tf.sub(tf.slice(images, [0, 0, 1, 0], [-1, -1, -1, -1]), tf.slice(images, [0, 0, 0, 0], [-1, -1, w - 1, -1])));
  return tf.add(perImageMean(dy), perImageMean(dx));
}

/** x − ½, computed once per evaluation however many penalties use it. */
const centredCache = new WeakMap<ObjectiveContext, Tensor4D>();
function centred(ctx: ObjectiveContext): Tensor4D {
  const cached = centredCache.get(ctx);
  if (cached) return cached;
  const c = tf.sub(ctx.image, 0.5) as Tensor4D;
  centredCache.set(ctx, c);
  return c;
}

export function l1(): Objective {
  return objective({ name: 'l1', score: (ctx) => perImageMean(absFast(centred(ctx))) });
}

export function l2(): Objective {
  return objective({ name: 'l2', score: (ctx) => perImageMean(tf.square(centred(ctx))) });
}

export function totalVariation(): Objective {
  return objective({ name: 'tv', score: ({ image }) => totalVariationOf(image) });
}

/** High-pass energy: mean (x − blur_σ(x))² (σ = 1 px by default). */
export function frequency(sigma = 1): Objective {
  return objective({ name: 'freq', score: ({ image }) => perImageMean(tf.square(tf.sub(image, gaussianBlur(image, sigma)))) });
}
