/**
 * Per-step random transforms ("transformation robustness", Olah et al. 2017):
 * a list of steps, each plain data so runs can record and compare them:
 *
 *   { op: 'pad', px, mode?: 'constant' | 'reflect', value? }   grow the canvas by px on each side
 *   { op: 'jitter', px }            random shift by up to ±px (whole pixels)
 *   { op: 'scale', factors }        one random zoom factor from the list
 *   { op: 'rotate', degrees }       one random angle from the list
 *   { op: 'crop', scale: [lo, hi] } random square crop of side lo…hi × the image, resized back
 *   { op: 'noise', std }            additive Gaussian noise
 *   { op: 'resize', size }          bilinear resize to size × size (e.g. the model's input)
 *
 * Consecutive geometric steps (jitter, scale, rotate, crop) are applied as ONE
 * bilinear resampling: zoom and rotate about the centre, then shift; their
 * random parameters are drawn in list order. When the draws come to a
 * whole-pixel shift, the same image is made with slices (shift.ts), and a
 * constant pad followed by such a shift within it with one asymmetric pad. Every random choice is made once
 * per step for the whole batch (as lucid does) from the render's seeded Rng, so
 * a channel's image depends on the render seed and not on its batch-mates.
 */
import { tf, type Tensor4D } from '../backend/tf.js';
import { FeatvisError, quoteName } from '../core/errors.js';
import { affineSampleShared, type Affine } from './affine.js';
import { padShifted, shiftClamped } from './shift.js';
import type { Rng } from './rng.js';

export type TransformStep =
  | { op: 'pad'; px: number; mode?: 'constant' | 'reflect'; value?: number }
  | { op: 'jitter'; px: number }
  | { op: 'scale'; factors: number[] }
  | { op: 'rotate'; degrees: number[] }
  | { op: 'crop'; scale: [number, number] }
  | { op: 'noise'; std: number }
  | { op: 'resize'; size: number };

export type TransformList = readonly TransformStep[];

export const NO_TRANSFORMS: TransformList = [];

/** Lucid's "standard_transforms" in pixel units, as tuned for 224 px InceptionV1 inputs. */
export const STANDARD_TRANSFORMS: TransformList = [
  { op: 'pad', px: 12, mode: 'constant' },
  { op: 'jitter', px: 8 },
  { op: 'scale', factors: [1, 0.975, 1.025, 0.95, 1.05] },
  { op: 'rotate', degrees: [-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5] },
];

export const TRANSFORM_PRESETS = ['none', 'jitter', 'standard', 'scaled', 'crops'] as const;
export type TransformPreset = (typeof TRANSFORM_PRESETS)[number];

/**
 * A preset for images of `size` px:
 *   none       nothing
 *   jitter     jitter 8 px
 *   standard   lucid's standard set, in fixed pixels (pad 12, jitter 8, ±5 % zoom, ±5°)
 *   scaled     the standard set with pad and jitter scaled to the image size (× size / 224)
 *   crops      random crops (50–100 % of the side) and light noise (MACO-style)
 */
export function transformPreset(name: string, size = 224): TransformList {
  switch (name) {
    case 'none':
      return NO_TRANSFORMS;
    case 'jitter':
      return [{ op: 'jitter', px: 8 }];
    case 'standard':
      return STANDARD_TRANSFORMS;
    case 'scaled':
      return scaleTransforms(STANDARD_TRANSFORMS, size / 224);
    case 'crops':
      return [
        { op: 'crop', scale: [0.5, 1] },
        { op: 'noise', std: 0.02 },
      ];
    default:
      throw new FeatvisError(`unknown transform preset ${quoteName(name)} (use ${TRANSFORM_PRESETS.join(', ')})`);
  }
}

/** The list with every pixel amount (pad, jitter) multiplied by `k` (rounded, at least 1 where it was > 0). */
export function scaleTransforms(list: TransformList, k: number): TransformList {
  const px = (v: number): number => (v > 0 ? Math.max(1, Math.round(v * k)) : 0);
  return list.map((s) => (s.op === 'pad' || s.op === 'jitter' ? { ...s, px: px(s.px) } : s));
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Checks an untrusted transform list (from a config or a notebook) and returns
 * it typed. Also accepts a preset name and featvis 0.1's object form
 * `{ pad, padMode, jitter, scales, rotateDegrees }`.
 */
export function parseTransforms(raw: unknown, size = 224, where = 'transforms'): TransformList {
  if (typeof raw === 'string') return transformPreset(raw, size);
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) return fromObjectForm(raw as Record<string, unknown>, where);
  if (!Array.isArray(raw)) throw new FeatvisError(`${where}: expected a preset name or a list of steps such as [{"op": "jitter", "px": 8}]`);
  return raw.map((s: unknown, i) => checkStep(s, `${where}[${i}]`));
}

function checkStep(s: unknown, where: string): TransformStep {
  if (typeof s !== 'object' || s === null) throw new FeatvisError(`${where}: expected an object with an "op"`);
  const o = s as Record<string, unknown>;
  const bad = (what: string): FeatvisError => new FeatvisError(`${where} (${String(o.op)}): ${what}`);
  const list = (v: unknown, ok: (x: number) => boolean): number[] => {
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => isNum(x) && ok(x))) throw bad('needs a non-empty list of valid numbers');
    return v as number[];
  };
  switch (o.op) {
    case 'pad':
      if (!isNum(o.px) || !Number.isInteger(o.px) || o.px < 0 || o.px > 1024) throw bad('px must be an integer in 0–1024');
      if (o.mode !== undefined && o.mode !== 'constant' && o.mode !== 'reflect') throw bad('mode must be constant or reflect');
      if (o.value !== undefined && !isNum(o.value)) throw bad('value must be a number');
      return { op: 'pad', px: o.px, ...(o.mode ? { mode: o.mode } : {}), ...(o.value !== undefined ? { value: o.value as number } : {}) };
    case 'jitter':
      if (!isNum(o.px) || !Number.isInteger(o.px) || o.px < 0 || o.px > 1024) throw bad('px must be an integer in 0–1024');
      return { op: 'jitter', px: o.px };
    case 'scale':
      return { op: 'scale', factors: list(o.factors, (x) => x > 0.05 && x < 20) };
    case 'rotate':
      return { op: 'rotate', degrees: list(o.degrees, (x) => Math.abs(x) <= 360) };
    case 'crop': {
      const sc = list(o.scale, (x) => x > 0 && x <= 1);
      if (sc.length !== 2 || sc[0]! > sc[1]!) throw bad('scale must be [lo, hi] with 0 < lo ≤ hi ≤ 1');
      return { op: 'crop', scale: [sc[0]!, sc[1]!] };
    }
    case 'noise':
      if (!isNum(o.std) || o.std < 0 || o.std > 10) throw bad('std must be a number in 0–10');
      return { op: 'noise', std: o.std };
    case 'resize':
      if (!isNum(o.size) || !Number.isInteger(o.size) || o.size < 8 || o.size > 4096) throw bad('size must be an integer in 8–4096');
      return { op: 'resize', size: o.size };
    default:
      throw new FeatvisError(`${where}: unknown op ${JSON.stringify(o.op)} (known: pad, jitter, scale, rotate, crop, noise, resize)`);
  }
}

function fromObjectForm(o: Record<string, unknown>, where: string): TransformList {
  const out: unknown[] = [];
  if (o.pad) out.push({ op: 'pad', px: o.pad, mode: o.padMode ?? 'constant' });
  if (o.jitter) out.push({ op: 'jitter', px: o.jitter });
  if (o.scales) out.push({ op: 'scale', factors: o.scales });
  if (o.rotateDegrees) out.push({ op: 'rotate', degrees: o.rotateDegrees });
  const known = new Set(['pad', 'padMode', 'jitter', 'scales', 'rotateDegrees']);
  const extra = Object.keys(o).filter((k) => !known.has(k));
  if (extra.length) throw new FeatvisError(`${where}: unknown field(s) ${extra.join(', ')}`);
  return out.map((s, i) => checkStep(s, `${where}[${i}]`));
}

/** True when the list never changes an image. */
export function isIdentity(list: TransformList): boolean {
  return list.every(
    (s) =>
      (s.op === 'pad' && s.px === 0) ||
      (s.op === 'jitter' && s.px === 0) ||
      (s.op === 'scale' && s.factors.every((f) => f === 1)) ||
      (s.op === 'rotate' && s.degrees.every((d) => d === 0)) ||
      (s.op === 'noise' && s.std === 0),
  );
}

const GEOMETRIC = new Set(['jitter', 'scale', 'rotate', 'crop']);

/** Draws one geometric run's parameters (in list order) and fuses them into one map. */
function drawAffine(run: readonly TransformStep[], h: number, w: number, rng: Rng): Affine {
  const m: Affine = { dx: 0, dy: 0, scale: 1, angle: 0 };
  let crop: { f: number; ox: number; oy: number } | null = null;
  for (const s of run) {
    if (s.op === 'jitter' && s.px) {
      m.dx += rng.int(-s.px, s.px);
      m.dy += rng.int(-s.px, s.px);
    } else if (s.op === 'scale' && s.factors.length) m.scale *= rng.pick(s.factors);
    else if (s.op === 'rotate' && s.degrees.length) m.angle += (rng.pick(s.degrees) * Math.PI) / 180;
    else if (s.op === 'crop') {
      const f = rng.uniform(s.scale[0], s.scale[1]);
      // The crop's centre, in source pixels from the image centre, keeps the window inside.
      crop = { f, ox: rng.uniform(-0.5, 0.5) * (1 - f) * (w - 1), oy: rng.uniform(-0.5, 0.5) * (1 - f) * (h - 1) };
    }
  }
  if (crop) {
    // Zoom by 1/f and shift so the output centre samples the crop's centre:
    // source(c) = c − R⁻¹·d / s  ⇒  d = −s·R·o.
    m.scale /= crop.f;
    const cos = Math.cos(m.angle);
    const sin = Math.sin(m.angle);
    m.dx -= m.scale * (cos * crop.ox - sin * crop.oy);
    m.dy -= m.scale * (sin * crop.ox + cos * crop.oy);
  }
  return m;
}

/** End (exclusive) of the run of consecutive geometric steps starting at `i`. */
function runEnd(list: TransformList, i: number): number {
  let j = i;
  while (j < list.length && GEOMETRIC.has(list[j]!.op)) j++;
  return j;
}

/** A map that only translates by whole pixels (shift.ts computes it exactly, without resampling). */
function wholeShift(m: Affine): boolean {
  return m.scale === 1 && m.angle === 0 && Number.isInteger(m.dx) && Number.isInteger(m.dy);
}

/** One fused geometric run: nothing, a whole-pixel shift, or a bilinear resampling. */
function resample(x: Tensor4D, m: Affine): Tensor4D {
  if (!m.dx && !m.dy && m.scale === 1 && !m.angle) return x;
  return wholeShift(m) ? shiftClamped(x, m.dx, m.dy) : affineSampleShared(x, m);
}

/** Applies the list to a batch with fresh random parameters from `rng`. */
export function applyTransforms(images: Tensor4D, list: TransformList, rng: Rng): Tensor4D {
  if (list.length === 0) return images;
  return tf.tidy(() => {
    let x = images;
    for (let i = 0; i < list.length; ) {
      const s = list[i]!;
      if (GEOMETRIC.has(s.op)) {
        const j = runEnd(list, i);
        x = resample(x, drawAffine(list.slice(i, j), x.shape[1], x.shape[2], rng));
        i = j;
        continue;
      }
      if (s.op === 'pad' && s.px > 0) {
        const p: Array<[number, number]> = [[0, 0], [s.px, s.px], [s.px, s.px], [0, 0]];
        const value = s.value ?? 0.5;
        if (s.mode !== 'reflect' && GEOMETRIC.has(list[i + 1]?.op ?? '')) {
          // A constant pad then a whole-pixel shift within it is one asymmetric pad (same draws, same image).
          const j = runEnd(list, i + 1);
          const m = drawAffine(list.slice(i + 1, j), x.shape[1] + 2 * s.px, x.shape[2] + 2 * s.px, rng);
          x = wholeShift(m) && Math.abs(m.dx) <= s.px && Math.abs(m.dy) <= s.px ? padShifted(x, s.px, value, m.dx, m.dy) : resample(tf.pad(x, p, value), m);
          i = j;
          continue;
        }
        x = s.mode === 'reflect' ? tf.mirrorPad(x, p, 'reflect') : tf.pad(x, p, value);
      } else if (s.op === 'noise' && s.std > 0) {
        // One noise field per step, shared by the batch like every other draw.
        x = tf.add(x, tf.randomNormal([1, x.shape[1], x.shape[2], x.shape[3]], 0, s.std, 'float32', rng.uint32()));
      } else if (s.op === 'resize' && (x.shape[1] !== s.size || x.shape[2] !== s.size)) {
        x = tf.image.resizeBilinear(x, [s.size, s.size], true);
      }
      i++;
    }
    return x;
  });
}
