/**
 * Differentiable bilinear resampling of a batch under per-image affine maps
 * (rotation, scale, translation) built from gathers, which tfjs can
 * differentiate on every backend. Out-of-range samples are clamped to the edge.
 */
import { tf, type Tensor4D } from '../backend/tf.js';

export interface Affine {
  /** Rotation in radians. */
  angle: number;
  /** Scale factor (> 1 zooms in). */
  scale: number;
  /** Translation in output pixels. */
  dx: number;
  dy: number;
}

/** Resamples `images` [N,H,W,C]; item i uses maps[i]. Output has the same size. */
export function affineSample(images: Tensor4D, maps: readonly Affine[]): Tensor4D {
  const [n, h, w, c] = images.shape;
  if (maps.length !== n) throw new Error(`affineSample: ${maps.length} maps for ${n} images`);
  const count = h * w;
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  // Per-image inverse map (output → source), uploaded as 6 numbers per image:
  // everything per pixel is computed on the device.
  const coef = new Float32Array(n * 6);
  maps.forEach((m, b) => {
    const cos = Math.cos(m.angle) / m.scale;
    const sin = Math.sin(m.angle) / m.scale;
    // sx = cos·(x−cx−dx) + sin·(y−cy−dy) + cx ;  sy = −sin·(x−cx−dx) + cos·(y−cy−dy) + cy
    coef.set([cos, sin, cx - cos * m.dx - sin * m.dy, -sin, cos, cy + sin * m.dx - cos * m.dy], b * 6);
  });
  return tf.tidy(() => {
    const k = tf.tensor2d(coef, [n, 6]);
    const col = (j: number) => tf.slice(k, [0, j], [n, 1]);
    const xs = tf.tile(tf.sub(tf.range(0, w, 1, 'float32'), cx).reshape([1, w]), [h, 1]).reshape([1, count]);
    const ys = tf.tile(tf.sub(tf.range(0, h, 1, 'float32'), cy).reshape([h, 1]), [1, w]).reshape([1, count]);
    const sx = tf.clipByValue(tf.add(tf.add(tf.mul(col(0), xs), tf.mul(col(1), ys)), col(2)), 0, w - 1); // [n, count]
    const sy = tf.clipByValue(tf.add(tf.add(tf.mul(col(3), xs), tf.mul(col(4), ys)), col(5)), 0, h - 1);
    const x0 = tf.minimum(tf.floor(sx), Math.max(w - 2, 0));
    const y0 = tf.minimum(tf.floor(sy), Math.max(h - 2, 0));
    const fx = tf.sub(sx, x0);
    const fy = tf.sub(sy, y0);
    const x1 = tf.minimum(tf.add(x0, 1), w - 1);
    const y1 = tf.minimum(tf.add(y0, 1), h - 1);
    const base = tf.mul(tf.range(0, n, 1, 'float32').reshape([n, 1]), count);
    const at = (yy: typeof x0, xx: typeof x0) => tf.cast(tf.add(base, tf.add(tf.mul(yy, w), xx)), 'int32').reshape([-1]);
    const flat = tf.reshape(images, [n * count, c]);
    const wt = (t: typeof x0) => t.reshape([-1, 1]);
    const out = tf.addN([
      tf.mul(tf.gather(flat, at(y0, x0)), wt(tf.mul(tf.sub(1, fx), tf.sub(1, fy)))),
      tf.mul(tf.gather(flat, at(y0, x1)), wt(tf.mul(fx, tf.sub(1, fy)))),
      tf.mul(tf.gather(flat, at(y1, x0)), wt(tf.mul(tf.sub(1, fx), fy))),
      tf.mul(tf.gather(flat, at(y1, x1)), wt(tf.mul(fx, fy))),
    ]);
    return tf.reshape(out, [n, h, w, c]) as Tensor4D;
  });
}

/**
 * The bilinear sampling map of `m` on an h×w image: per output pixel (row-major)
 * the flat indices of its 4 source neighbours and their weights, samples
 * outside clamped to the edge.
 */
export function bilinearMap(h: number, w: number, m: Affine): { idx: Int32Array; wts: Float32Array } {
  const count = h * w;
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const cos = Math.cos(m.angle) / m.scale;
  const sin = Math.sin(m.angle) / m.scale;
  const idx = new Int32Array(count * 4);
  const wts = new Float32Array(count * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const ox = x - cx - m.dx;
      const oy = y - cy - m.dy;
      const sx = Math.min(Math.max(cos * ox + sin * oy + cx, 0), w - 1);
      const sy = Math.min(Math.max(-sin * ox + cos * oy + cy, 0), h - 1);
      const x0 = Math.min(Math.floor(sx), Math.max(w - 2, 0));
      const y0 = Math.min(Math.floor(sy), Math.max(h - 2, 0));
      const fx = sx - x0;
      const fy = sy - y0;
      const x1 = Math.min(x0 + 1, w - 1);
      const y1 = Math.min(y0 + 1, h - 1);
      const o = (y * w + x) * 4;
      idx[o] = y0 * w + x0;
      idx[o + 1] = y0 * w + x1;
      idx[o + 2] = y1 * w + x0;
      idx[o + 3] = y1 * w + x1;
      wts[o] = (1 - fx) * (1 - fy);
      wts[o + 1] = fx * (1 - fy);
      wts[o + 2] = (1 - fx) * fy;
      wts[o + 3] = fx * fy;
    }
  }
  return { idx, wts };
}

/**
 * One affine map for the whole batch (the per-step transforms of a render):
 * the bilinear sampling map is computed once on the host (4 indices and 4
 * weights per output pixel) and applied to every image at once — a handful of
 * kernels however large the batch. The batch is laid out pixel-major
 * ([pixels, images·channels]) so that the gather, and the segment sum that is
 * its gradient, move whole rows, and each output pixel's 4 weights meet its 4
 * gathered rows in one batched [1×4]·[4×(images·channels)] product.
 */
export function affineSampleShared(images: Tensor4D, m: Affine): Tensor4D {
  const [n, h, w, c] = images.shape;
  const count = h * w;
  const { idx, wts } = bilinearMap(h, w, m);
  return tf.tidy(() => {
    const rows = tf.reshape(tf.transpose(tf.reshape(images, [n, count, c]), [1, 0, 2]), [count, n * c]);
    const g = tf.reshape(tf.gather(rows, tf.tensor1d(idx, 'int32')), [count, 4, n * c]);
    const out = tf.matMul(tf.tensor3d(wts, [count, 1, 4]), g); // [count, 1, n·c]
    return tf.reshape(tf.transpose(tf.reshape(out, [count, n, c]), [1, 0, 2]), [n, h, w, c]) as Tensor4D;
  });
}
