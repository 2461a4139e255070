/**
 * Image-quality numbers for AM images and the photos they are compared with,
 * so "washed-out high-frequency noise" is a measurement, not an impression:
 *
 *   hfShare         share of the luminance's spectral power above 0.35 cycles/px
 *                   (mean removed, Hann window, radial frequency; DC excluded)
 *   saturatedShare  share of pixels with a channel at 0 or 255 (8-bit)
 *   mean, std       per RGB channel
 *   colorfulness    Hasler & Süsstrunk (2003): √(σ_rg² + σ_yb²) + 0.3·√(μ_rg² + μ_yb²), on 0–1 values
 *   lightness       mean luminance
 */
import { tf, type Tensor3D } from '../backend/tf.js';
import type { RgbImage } from './image.js';
import { createDft2, radialFrequencies, twinWeights, type Dft2 } from './dft.js';

export const HF_CUTOFF = 0.35;

export interface ImageQuality {
  hfShare: number;
  saturatedShare: number;
  mean: [number, number, number];
  std: [number, number, number];
  colorfulness: number;
  lightness: number;
}

export interface QualitySummary {
  images: number;
  /** Medians over the images (robust to the odd one). */
  hfShare: number;
  saturatedShare: number;
  colorfulness: number;
  lightness: number;
  /** Mean RGB and mean per-channel std over the images. */
  mean: [number, number, number];
  std: [number, number, number];
  /** Range of hfShare over the images. */
  hfShareRange: [number, number];
}

const dfts = new Map<string, { dft: Dft2; hf: Float32Array; weight: Float32Array; hann: Float32Array[] }>();

function plan(h: number, w: number): { dft: Dft2; hf: Float32Array; weight: Float32Array; hann: Float32Array[] } {
  const key = `${h}x${w}`;
  let p = dfts.get(key);
  if (!p) {
    const wf = Math.floor(w / 2) + 1;
    const radial = radialFrequencies(h, w);
    const twin = twinWeights(w);
    const weight = new Float32Array(h * wf).map((_, i) => (i === 0 ? 0 : twin[i % wf]!));
    const hf = new Float32Array(h * wf).map((_, i) => (radial[i]! > HF_CUTOFF ? weight[i]! : 0));
    const win = (n: number): Float32Array => new Float32Array(n).map((_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / n));
    p = { dft: createDft2(h, w), hf, weight, hann: [win(h), win(w)] };
    if (dfts.size > 8) {
      for (const v of dfts.values()) v.dft.dispose();
      dfts.clear();
    }
    dfts.set(key, p);
  }
  return p;
}

/** Share of spectral power above HF_CUTOFF cycles/px of a single-channel image [h·w]. */
export function highFrequencyShare(gray: Float32Array, h: number, w: number): number {
  const p = plan(h, w);
  return tf.tidy(() => {
    const x = tf.tensor2d(gray, [h, w]);
    const win = tf.outerProduct(tf.tensor1d(p.hann[0]!), tf.tensor1d(p.hann[1]!));
    const centred = tf.mul(tf.sub(x, tf.mean(x)), win);
    const { re, im } = p.dft.forward(tf.reshape(centred, [1, h, w]) as Tensor3D);
    const power = tf.reshape(tf.add(tf.square(re), tf.square(im)), [-1]);
    const total = tf.sum(tf.mul(power, tf.tensor1d(p.weight))).dataSync()[0]!;
    const high = tf.sum(tf.mul(power, tf.tensor1d(p.hf))).dataSync()[0]!;
    return total > 0 ? high / total : 0;
  });
}

export function imageQuality(img: RgbImage): ImageQuality {
  const { width: w, height: h, data } = img;
  const n = w * h;
  const gray = new Float32Array(n);
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  let saturated = 0;
  let rg = 0, rg2 = 0, yb = 0, yb2 = 0;
  for (let i = 0; i < n; i++) {
    const r = data[3 * i]!, g = data[3 * i + 1]!, b = data[3 * i + 2]!;
    gray[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    let sat = false;
    for (const [c, v] of [r, g, b].entries()) {
      sum[c]! += v;
      sq[c]! += v * v;
      const q = Math.round(v * 255);
      if (q <= 0 || q >= 255) sat = true;
    }
    if (sat) saturated++;
    const a = r - g;
    const y = 0.5 * (r + g) - b;
    rg += a;
    rg2 += a * a;
    yb += y;
    yb2 += y * y;
  }
  const mean = sum.map((s) => s / n) as [number, number, number];
  const std = sq.map((s, c) => Math.sqrt(Math.max(0, s / n - mean[c]! ** 2))) as [number, number, number];
  const mrg = rg / n;
  const myb = yb / n;
  const colorfulness = Math.sqrt(Math.max(0, rg2 / n - mrg * mrg) + Math.max(0, yb2 / n - myb * myb)) + 0.3 * Math.hypot(mrg, myb);
  return {
    hfShare: highFrequencyShare(gray, h, w),
    saturatedShare: saturated / n,
    mean,
    std,
    colorfulness,
    lightness: gray.reduce((s, v) => s + v, 0) / n,
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function summarizeQuality(qs: readonly ImageQuality[]): QualitySummary {
  const avg3 = (f: (q: ImageQuality) => [number, number, number]): [number, number, number] =>
    [0, 1, 2].map((c) => qs.reduce((s, q) => s + f(q)[c]!, 0) / Math.max(1, qs.length)) as [number, number, number];
  const hf = qs.map((q) => q.hfShare);
  return {
    images: qs.length,
    hfShare: median(hf),
    saturatedShare: median(qs.map((q) => q.saturatedShare)),
    colorfulness: median(qs.map((q) => q.colorfulness)),
    lightness: median(qs.map((q) => q.lightness)),
    mean: avg3((q) => q.mean),
    std: avg3((q) => q.std),
    hfShareRange: [Math.min(...hf), Math.max(...hf)],
  };
}

/** One line for logs: "hf 2.1 % · saturated 0.4 % · colourfulness 0.21 · lightness 0.47". */
export function formatQuality(q: Pick<QualitySummary, 'hfShare' | 'saturatedShare' | 'colorfulness' | 'lightness'>): string {
  return `hf ${(q.hfShare * 100).toFixed(1)} % · saturated ${(q.saturatedShare * 100).toFixed(1)} % · colourfulness ${q.colorfulness.toFixed(2)} · lightness ${q.lightness.toFixed(2)}`;
}
