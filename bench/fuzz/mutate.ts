/**
 * Seeded mutations for the fuzzers: byte-level (bit flips, interesting
 * values, length-field tweaks, inserts, deletes, duplicated chunks, splices
 * with another seed, truncation) and, for JSON inputs, structural ones
 * (values replaced with other types, extreme numbers or long strings, keys
 * dropped or added, subtrees duplicated or nested deeply).
 */

/** mulberry32: small, fast, good enough for fuzzing; deterministic per seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** A well-mixed 32-bit seed for input `index` of run `seed` (murmur3 finaliser). */
export function inputSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff];
const INTERESTING_32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

type ByteMutation = (rng: Rng, b: Uint8Array, others: readonly Uint8Array[]) => Uint8Array;

const BYTE_MUTATIONS: ReadonlyArray<[string, ByteMutation]> = [
  ['bitflip', (rng, b) => {
    if (b.length === 0) return b;
    const out = b.slice();
    const i = rng.int(out.length);
    out[i]! ^= 1 << rng.int(8);
    return out;
  }],
  ['byte', (rng, b) => {
    if (b.length === 0) return b;
    const out = b.slice();
    out[rng.int(out.length)] = rng.chance(0.5) ? rng.pick(INTERESTING_8) : rng.int(256);
    return out;
  }],
  ['word', (rng, b) => {
    // A 16/32/64-bit little-endian field set to an interesting value, its neighbour or the input length.
    const size = rng.pick([2, 4, 4, 8]);
    if (b.length < size) return b;
    const out = b.slice();
    const at = rng.chance(0.7) ? rng.int(Math.floor(out.length / size)) * size : rng.int(out.length - size + 1);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const cur = size === 2 ? view.getUint16(at, true) : size === 4 ? view.getUint32(at, true) : Number(view.getBigUint64(at, true) & 0xffffffffn);
    const v = rng.pick([
      () => rng.pick(INTERESTING_32),
      () => cur + 1 + rng.int(16),
      () => cur - 1 - rng.int(16),
      () => b.length + rng.int(8) - 4,
      () => cur * 2 + 1,
      () => rng.int(2 ** 32),
    ])();
    const u = v >>> 0;
    if (size === 2) view.setUint16(at, u & 0xffff, true);
    else if (size === 4) view.setUint32(at, u, true);
    else view.setBigUint64(at, rng.chance(0.2) ? 0xffffffffffffffffn - BigInt(rng.int(4)) : BigInt(u), true);
    return out;
  }],
  ['insert', (rng, b) => {
    const at = rng.int(b.length + 1);
    const n = 1 + rng.int(rng.chance(0.8) ? 8 : 256);
    const ins = new Uint8Array(n).map(() => (rng.chance(0.5) ? rng.pick(INTERESTING_8) : rng.int(256)));
    return concat(b.subarray(0, at), ins, b.subarray(at));
  }],
  ['delete', (rng, b) => {
    if (b.length === 0) return b;
    const at = rng.int(b.length);
    const n = 1 + rng.int(Math.min(b.length - at, rng.chance(0.8) ? 8 : 1024));
    return concat(b.subarray(0, at), b.subarray(at + n));
  }],
  ['duplicate', (rng, b) => {
    if (b.length === 0) return b;
    const from = rng.int(b.length);
    const n = 1 + rng.int(Math.min(b.length - from, 512));
    const at = rng.int(b.length + 1);
    const chunk = b.slice(from, from + n);
    const times = rng.chance(0.9) ? 1 : 1 + rng.int(16);
    return concat(b.subarray(0, at), ...new Array<Uint8Array>(times).fill(chunk), b.subarray(at));
  }],
  ['overwrite', (rng, b) => {
    if (b.length < 2) return b;
    const out = b.slice();
    const from = rng.int(out.length);
    const n = 1 + rng.int(Math.min(out.length - from, 64));
    const at = rng.int(out.length - n + 1);
    out.set(b.subarray(from, from + n), at);
    return out;
  }],
  ['splice', (rng, b, others) => {
    const o = rng.pick(others);
    if (o.length === 0) return b;
    return concat(b.subarray(0, rng.int(b.length + 1)), o.subarray(rng.int(o.length)));
  }],
  ['truncate', (rng, b) => b.subarray(0, rng.int(b.length + 1))],
];

export const BYTE_MUTATION_NAMES: readonly string[] = BYTE_MUTATIONS.map(([n]) => n);

/** 1–8 stacked byte mutations of `seed` (fewer more often); the result is capped at `maxBytes`. */
export function mutateBytes(rng: Rng, seed: Uint8Array, others: readonly Uint8Array[], maxBytes: number): Uint8Array {
  let b = seed;
  const n = 1 + Math.min(7, Math.floor(-Math.log2(1 - rng.next() * 0.996)));
  for (let i = 0; i < n; i++) {
    b = rng.pick(BYTE_MUTATIONS)[1](rng, b, others);
    if (b.length > maxBytes) b = b.subarray(0, maxBytes);
  }
  return b === seed ? seed.slice() : b;
}

// ---------------------------------------------------------------- JSON

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function randomValue(rng: Rng, sample: Json): Json {
  const choices: Array<() => Json> = [
    () => null,
    () => rng.chance(0.5),
    () => rng.pick([0, -1, 1, 0.5, -0.5, 2 ** 31, 2 ** 32, 2 ** 53 + 2, -(2 ** 53), 1e308, -1e308, 5e-324, 1e21, 999999999999]),
    () => rng.int(1000),
    () => '',
    () => rng.pick(['../../etc/passwd', '/dev/zero', '</script><script>alert(1)</script>', '%2e%2e/x', 'http://evil.example/x', '\u2028\u0000\n', 'constructor', '__proto__', 'a'.repeat(1 + rng.int(5000))]),
    () => [],
    () => ({}),
    () => Array.from({ length: rng.int(64) }, () => rng.int(10)),
    () => (typeof sample === 'number' ? sample * (rng.chance(0.5) ? -1 : 1000) : typeof sample === 'string' ? sample.repeat(1 + rng.int(4)) : sample),
    () => {
      // deep nesting
      let v: Json = rng.int(3);
      for (let i = 0, n = 1 + rng.int(1500); i < n; i++) v = rng.chance(0.5) ? [v] : { a: v };
      return v;
    },
    () => [sample, sample],
  ];
  return rng.pick(choices)();
}

/** Every (container, key) pair in the tree, breadth first, at most `max`. */
function slots(root: Json, max = 2000): Array<{ parent: Json[] | { [k: string]: Json }; key: string | number }> {
  const out: Array<{ parent: Json[] | { [k: string]: Json }; key: string | number }> = [];
  const queue: Json[] = [root];
  for (let q = 0; q < queue.length && out.length < max; q++) {
    const v = queue[q]!;
    if (Array.isArray(v)) v.forEach((c, i) => (out.push({ parent: v, key: i }), queue.push(c)));
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) out.push({ parent: v, key: k }), queue.push(v[k]!);
  }
  return out;
}

/** 1–4 structural mutations of a JSON document; null when `text` is not JSON. */
export function mutateJson(rng: Rng, text: string): string | null {
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch {
    return null;
  }
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) {
    const all = slots(root);
    if (all.length === 0) {
      root = randomValue(rng, root);
      continue;
    }
    const { parent, key } = rng.pick(all);
    const cur = (parent as Record<string | number, Json>)[key]!;
    const op = rng.int(5);
    if (op === 0 && !Array.isArray(parent)) delete (parent as Record<string, Json>)[key as string];
    else if (op === 1 && Array.isArray(parent)) parent.splice(key as number, 1);
    else if (op === 2 && !Array.isArray(parent)) parent[rng.pick(['extra', 'weights', 'paths', 'dtype', 'shape', 'kind', 'layers', 'sweep'])] = randomValue(rng, cur);
    else (parent as Record<string | number, Json>)[key] = randomValue(rng, cur);
  }
  try {
    return JSON.stringify(root, null, rng.chance(0.5) ? 1 : undefined);
  } catch {
    return text;
  }
}
