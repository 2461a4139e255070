/**
 * Training-time augmentation on uint8 HWC images, in plain JS (deterministic
 * for a given KeyedRng): random resized crop with bilinear sampling, horizontal
 * flip and mild brightness / contrast / saturation jitter. Writes the network
 * input directly (RGB scaled to [-1, 1]).
 */
import type { KeyedRng } from './random.js';

export interface AugmentOptions {
  /** Output side in pixels. */
  size: number;
  /** Crop area as a fraction of the image, [min, max]. */
  scale: [number, number];
  /** Aspect ratio range (width / height), sampled log-uniformly. */
  ratio: [number, number];
  /** Probability of a horizontal flip. */
  flip: number;
  /** Brightness / contrast / saturation factors are drawn from [1 - j, 1 + j]. 0 disables. */
  jitter: number;
}

export const DEFAULT_AUGMENT: Omit<AugmentOptions, 'size'> = {
  scale: [0.35, 1],
  ratio: [3 / 4, 4 / 3],
  flip: 0.5,
  jitter: 0.1,
};

export interface Crop {
  /** Top-left corner and size in source pixels (fractional). */
  x: number;
  y: number;
  w: number;
  h: number;
  flip: boolean;
  brightness: number;
  contrast: number;
  saturation: number;
}

/** Draws crop parameters for a src×src image (torchvision's RandomResizedCrop rule, 10 tries then centre). */
export function sampleCrop(rng: KeyedRng, src: number, o: Omit<AugmentOptions, 'size'>): Crop {
  const area = src * src;
  let crop: { x: number; y: number; w: number; h: number } | null = null;
  const logLo = Math.log(o.ratio[0]);
  const logHi = Math.log(o.ratio[1]);
  for (let t = 0; t < 10 && !crop; t++) {
    const target = area * rng.uniform(o.scale[0], o.scale[1]);
    const ar = Math.exp(rng.uniform(logLo, logHi));
    const w = Math.sqrt(target * ar);
    const h = Math.sqrt(target / ar);
    if (w <= src && h <= src) crop = { x: rng.uniform(0, src - w), y: rng.uniform(0, src - h), w, h };
  }
  crop ??= { x: 0, y: 0, w: src, h: src };
  const flip = rng.next() < o.flip;
  const j = o.jitter;
  return {
    ...crop,
    flip,
    brightness: j > 0 ? rng.uniform(1 - j, 1 + j) : 1,
    contrast: j > 0 ? rng.uniform(1 - j, 1 + j) : 1,
    saturation: j > 0 ? rng.uniform(1 - j, 1 + j) : 1,
  };
}

/**
 * Resamples `crop` of the src×src uint8 image at `srcOffset` in `pixels` into
 * `out` (size×size×3 floats in [-1, 1]) at `outOffset`. Bilinear, pixel-centre aligned.
 */
export function renderCrop(
  pixels: Uint8Array,
  srcOffset: number,
  src: number,
  crop: Crop,
  size: number,
  out: Float32Array,
  outOffset: number,
): void {
  const sx = crop.w / size;
  const sy = crop.h / size;
  const row = src * 3;
  const max = src - 1;
  let meanLuma = 0;
  for (let oy = 0; oy < size; oy++) {
    let fy = crop.y + (oy + 0.5) * sy - 0.5;
    if (fy < 0) fy = 0;
    else if (fy > max) fy = max;
    const y0 = Math.floor(fy);
    const y1 = y0 < max ? y0 + 1 : y0;
    const wy = fy - y0;
    for (let ox = 0; ox < size; ox++) {
      const xx = crop.flip ? size - 1 - ox : ox;
      let fx = crop.x + (xx + 0.5) * sx - 0.5;
      if (fx < 0) fx = 0;
      else if (fx > max) fx = max;
      const x0 = Math.floor(fx);
      const x1 = x0 < max ? x0 + 1 : x0;
      const wx = fx - x0;
      const p00 = srcOffset + y0 * row + x0 * 3;
      const p01 = srcOffset + y0 * row + x1 * 3;
      const p10 = srcOffset + y1 * row + x0 * 3;
      const p11 = srcOffset + y1 * row + x1 * 3;
      const o = outOffset + (oy * size + ox) * 3;
      for (let c = 0; c < 3; c++) {
        const top = pixels[p00 + c]! + (pixels[p01 + c]! - pixels[p00 + c]!) * wx;
        const bot = pixels[p10 + c]! + (pixels[p11 + c]! - pixels[p10 + c]!) * wx;
        out[o + c] = (top + (bot - top) * wy) / 255;
      }
      meanLuma += 0.299 * out[o]! + 0.587 * out[o + 1]! + 0.114 * out[o + 2]!;
    }
  }
  meanLuma /= size * size;
  const { brightness: b, contrast: k, saturation: s } = crop;
  const n = size * size * 3;
  const jitter = b !== 1 || k !== 1 || s !== 1;
  for (let i = outOffset; i < outOffset + n; i += 3) {
    let r = out[i]!;
    let g = out[i + 1]!;
    let bl = out[i + 2]!;
    if (jitter) {
      const l = 0.299 * r + 0.587 * g + 0.114 * bl;
      r = (l + (r - l) * s) * b;
      g = (l + (g - l) * s) * b;
      bl = (l + (bl - l) * s) * b;
      const m = meanLuma * b;
      r = m + (r - m) * k;
      g = m + (g - m) * k;
      bl = m + (bl - m) * k;
      r = r < 0 ? 0 : r > 1 ? 1 : r;
      g = g < 0 ? 0 : g > 1 ? 1 : g;
      bl = bl < 0 ? 0 : bl > 1 ? 1 : bl;
    }
    out[i] = r * 2 - 1;
    out[i + 1] = g * 2 - 1;
    out[i + 2] = bl * 2 - 1;
  }
}

/** Copies (or bilinearly resizes) whole uint8 images into network input in [-1, 1]. */
export function renderWhole(pixels: Uint8Array, srcOffset: number, src: number, size: number, out: Float32Array, outOffset: number): void {
  renderCrop(pixels, srcOffset, src, { x: 0, y: 0, w: src, h: src, flip: false, brightness: 1, contrast: 1, saturation: 1 }, size, out, outOffset);
}
