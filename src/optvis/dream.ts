/**
 * DeepDream (Mordvintsev et al. 2015) on a photo: gradient ascent on the image
 * itself at several scales ("octaves"), each step normalised by the mean
 * gradient magnitude and taken under a random integer shift (jitter), with the
 * detail added at one octave carried up to the next.
 */
import { tf, type Tensor4D } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import type { FeatModel } from '../core/types.js';
import { evaluate, type Objective } from './objectives.js';
import { Rng } from './rng.js';

export interface DreamOptions {
  octaves?: number;
  /** Size ratio between consecutive octaves (> 1). */
  octaveScale?: number;
  stepsPerOctave?: number;
  /** Step size in [0,1] image units per normalised gradient. */
  stepSize?: number;
  /** Max random shift in pixels per step. */
  jitter?: number;
  seed?: number;
  onStep?: (info: { octave: number; step: number; score: number }) => void;
}

export interface DreamResult {
  image: Tensor4D;
  /** Objective on the input photo and on the dream, at full size. */
  before: number;
  after: number;
}

function roll(x: Tensor4D, dy: number, dx: number): Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const sy = ((dy % h) + h) % h;
    const sx = ((dx % w) + w) % w;
    let out = x;
    if (sy) out = tf.concat([tf.slice(out, [0, h - sy, 0, 0], [-1, sy, -1, -1]), tf.slice(out, [0, 0, 0, 0], [-1, h - sy, -1, -1])], 1);
    if (sx) out = tf.concat([tf.slice(out, [0, 0, w - sx, 0], [-1, -1, sx, -1]), tf.slice(out, [0, 0, 0, 0], [-1, -1, w - sx, -1])], 2);
    return out;
  });
}

/** `photo`: [1,H,W,3] RGB in [0,1]. Returns a new tensor; the caller disposes it. */
export async function deepDream(model: FeatModel, objective: Objective, photo: Tensor4D, opts: DreamOptions = {}): Promise<DreamResult> {
  const octaves = opts.octaves ?? 4;
  const scale = opts.octaveScale ?? 1.4;
  const steps = opts.stepsPerOctave ?? 10;
  const stepSize = opts.stepSize ?? 0.01;
  const jitter = opts.jitter ?? 16;
  if (photo.rank !== 4 || photo.shape[3] !== 3) throw new FeatvisError(`DeepDream needs one RGB image [1,H,W,3], got [${photo.shape}]`);
  if (octaves < 1 || scale <= 1 || steps < 1 || !(stepSize > 0)) throw new FeatvisError('DeepDream: octaves ≥ 1, octaveScale > 1, stepsPerOctave ≥ 1, stepSize > 0');
  objective.validate(model);
  const rng = new Rng(opts.seed ?? 0);
  const [, H, W] = photo.shape;
  const score = (img: Tensor4D): number =>
    tf.tidy(() => evaluate(model, objective, img).dataSync()[0]!);
  const before = score(photo);
  const sizes: Array<[number, number]> = [];
  for (let o = octaves - 1; o >= 0; o--) sizes.push([Math.max(16, Math.round(H / scale ** o)), Math.max(16, Math.round(W / scale ** o))]);
  // detail = dream − base at the current octave's size
  let detail: Tensor4D = tf.zeros([1, sizes[0]![0], sizes[0]![1], 3]);
  const grad = tf.grad((x) => tf.sum(evaluate(model, objective, x as Tensor4D)));
  for (let o = 0; o < sizes.length; o++) {
    const [h, w] = sizes[o]!;
    let img = tf.tidy(() => {
      const base = tf.image.resizeBilinear(photo, [h, w], true) as Tensor4D;
      const d = tf.image.resizeBilinear(detail, [h, w], true) as Tensor4D;
      return tf.clipByValue(tf.add(base, d), 0, 1) as Tensor4D;
    });
    for (let s = 0; s < steps; s++) {
      const dy = rng.int(-jitter, jitter);
      const dx = rng.int(-jitter, jitter);
      const next = tf.tidy(() => {
        const shifted = roll(img, dy, dx);
        const g = grad(shifted) as Tensor4D;
        const gn = tf.div(g, tf.add(tf.mean(tf.abs(g)), 1e-8));
        const stepped = tf.clipByValue(tf.add(shifted, tf.mul(gn, stepSize)), 0, 1) as Tensor4D;
        return roll(stepped, -dy, -dx);
      });
      img.dispose();
      img = next;
      if (opts.onStep) opts.onStep({ octave: o, step: s, score: score(img) });
    }
    const nextDetail = tf.tidy(() => tf.sub(img, tf.image.resizeBilinear(photo, [h, w], true)) as Tensor4D);
    detail.dispose();
    detail = nextDetail;
    if (o === sizes.length - 1) {
      detail.dispose();
      const finalImg = h === H && w === W ? img : tf.tidy(() => tf.image.resizeBilinear(img, [H, W], true) as Tensor4D);
      if (finalImg !== img) img.dispose();
      const after = score(finalImg);
      if (!Number.isFinite(after)) throw new FeatvisError('DeepDream diverged (NaN/Inf)');
      return { image: finalImg, before, after };
    }
    img.dispose();
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('unreachable');
}
