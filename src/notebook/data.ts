/**
 * Seeded random picks from a dataset (the chance floor of the interpretability
 * score). Subsets of a folder: `sampleFolder` in src/experiments/sweep.ts.
 */
import path from 'node:path';
import { FeatvisError } from '../core/errors.js';
import { Rng } from '../optvis/rng.js';

/** `n` distinct images from `files`, chosen with a seeded generator, avoiding `exclude`. */
export function randomImages(files: readonly string[], n: number, seed: number, exclude: readonly string[] = []): string[] {
  const ex = new Set(exclude.map((f) => path.resolve(f)));
  const pool = files.filter((f) => !ex.has(path.resolve(f)));
  if (pool.length < n) throw new FeatvisError(`asked for ${n} random images but only ${pool.length} are available`);
  const rng = new Rng(seed);
  const arr = [...pool];
  for (let i = 0; i < n; i++) {
    const j = i + (rng.uint32() % (arr.length - i));
    [arr[i], arr[j]] = [arr[j]!, arr[i]!];
  }
  return arr.slice(0, n);
}
