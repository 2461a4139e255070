/** Fuzz inputs: the seeds a run mutates, input `i` of a run, and error messages grouped for counting. */
import fs from 'node:fs';
import path from 'node:path';
import { inputSeed, mutateBytes, mutateJson, Rng } from './mutate.js';
import { TARGETS, type FuzzTarget, type SeedOptions } from './targets.js';

export function loadSeeds(dir: string, target: string): Uint8Array[] {
  const d = path.join(dir, target);
  if (!fs.existsSync(d)) return [];
  return fs
    .readdirSync(d)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => new Uint8Array(fs.readFileSync(path.join(d, f))));
}

/** Input `index` of run `seed`: a seed picked and mutated, both by the input's own RNG. */
export function makeInput(t: FuzzTarget, seeds: readonly Uint8Array[], seed: number, index: number): Uint8Array {
  const rng = new Rng(inputSeed(seed, index));
  const base = rng.pick(seeds);
  if (t.json && rng.chance(0.5)) {
    const mutated = mutateJson(rng, Buffer.from(base).toString('utf8'));
    if (mutated !== null) {
      const bytes = new Uint8Array(Buffer.from(mutated, 'utf8'));
      return rng.chance(0.2) ? mutateBytes(rng, bytes, seeds, t.maxBytes) : bytes.subarray(0, t.maxBytes);
    }
  }
  return mutateBytes(rng, base, seeds, t.maxBytes);
}

/** A message with its numbers and quoted names replaced, so variants of one error count once. */
export function normaliseMessage(m: string): string {
  return m
    .replace(/(Unexpected token .{1,8}), .*? is not valid JSON/, '$1, … is not valid JSON')
    .replace(/'[^']{0,200}'/g, "'…'")
    .replace(/0x[0-9a-f]+/gi, '#')
    .replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi, '#')
    .slice(0, 300);
}

/** Writes every available target's seeds under `dir/<target>/NN.bin`; returns the targets left out and why. */
export function writeSeeds(dir: string, opts: SeedOptions, only?: readonly string[]): Map<string, string> {
  const missing = new Map<string, string>();
  for (const t of TARGETS) {
    if (only && !only.includes(t.name)) continue;
    const seeds = t.seeds(opts);
    if (seeds.length === 0) {
      missing.set(t.name, t.unavailable ?? 'no seeds');
      continue;
    }
    fs.mkdirSync(path.join(dir, t.name), { recursive: true });
    seeds.forEach((s, i) => fs.writeFileSync(path.join(dir, t.name, `${String(i).padStart(2, '0')}.bin`), s));
  }
  return missing;
}
