/**
 * Whether the compiled engine the notebooks run (dist/, `npm run build`) is
 * older than the sources: after an edit of src/, the notebooks say so instead
 * of silently running the old code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../core/paths.js';

/** The file `npm run build` touches when it has compiled src/ (scripts/build.mjs). */
export const BUILD_STAMP = path.join('dist', '.build-stamp');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function stampTime(): number | null {
  const stamp = path.join(packageRoot(), BUILD_STAMP);
  return fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : null;
}

const runningFromDist = fileURLToPath(import.meta.url).includes(`${path.sep}dist${path.sep}`);
/** The build this process loaded. */
const loadedBuild = runningFromDist ? stampTime() : null;

/** A note when this code runs from dist/ and is not the current source; else null. */
export function staleBuildNote(): string | null {
  if (!runningFromDist) return null;
  const stamp = stampTime();
  if (stamp !== null && loadedBuild !== null && stamp > loadedBuild) {
    return 'dist/ was rebuilt after this kernel loaded featvis: restart the kernel (Kernel → Restart) to use the new build.';
  }
  const src = path.join(packageRoot(), 'src');
  if (stamp === null || !fs.existsSync(src) || newestMtime(src) <= stamp) return null;
  return 'src/ changed after dist/ was built: this kernel runs the old code. Run `npm run build` and restart the kernel (Kernel → Restart) to use the change.';
}
