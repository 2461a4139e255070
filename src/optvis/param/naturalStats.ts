/**
 * Statistics of natural images that parameterisations build on, estimated once
 * from a folder of photos (scripts/estimate-natural-stats.ts) and shipped as a
 * small asset (data/natural-stats.json):
 *
 * - colorSqrt: the square root of the RGB covariance (U·√Λ of its
 *   eigendecomposition, columns by decreasing variance), as lucid's
 *   color_correlation_svd_sqrt;
 * - spectrum: the mean magnitude of the 2-D Fourier transform of the photos in
 *   that decorrelated colour space, [3, S, S/2+1], for MACO (Fel et al. 2023),
 *   stored as 16-bit log-magnitudes.
 */
import fs from 'node:fs';
import { tf, type Tensor3D } from '../../backend/tf.js';
import { FeatvisError } from '../../core/errors.js';
import { dataFile } from '../../core/paths.js';
import type { RgbImage } from '../../data/image.js';
import { createDft2, rowFrequency } from '../../data/dft.js';

export interface NaturalStats {
  /** Side of the square images the spectrum was measured on. */
  size: number;
  /** 3×3, rgb = d · colorSqrtᵀ for a decorrelated colour d. */
  colorSqrt: number[][];
  /** Mean magnitude, [3, size, size/2+1] row-major, in the decorrelated colour space. */
  spectrum: Float32Array;
  images: number;
  source: string;
}

interface StatsFile {
  featvis: 'natural-stats/1';
  source: string;
  images: number;
  size: number;
  colorSqrt: number[][];
  spectrum: { encoding: 'log-uint16'; min: number; max: number; data: string };
}

// ---- linear algebra (3×3) ----------------------------------------------------

/** Eigen-decomposition of a symmetric 3×3 matrix (cyclic Jacobi): values descending, vectors as columns. */
export function symmetricEigen3(m: readonly number[][]): { values: number[]; vectors: number[][] } {
  const a = m.map((r) => [...r]);
  const v = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = a[0]![1]! ** 2 + a[0]![2]! ** 2 + a[1]![2]! ** 2;
    if (off < 1e-30) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      if (Math.abs(a[p]![q]!) < 1e-300) continue;
      const theta = (a[q]![q]! - a[p]![p]!) / (2 * a[p]![q]!);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < 3; k++) {
        const akp = a[k]![p]!;
        const akq = a[k]![q]!;
        a[k]![p] = c * akp - s * akq;
        a[k]![q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p]![k]!;
        const aqk = a[q]![k]!;
        a[p]![k] = c * apk - s * aqk;
        a[q]![k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k]![p]!;
        const vkq = v[k]![q]!;
        v[k]![p] = c * vkp - s * vkq;
        v[k]![q] = s * vkp + c * vkq;
      }
    }
  }
  const order = [0, 1, 2].sort((i, j) => a[j]![j]! - a[i]![i]!);
  return { values: order.map((i) => a[i]![i]!), vectors: [0, 1, 2].map((r) => order.map((i) => v[r]![i]!)) };
}

/** U·√Λ of the RGB covariance of the pixels of `images`; each column's largest entry is positive. */
export function colorCovarianceSqrt(images: readonly RgbImage[]): number[][] {
  const sum = [0, 0, 0];
  const prod = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  let n = 0;
  for (const im of images) {
    const d = im.data;
    for (let i = 0; i < d.length; i += 3) {
      for (let c = 0; c < 3; c++) {
        sum[c]! += d[i + c]!;
        for (let e = c; e < 3; e++) prod[c]![e]! += d[i + c]! * d[i + e]!;
      }
      n++;
    }
  }
  if (n < 2) throw new FeatvisError('colour statistics need at least two pixels');
  const mean = sum.map((s) => s / n);
  const cov = [0, 1, 2].map((c) => [0, 1, 2].map((e) => (prod[Math.min(c, e)]![Math.max(c, e)]! - n * mean[c]! * mean[e]!) / (n - 1)));
  const { values, vectors } = symmetricEigen3(cov);
  const out = [0, 1, 2].map((r) => [0, 1, 2].map((j) => vectors[r]![j]! * Math.sqrt(Math.max(0, values[j]!))));
  for (let j = 0; j < 3; j++) {
    const col = out.map((r) => r[j]!);
    const big = col.reduce((b, x) => (Math.abs(x) > Math.abs(b) ? x : b), 0);
    if (big < 0) for (const r of out) r[j] = -r[j]!;
  }
  return out;
}

/** Inverse of a 3×3 matrix. */
export function invert3(m: readonly number[][]): number[][] {
  const [a, b, c] = m[0]!;
  const [d, e, f] = m[1]!;
  const [g, h, i] = m[2]!;
  const A = e! * i! - f! * h!;
  const B = -(d! * i! - f! * g!);
  const C = d! * h! - e! * g!;
  const det = a! * A + b! * B + c! * C;
  if (Math.abs(det) < 1e-12) throw new FeatvisError('colour matrix is singular');
  return [
    [A / det, -(b! * i! - c! * h!) / det, (b! * f! - c! * e!) / det],
    [B / det, (a! * i! - c! * g!) / det, -(a! * f! - c! * d!) / det],
    [C / det, -(a! * h! - b! * g!) / det, (a! * e! - b! * d!) / det],
  ];
}

// ---- spectrum ------------------------------------------------------------------

/**
 * Mean Fourier magnitude of square images (all `size`×`size`) in the colour
 * space d = rgb · (colorSqrtᵀ)⁻¹, each channel mean-subtracted and
 * Hann-windowed so the image borders add no spurious high frequencies.
 */
export function meanSpectrum(images: readonly RgbImage[], colorSqrt: readonly number[][]): Float32Array {
  if (images.length === 0) throw new FeatvisError('the spectrum needs at least one image');
  const size = images[0]!.width;
  if (images.some((im) => im.width !== size || im.height !== size)) throw new FeatvisError('the spectrum needs square images of one size');
  const wf = Math.floor(size / 2) + 1;
  const dft = createDft2(size, size);
  const toDecorrelated = invert3(colorSqrt.map((r) => [...r])); // d = rgb · (Mᵀ)⁻¹ = rgb · (M⁻¹)ᵀ
  const hann = new Float32Array(size).map((_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / size));
  const acc = tf.keep(tf.zeros([3, size, wf]));
  let total = acc;
  try {
    for (const im of images) {
      const next = tf.tidy(() => {
        const x = tf.tensor2d(im.data, [size * size, 3]);
        const d = tf.matMul(tf.sub(x, tf.mean(x, 0)), tf.tensor2d(toDecorrelated, [3, 3]), false, true); // [HW, 3]
        const win = tf.outerProduct(tf.tensor1d(hann), tf.tensor1d(hann));
        const chans = tf.mul(tf.reshape(tf.transpose(d), [3, size, size]), win) as Tensor3D;
        const { re, im: imag } = dft.forward(chans);
        return tf.add(total, tf.sqrt(tf.add(tf.square(re), tf.square(imag))));
      });
      tf.dispose(total);
      total = tf.keep(next);
    }
    return tf.tidy(() => tf.div(total, images.length).dataSync() as Float32Array);
  } finally {
    tf.dispose(total);
    dft.dispose();
  }
}

/**
 * The magnitude template for an H×W image, [3, H, ⌊W/2⌋+1]: the stored
 * spectrum sampled at the same frequencies in cycles per pixel (bilinear,
 * wrapping negative row frequencies); below the stored grid's first frequency
 * it follows 1/f; the DC term is 0.
 */
export function magnitudeTemplate(stats: Pick<NaturalStats, 'size' | 'spectrum'>, h: number, w: number): Float32Array {
  const S = stats.size;
  const sf = Math.floor(S / 2) + 1;
  const wf = Math.floor(w / 2) + 1;
  const out = new Float32Array(3 * h * wf);
  const at = (c: number, u: number, v: number): number => stats.spectrum[(c * S + (((u % S) + S) % S)) * sf + Math.min(v, sf - 1)]!;
  const sample = (c: number, fy: number, fx: number): number => {
    const y = fy * S;
    const x = Math.min(fx * S, sf - 1);
    const y0 = Math.floor(y);
    const x0 = Math.floor(x);
    const ty = y - y0;
    const tx = x - x0;
    return (
      (1 - ty) * ((1 - tx) * at(c, y0, x0) + tx * at(c, y0, x0 + 1)) + ty * ((1 - tx) * at(c, y0 + 1, x0) + tx * at(c, y0 + 1, x0 + 1))
    );
  };
  const f1 = 1 / S;
  for (let c = 0; c < 3; c++) {
    for (let u = 0; u < h; u++) {
      const fy = rowFrequency(u, h);
      for (let v = 0; v < wf; v++) {
        const fx = v / w;
        const r = Math.hypot(fy, fx);
        let m: number;
        if (r === 0) m = 0;
        else if (r < f1) m = sample(c, (fy / r) * f1, (fx / r) * f1) * (f1 / r);
        else m = sample(c, fy, fx);
        out[(c * h + u) * wf + v] = m;
      }
    }
  }
  return out;
}

// ---- the asset -------------------------------------------------------------------

export function encodeStats(s: NaturalStats): string {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const logs = Array.from(s.spectrum, (v) => Math.log(Math.max(v, 1e-12)));
  for (const l of logs) {
    min = Math.min(min, l);
    max = Math.max(max, l);
  }
  const q = new Uint16Array(logs.map((l) => Math.round(((l - min) / (max - min || 1)) * 65535)));
  const file: StatsFile = {
    featvis: 'natural-stats/1',
    source: s.source,
    images: s.images,
    size: s.size,
    colorSqrt: s.colorSqrt.map((r) => r.map((x) => Number(x.toPrecision(6)))),
    spectrum: { encoding: 'log-uint16', min, max, data: Buffer.from(q.buffer).toString('base64') },
  };
  return JSON.stringify(file, null, 1);
}

export function decodeStats(text: string, where: string): NaturalStats {
  if (text.length > 4 << 20) throw new FeatvisError(`${where} is too large for a natural-statistics file`);
  let j: StatsFile;
  try {
    j = JSON.parse(text) as StatsFile;
  } catch (err) {
    throw new FeatvisError(`${where} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const size = j?.size;
  if (j?.featvis !== 'natural-stats/1' || !Number.isInteger(size) || size < 8 || size > 1024) throw new FeatvisError(`${where} is not a featvis natural-statistics file`);
  const okMatrix = Array.isArray(j.colorSqrt) && j.colorSqrt.length === 3 && j.colorSqrt.every((r) => Array.isArray(r) && r.length === 3 && r.every((x) => typeof x === 'number' && Number.isFinite(x)));
  if (!okMatrix) throw new FeatvisError(`${where}: colorSqrt must be a 3×3 matrix of numbers`);
  const sp = j.spectrum;
  if (sp?.encoding !== 'log-uint16' || !Number.isFinite(sp.min) || !Number.isFinite(sp.max) || typeof sp.data !== 'string') throw new FeatvisError(`${where}: bad spectrum`);
  const bytes = Buffer.from(sp.data, 'base64');
  const n = 3 * size * (Math.floor(size / 2) + 1);
  if (bytes.length !== 2 * n) throw new FeatvisError(`${where}: spectrum has ${bytes.length} bytes, expected ${2 * n}`);
  const q = new Uint16Array(n);
  for (let i = 0; i < n; i++) q[i] = bytes.readUInt16LE(2 * i);
  const spectrum = Float32Array.from(q, (v) => Math.exp(sp.min + (v / 65535) * (sp.max - sp.min)));
  return { size, colorSqrt: j.colorSqrt, spectrum, images: Number(j.images) || 0, source: String(j.source ?? '') };
}

let shipped: NaturalStats | null = null;

/** The statistics shipped in data/natural-stats.json. */
export function naturalStats(): NaturalStats {
  if (!shipped) {
    const f = dataFile('natural-stats.json');
    if (!fs.existsSync(f)) throw new FeatvisError(`${f} is missing (a broken checkout?): run node --import tsx scripts/estimate-natural-stats.ts`);
    shipped = decodeStats(fs.readFileSync(f, 'utf8'), f);
  }
  return shipped;
}
