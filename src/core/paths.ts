/** Locates files shipped with featvis (data/…) from both src/ (tsx) and dist/src/ (compiled). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The featvis package root: the nearest folder above this file with featvis's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        if ((JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string }).name === 'featvis') return (root = dir);
      } catch {
        // not ours; keep climbing
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('featvis package root not found');
    dir = up;
  }
}

/** A file under the package's data/ folder. */
export function dataFile(...parts: string[]): string {
  return path.join(packageRoot(), 'data', ...parts);
}

/**
 * The shared development data (real models and images): FEATVIS_SHARED, else
 * `../shared` beside the package. Never part of the package; callers check that
 * what they need exists and say so when it does not.
 */
export function sharedDir(...parts: string[]): string {
  return path.join(process.env.FEATVIS_SHARED ?? path.resolve(packageRoot(), '..', 'shared'), ...parts);
}
