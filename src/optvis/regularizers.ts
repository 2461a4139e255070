/**
 * Regularisers, each with a strength (0 = off).
 *
 * Penalties are added to the loss (per image, on the image in [0,1] centred at
 * 0.5), so they work with every parameterisation:
 *   l1, l2     mean |x−½| and mean (x−½)² (pull towards grey)
 *   tv         total variation: mean |∇x| (Mahendran & Vedaldi 2015)
 *   freq       frequency penalty: mean (x − blur(x))², the high-pass energy
 *
 * Step operators act on the pixel variable after each optimiser step
 * (Yosinski et al. 2015, "Understanding Neural Networks Through Deep
 * Visualization"); they need the `pixel` parameterisation:
 *   decay                 x ← (1 − decay)·x               (L2 decay)
 *   blurEvery, blurSigma  Gaussian blur every k steps
 *   clipNormPct           zero pixels whose colour norm is in the lowest p %
 *   clipContribPct        zero pixels whose contribution |x·∇x| is in the lowest p %
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D, type Variable } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import type { ImageParam } from './param/types.js';

export interface Regularizers {
  l1?: number;
  l2?: number;
  tv?: number;
  freq?: number;
  decay?: number;
  blurEvery?: number;
  blurSigma?: number;
  clipNormPct?: number;
  clipContribPct?: number;
}

export const REGULARIZER_NAMES = ['l1', 'l2', 'tv', 'freq', 'decay', 'blurEvery', 'blurSigma', 'clipNormPct', 'clipContribPct'] as const;

export function validateRegularizers(r: Regularizers, param: ImageParam): void {
  for (const [k, v] of Object.entries(r)) {
    if (v === undefined) continue;
    if (!(REGULARIZER_NAMES as readonly string[]).includes(k)) throw new FeatvisError(`unknown regulariser '${k}' (known: ${REGULARIZER_NAMES.join(', ')})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new FeatvisError(`regulariser ${k} must be a finite number ≥ 0, got ${String(v)}`);
  }
  if ((r.decay ?? 0) >= 1) throw new FeatvisError(`decay must be < 1, got ${r.decay}`);
  for (const k of ['clipNormPct', 'clipContribPct'] as const) {
    if ((r[k] ?? 0) >= 100) throw new FeatvisError(`${k} is a percentile and must be < 100, got ${r[k]}`);
  }
  const needsPixels = (r.decay ?? 0) > 0 || (r.blurEvery ?? 0) > 0 || (r.clipNormPct ?? 0) > 0 || (r.clipContribPct ?? 0) > 0;
  if (needsPixels && !param.pixels) {
    throw new FeatvisError(`decay, blur and clipping act on pixels: use the pixel parameterisation (got '${param.kind}'), or use the l2 / tv / freq penalties`);
  }
}

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
const absFast = tf.customGrad((...args) => {
  const x = args[0] as Tensor;
  const save = args[1] as (ts: Tensor[]) => void;
  save([x]);
  return { value: tf.abs(x), gradFunc: (dy: Tensor, saved: Tensor[]) => tf.where(tf.greater(saved[0]!, 0), dy, tf.neg(dy)) };
}) as (x: Tensor) => Tensor;

/** Per-image penalty [N] to add to the loss (already weighted). */
export function penalty(images: Tensor4D, r: Regularizers): Tensor1D | null {
  const terms: Tensor[] = [];
  const centred = tf.sub(images, 0.5);
  if (r.l1) terms.push(tf.mul(tf.mean(absFast(centred), [1, 2, 3]), r.l1));
  if (r.l2) terms.push(tf.mul(tf.mean(tf.square(centred), [1, 2, 3]), r.l2));
  if (r.tv) {
    const dy = absFast(tf.sub(tf.slice(images, [0, 1, 0, 0], [-1, -1, -1, -1]), tf.slice(images, [0, 0, 0, 0], [-1, images.shape[1] - 1, -1, -1])));
    const dx = absFast(tf.sub(tf.slice(images, [0, 0, 1, 0], [-1, -1, -1, -1]), tf.slice(images, [0, 0, 0, 0], [-1, -1, images.shape[2] - 1, -1])));
    terms.push(tf.mul(tf.add(tf.mean(dy, [1, 2, 3]), tf.mean(dx, [1, 2, 3])), r.tv));
  }
  if (r.freq) terms.push(tf.mul(tf.mean(tf.square(tf.sub(images, gaussianBlur(images, 1))), [1, 2, 3]), r.freq));
  if (terms.length === 0) return null;
  return (terms.length === 1 ? terms[0]! : tf.addN(terms)) as Tensor1D;
}

/** Zeroes, per image, the pixels whose score [N,H,W] is below the p-th percentile. */
function zeroLowest(v: Variable, score: Tensor, pct: number): void {
  tf.tidy(() => {
    const [n, h, w] = v.shape as number[];
    const k = Math.max(1, Math.floor(((h! * w!) * pct) / 100));
    const flat = tf.reshape(score, [n!, h! * w!]);
    // k-th smallest per image = −(k-th largest of −score)
    const kth = tf.neg(tf.slice(tf.topk(tf.neg(flat), k, true).values, [0, k - 1], [n!, 1]));
    const keep = tf.cast(tf.greater(flat, kth), 'float32').reshape([n!, h!, w!, 1]);
    v.assign(tf.mul(v, keep) as Tensor4D);
  });
  score.dispose();
}

/** Applies the step operators after optimiser step `step` (1-based). `grad` is the last gradient of the pixel variable. */
export function applyStepOperators(param: ImageParam, r: Regularizers, step: number, grad: Tensor | null): void {
  const v = param.pixels;
  if (!v) return;
  if (r.decay) tf.tidy(() => v.assign(tf.mul(v, 1 - r.decay!)));
  if (r.blurEvery && step % r.blurEvery === 0) {
    tf.tidy(() => v.assign(gaussianBlur(v as unknown as Tensor4D, r.blurSigma ?? 0.5)));
  }
  if (r.clipNormPct) zeroLowest(v, tf.tidy(() => tf.norm(v, 'euclidean', 3)), r.clipNormPct);
  if (r.clipContribPct && grad) zeroLowest(v, tf.tidy(() => tf.sum(tf.abs(tf.mul(v, grad)), 3)), r.clipContribPct);
}

export function hasStepOperators(r: Regularizers): boolean {
  return !!(r.decay || r.blurEvery || r.clipNormPct || r.clipContribPct);
}
