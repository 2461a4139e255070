/**
 * Whole-pixel translations as slices, concatenations and pads: the fast path
 * of the per-step transforms when a geometric run draws scale 1, angle 0 and
 * integer shifts (pad + jitter, the "jitter" preset). affine.ts's bilinear
 * resampler gives the same image there, since every sample then lands on a
 * pixel with weights exactly 1 and 0, clamped to the edge; this computes it
 * without the 4-neighbour gather and its scatter-add gradient.
 */
import { tf, type Tensor4D } from '../backend/tf.js';

/** The edge slice of `x` along `axis` (first or last), repeated `k` times. */
function edge(x: Tensor4D, axis: 1 | 2, last: boolean, k: number): Tensor4D {
  const begin = [0, 0, 0, 0];
  const size = [-1, -1, -1, -1];
  begin[axis] = last ? x.shape[axis] - 1 : 0;
  size[axis] = 1;
  const shape = [...x.shape] as [number, number, number, number];
  shape[axis] = k;
  return tf.broadcastTo(tf.slice(x, begin, size), shape);
}

/** out[i] = x[clamp(i − d, 0, n − 1)] along `axis`. */
function shiftAxis(x: Tensor4D, d: number, axis: 1 | 2): Tensor4D {
  const n = x.shape[axis];
  if (d === 0) return x;
  if (Math.abs(d) >= n) return edge(x, axis, d < 0, n);
  const begin = [0, 0, 0, 0];
  const size = [-1, -1, -1, -1];
  size[axis] = n - Math.abs(d);
  if (d > 0) return tf.concat([edge(x, axis, false, d), tf.slice(x, begin, size)], axis);
  begin[axis] = -d;
  return tf.concat([tf.slice(x, begin, size), edge(x, axis, true, -d)], axis);
}

/**
 * Translates a batch by whole pixels (dx right, dy down), samples outside the
 * image clamped to the edge: out[y, x] = in[clamp(y − dy), clamp(x − dx)], the
 * same map as affineSampleShared with { dx, dy, scale: 1, angle: 0 }.
 */
export function shiftClamped(images: Tensor4D, dx: number, dy: number): Tensor4D {
  if (!Number.isInteger(dx) || !Number.isInteger(dy)) throw new Error(`shiftClamped: whole pixels only, got (${dx}, ${dy})`);
  return tf.tidy(() => shiftAxis(shiftAxis(images, dy, 1), dx, 2));
}

/**
 * A constant pad of `px` followed by a whole-pixel shift with |dx|, |dy| ≤ px
 * is one asymmetric constant pad: the edge rows the shift repeats are pad
 * rows, and the rows it drops are pad rows too.
 */
export function padShifted(images: Tensor4D, px: number, value: number, dx: number, dy: number): Tensor4D {
  if (Math.abs(dx) > px || Math.abs(dy) > px) throw new Error(`padShifted: shift (${dx}, ${dy}) exceeds the pad ${px}`);
  return tf.pad(images, [[0, 0], [px + dy, px - dy], [px + dx, px - dx], [0, 0]], value);
}
