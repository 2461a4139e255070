/**
 * Seeded pseudo-random numbers for training: shuffling, augmentation and
 * initialiser seeds. Counter-based, so the stream for (seed, epoch, step) can
 * be recreated after a resume without storing any generator state.
 */
import { Sfc32 } from '../optvis/rng.js';

/** sfc32 (shared with the renderer's Rng, which takes one seed) seeded from any number of keys. */
export class KeyedRng extends Sfc32 {
  constructor(...keys: number[]) {
    // Mix the keys into four state words (splitmix32-style); Sfc32 warms up.
    let h = 0x9e3779b9;
    const mix = (v: number): number => {
      h = (h + (v >>> 0) + 0x7f4a7c15) >>> 0;
      let z = h;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (const k of keys) mix(k);
    const a = mix(1);
    const b = mix(2);
    const c = mix(3);
    const d = mix(4);
    super(a, b, c, d);
  }

  nextU32(): number {
    return this.uint32();
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Seed for a tf initializer / tf.random* op (positive int32). */
  tfSeed(): number {
    return (this.nextU32() % 2147483646) + 1;
  }

  /** The generator's state (for tests and checkpoints). */
  state(): [number, number, number, number] {
    return [this.a, this.b, this.c, this.d];
  }
}

/** Fisher–Yates permutation of 0..n-1 for (seed, epoch). */
export function epochPermutation(n: number, seed: number, epoch: number): Uint32Array {
  const rng = new KeyedRng(seed, 0x5eed, epoch);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}
