/**
 * Dataset subsets for notebooks: a few images per class folder (so a small CI
 * subset still covers every class) and seeded random picks (the chance floor
 * of the interpretability score).
 */
import path from 'node:path';
import { listImages } from '../data/folder.js';
import { FeatvisError } from '../models/errors.js';
import { Rng } from '../optvis/rng.js';

/**
 * The first `perFolder` images (sorted) of every top-level subfolder of
 * `root` (images directly in `root` count as one folder); all images when
 * perFolder is 0. Absolute paths, sorted.
 */
export function imageSubset(root: string, perFolder = 0): string[] {
  if (!Number.isInteger(perFolder) || perFolder < 0) throw new FeatvisError(`images per folder must be an integer ≥ 0, got ${perFolder}`);
  const all = listImages(root);
  if (all.length === 0) throw new FeatvisError(`no images in ${root}`);
  if (perFolder === 0) return all.map((e) => e.path);
  const taken = new Map<string, number>();
  const out: string[] = [];
  for (const e of all) {
    const folder = e.id.includes('/') ? e.id.slice(0, e.id.indexOf('/')) : '.';
    const n = taken.get(folder) ?? 0;
    if (n < perFolder) {
      out.push(e.path);
      taken.set(folder, n + 1);
    }
  }
  return out;
}

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
