#!/usr/bin/env node
// Builds dist/ (the compiled engine behind `import * as fv from 'featvis'`: notebooks and
// other packages) only when the sources changed: dist/.build-stamp is newer than every file
// under src/ and the build settings, else tsc runs (incrementally). `--force` always builds.
// Used by `npm run build`, `npm run notebook` and environment/run-notebooks.py.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.build-stamp');
const say = (m) => console.log(`[featvis build] ${m}`);

function newest(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

const inputs = Math.max(newest(path.join(root, 'src')), ...['tsconfig.json', 'tsconfig.build.json', 'package.json'].map((f) => fs.statSync(path.join(root, f)).mtimeMs));
const force = process.argv.includes('--force');
if (!force && fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs >= inputs && fs.existsSync(path.join(root, 'dist', 'src', 'index.js'))) {
  say('dist/ is up to date');
  process.exit(0);
}
say('compiling src/ → dist/ (tsc -p tsconfig.build.json) …');
const t0 = Date.now();
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  say('tsc reported errors (see above); dist/ is not marked up to date');
  process.exit(r.status ?? 1);
}
fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
say(`built dist/ in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
