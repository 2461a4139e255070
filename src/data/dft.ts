/**
 * Real 2-D discrete Fourier transforms written as matrix products with fixed
 * cos/sin bases, so they are differentiable on every tfjs backend (tfjs has no
 * FFT gradients) and run as a few GEMMs. Used by the Fourier and MACO
 * parameterisations and by the natural-spectrum estimate.
 *
 * Half spectrum of an H×W image: rows u = 0…H−1 (u > H/2 are the negative
 * frequencies), columns v = 0…⌊W/2⌋.
 */
import { tf, type Tensor, type Tensor2D, type Tensor3D } from '../backend/tf.js';

function basis(n: number, freqs: number, fn: (a: number) => number): Float32Array {
  const out = new Float32Array(n * freqs);
  for (let i = 0; i < n; i++) for (let u = 0; u < freqs; u++) out[i * freqs + u] = fn((2 * Math.PI * u * i) / n);
  return out;
}

/** Signed frequency of row u (cycles per pixel). */
export function rowFrequency(u: number, h: number): number {
  return (u <= h / 2 ? u : u - h) / h;
}

/** Radial frequency |f| (cycles per pixel) of each half-spectrum entry, [H·Wf]. */
export function radialFrequencies(h: number, w: number): Float32Array {
  const wf = Math.floor(w / 2) + 1;
  const out = new Float32Array(h * wf);
  for (let u = 0; u < h; u++) for (let v = 0; v < wf; v++) out[u * wf + v] = Math.hypot(rowFrequency(u, h), v / w);
  return out;
}

/** Weight of each half-spectrum column in the full spectrum: columns 0 (and W/2 when W is even) stand for themselves, others for a conjugate pair too. */
export function twinWeights(w: number): Float32Array {
  const wf = Math.floor(w / 2) + 1;
  return new Float32Array(wf).map((_, v) => (v === 0 || (w % 2 === 0 && v === w / 2) ? 1 : 2));
}

export interface Dft2 {
  readonly height: number;
  readonly width: number;
  /** ⌊W/2⌋ + 1 */
  readonly wf: number;
  /**
   * Inverse: half spectra A + iB, [M, H, Wf] each (already multiplied by the
   * twin weights if they stand for conjugate pairs) → images [M, H, W]:
   * x[h,w] = Σ_u Σ_v A cos θ − B sin θ, θ = 2π(uh/H + vw/W).
   */
  inverse(a: Tensor3D, b: Tensor3D): Tensor3D;
  /** Forward: images [M, H, W] → {re, im} of the half spectrum, [M, H, Wf] (X = Σ x e^{−iθ}). */
  forward(x: Tensor3D): { re: Tensor3D; im: Tensor3D };
  dispose(): void;
}

export function createDft2(height: number, width: number): Dft2 {
  const H = height;
  const W = width;
  const wf = Math.floor(W / 2) + 1;
  const ch = tf.keep(tf.tensor2d(basis(H, H, Math.cos), [H, H]));
  const sh = tf.keep(tf.tensor2d(basis(H, H, Math.sin), [H, H]));
  const cw = tf.keep(tf.tensor2d(basis(W, wf, Math.cos), [W, wf]));
  const sw = tf.keep(tf.tensor2d(basis(W, wf, Math.sin), [W, wf]));
  // The inverse's column bases for [A | B] side by side: K1 = [Cwᵀ; −Swᵀ], K2 = [−Swᵀ; −Cwᵀ], [2·Wf, W].
  const [k1, k2] = tf.tidy(() => {
    const cwT = tf.transpose(cw);
    const swT = tf.transpose(sw);
    return [tf.keep(tf.concat([cwT, tf.neg(swT)], 0)), tf.keep(tf.concat([tf.neg(swT), tf.neg(cwT)], 0))];
  });
  /** m [H, H] applied along the H axis of x [M, H, K] → [H, M, K] (rows first, for the next product). */
  const alongH = (m: Tensor2D, x: Tensor, k: number): Tensor => {
    const n = x.shape[0]!;
    return tf.reshape(tf.matMul(m, tf.reshape(tf.transpose(x, [1, 0, 2]), [H, -1])), [H, n, k]);
  };
  return {
    height: H,
    width: W,
    wf,
    inverse(a, b) {
      return tf.tidy(() => {
        const n = a.shape[0];
        // x = Ch·A·Cwᵀ − Sh·A·Swᵀ − Sh·B·Cwᵀ − Ch·B·Swᵀ = (Ch·[A|B])·K1 + (Sh·[A|B])·K2:
        // the row products as one broadcast batched matmul each (no transposes), then two GEMMs.
        const ab = tf.concat([a, b], 2); // [M, H, 2Wf]
        const rows = (m: Tensor2D): Tensor => tf.reshape(tf.matMul(m, ab), [n * H, 2 * wf]);
        return tf.reshape(tf.add(tf.matMul(rows(ch), k1), tf.matMul(rows(sh), k2)), [n, H, W]) as Tensor3D;
      });
    },
    forward(x) {
      return tf.tidy(() => {
        const n = x.shape[0];
        const flat = tf.reshape(x, [-1, W]);
        const a = tf.reshape(tf.matMul(flat, cw), [n, H, wf]); // Σ_w x cos
        const b = tf.reshape(tf.matMul(flat, sw), [n, H, wf]); // Σ_w x sin
        // e^{−iθ} = cos θ − i sin θ with θ = θ_h + θ_w:
        // re = Ch·a − Sh·b,  im = −(Sh·a + Ch·b)
        const re = tf.sub(alongH(ch, a, wf), alongH(sh, b, wf));
        const im = tf.neg(tf.add(alongH(sh, a, wf), alongH(ch, b, wf)));
        return { re: tf.transpose(re, [1, 0, 2]) as Tensor3D, im: tf.transpose(im, [1, 0, 2]) as Tensor3D };
      });
    },
    dispose() {
      tf.dispose([ch, sh, cw, sw, k1, k2]);
    },
  };
}
