/**
 * One seeded PRNG for every random choice of a render (initial noise,
 * transforms), so the same seed gives the same image. sfc32 seeded via
 * splitmix32; `normal` uses Box–Muller.
 */
/** Normal noise for a batch: item i drawn from its own seed when `seed` is a list. */
export function batchNormal(seed: number | readonly number[], batch: number, perItem: number, std: number): Float32Array {
  if (typeof seed === 'number') return new Rng(seed).normalArray(batch * perItem, std);
  if (seed.length !== batch) throw new Error(`${seed.length} seeds for a batch of ${batch}`);
  const out = new Float32Array(batch * perItem);
  seed.forEach((s, i) => out.set(new Rng(s).normalArray(perItem, std), i * perItem));
  return out;
}

/** Uniform noise in [lo, hi) for a batch: item i drawn from its own seed when `seed` is a list. */
export function batchUniform(seed: number | readonly number[], batch: number, perItem: number, lo: number, hi: number): Float32Array {
  const draw = (s: number, n: number): Float32Array => {
    const r = new Rng(s);
    return Float32Array.from({ length: n }, () => r.uniform(lo, hi));
  };
  if (typeof seed === 'number') return draw(seed, batch * perItem);
  if (seed.length !== batch) throw new Error(`${seed.length} seeds for a batch of ${batch}`);
  const out = new Float32Array(batch * perItem);
  seed.forEach((s, i) => out.set(draw(s, perItem), i * perItem));
  return out;
}

/**
 * sfc32 (Chris Doty-Humphrey's small fast counter generator): 128-bit state,
 * good statistical quality. Subclasses choose how seeds become the state.
 */
export class Sfc32 {
  protected a: number;
  protected b: number;
  protected c: number;
  protected d: number;

  protected constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }
}

/** The render's generator: one seed, splitmix32 into the sfc32 state. */
export class Rng extends Sfc32 {
  private spare: number | null = null;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    const a = next();
    const b = next();
    const c = next();
    const d = next();
    super(a, b, c, d);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  int(lo: number, hiInclusive: number): number {
    return lo + Math.floor(this.next() * (hiInclusive - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  normalArray(n: number, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal() * std;
    return out;
  }
}
