#!/usr/bin/env node
// Makes @tensorflow/tfjs-node usable after `npm install`, online or offline.
//
// 1. If the native binding already loads, there is nothing to do.
// 2. Normal path (internet): the package's own installer downloads libtensorflow
//    and a prebuilt binding.
// 3. Offline path: take the TensorFlow C library + headers from the
//    tensorflow-cpu wheel that pip can reach (a local mirror here), cache them
//    under ~/.cache/featvis, and compile the binding against them with node-gyp
//    using the local Node headers (npm's `nodedir`).
// 4. If all of that fails, featvis still runs on the pure-JS backend and says
//    so loudly at start-up; this script then exits 0 so `npm install` succeeds.
//
// Environment knobs:
//   FEATVIS_SKIP_TFJS_SETUP=1   do nothing
//   FEATVIS_TFJS_OFFLINE=1      skip the download attempt (step 2)
//   FEATVIS_TF_WHEEL=<file.whl> use this tensorflow(-cpu) wheel for step 3
//   FEATVIS_CACHE=<dir>         cache root (default $XDG_CACHE_HOME/featvis or ~/.cache/featvis)

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const TF_WHEEL_VERSION = '2.21.0';
const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(here, '..');
const require = createRequire(path.join(projectRoot, 'package.json'));

function log(msg) {
  console.log(`[featvis setup] ${msg}`);
}

function findTfjsNode() {
  try {
    return path.dirname(require.resolve('@tensorflow/tfjs-node/package.json'));
  } catch {
    return null;
  }
}

function bindingLoads(pkgDir) {
  // Load in a child process: a broken binding can abort the process.
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(pkgDir)}); process.exit(0)`], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return r.status === 0;
}

function cacheRoot() {
  if (process.env.FEATVIS_CACHE) return process.env.FEATVIS_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'featvis');
}

function binDirs(pkgDir) {
  // node-pre-gyp and node-gyp must be on PATH for the package's installer.
  const dirs = [path.join(projectRoot, 'node_modules', '.bin'), path.join(pkgDir, 'node_modules', '.bin')];
  const npmGyp = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'node-gyp-bin');
  if (fs.existsSync(npmGyp)) dirs.push(npmGyp);
  return dirs;
}

/**
 * Whether the host tfjs-node downloads libtensorflow from resolves (a child
 * process, so this synchronous script can wait for the DNS answer, at most 5 s).
 * Offline machines learn it here in one line instead of from the package
 * installer's uncaught ENOTFOUND stack trace.
 */
export function downloadHostReachable(host = 'storage.googleapis.com') {
  const r = spawnSync(process.execPath, ['-e', `require('dns').lookup(${JSON.stringify(host)}, (e) => process.exit(e ? 1 : 0))`], { timeout: 5_000 });
  return r.status === 0;
}

/** The line worth showing from a failed installer's output (its last error), not its stack trace. */
export function installerFailure(output) {
  const lines = String(output).split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.filter((l) => /\b(E[A-Z]{3,}|Error|error|failed)\b/.test(l) && !/^at /.test(l)).at(-1);
  return (err ?? lines.at(-1) ?? 'no output').slice(0, 200);
}

function runInstaller(pkgDir, extraEnv, timeoutMs) {
  const env = { ...process.env, ...extraEnv };
  env.PATH = [...binDirs(pkgDir), env.PATH ?? ''].join(path.delimiter);
  // npm exports its settings to scripts as npm_config_*; node-gyp reads nodedir
  // from there, so the local Node headers are used instead of a download.
  if (!env.npm_config_nodedir) {
    const guess = path.resolve(path.dirname(process.execPath), '..');
    if (fs.existsSync(path.join(guess, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = guess;
  }
  // The installer's own output (progress bars, or a stack trace when it fails) is kept to
  // say in one line what went wrong; FEATVIS_DEBUG=1 shows all of it.
  const r = spawnSync(process.execPath, ['scripts/install.js'], {
    cwd: pkgDir,
    env,
    stdio: process.env.FEATVIS_DEBUG ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: timeoutMs,
  });
  const ok = r.status === 0 && !r.error;
  if (!ok && !process.env.FEATVIS_DEBUG) log(`the tfjs-node installer failed: ${installerFailure(`${r.stdout ?? ''}\n${r.stderr ?? ''}\n${r.error?.message ?? ''}`)}`);
  return ok;
}

function pipFindLinks() {
  // Local mirrors named in pip's config: file:// index URLs and find-links folders.
  const r = spawnSync('python3', ['-m', 'pip', 'config', 'list'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) return [];
  const links = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^[^=]*\.(extra-index-url|index-url|find-links)='(.*)'$/.exec(line.trim());
    if (!m) continue;
    for (const item of m[2].split(/\s+/).filter(Boolean)) {
      const local = item.startsWith('file://') ? fileURLToPath(item) : item;
      if (!path.isAbsolute(local) || !fs.existsSync(local)) continue;
      if (m[1] === 'find-links') links.push(local);
      else links.push(path.join(local, 'tensorflow-cpu'));
    }
  }
  return [...new Set(links)].filter((p) => fs.existsSync(p));
}

function fetchWheel(dir) {
  if (process.env.FEATVIS_TF_WHEEL) return process.env.FEATVIS_TF_WHEEL;
  fs.mkdirSync(dir, { recursive: true });
  const existing = fs.readdirSync(dir).find((f) => f.startsWith('tensorflow_cpu-') && f.endsWith('.whl'));
  if (existing) return path.join(dir, existing);
  const links = pipFindLinks();
  const args = ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '-d', dir, `tensorflow-cpu==${TF_WHEEL_VERSION}`];
  if (links.length > 0) {
    args.push('--no-index');
    for (const l of links) args.push('--find-links', l);
  }
  log(`fetching tensorflow-cpu ${TF_WHEEL_VERSION} wheel with pip${links.length ? ` (local mirror: ${links.join(', ')})` : ''}`);
  const r = spawnSync('python3', args, { stdio: 'inherit', timeout: 30 * 60_000 });
  if (r.status !== 0) throw new Error('pip could not fetch the tensorflow-cpu wheel');
  const got = fs.readdirSync(dir).find((f) => f.startsWith('tensorflow_cpu-') && f.endsWith('.whl'));
  if (!got) throw new Error('pip reported success but no wheel was written');
  return path.join(dir, got);
}

const EXTRACT_PY = `
import sys, zipfile, os
whl, out = sys.argv[1], sys.argv[2]
want_lib = {'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'}
inc = 'tensorflow/include/'
keep = ('tensorflow/c/', 'tensorflow/core/platform/', 'tsl/', 'xla/tsl/')
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        name = info.filename
        if name in want_lib:
            dest = os.path.join(out, 'lib', os.path.basename(name))
        elif name.startswith(inc) and name[len(inc):].startswith(keep) and not name.endswith('/'):
            dest = os.path.join(out, 'include', name[len(inc):])
        else:
            continue
        dest = os.path.normpath(dest)
        if not dest.startswith(os.path.normpath(out) + os.sep):
            raise SystemExit('unsafe path in wheel: ' + name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(info) as src, open(dest + '.part', 'wb') as dst:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                dst.write(chunk)
        os.replace(dest + '.part', dest)
`;

function prepareLibtensorflow() {
  const root = path.join(cacheRoot(), `libtensorflow-from-wheel-${TF_WHEEL_VERSION}`);
  const done = path.join(root, '.complete');
  if (fs.existsSync(done)) return root;
  const wheel = fetchWheel(path.join(cacheRoot(), 'wheels'));
  log(`extracting the TensorFlow C library and headers from ${path.basename(wheel)}`);
  const tmp = `${root}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const r = spawnSync('python3', ['-c', EXTRACT_PY, wheel, tmp], { stdio: 'inherit', timeout: 20 * 60_000 });
  if (r.status !== 0) throw new Error('could not extract libtensorflow from the wheel');
  for (const f of ['lib/libtensorflow_cc.so.2', 'lib/libtensorflow_framework.so.2', 'include/tensorflow/c/c_api.h']) {
    if (!fs.existsSync(path.join(tmp, f))) throw new Error(`wheel lacks ${f}`);
  }
  fs.writeFileSync(path.join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  fs.rmSync(root, { recursive: true, force: true });
  fs.renameSync(tmp, root);
  return root;
}

function linkOrCopy(src, dest) {
  fs.rmSync(dest, { force: true });
  try {
    fs.linkSync(src, dest);
  } catch {
    fs.copyFileSync(src, dest);
  }
}

function stageDeps(pkgDir, libRoot) {
  const deps = path.join(pkgDir, 'deps');
  fs.rmSync(deps, { recursive: true, force: true });
  fs.mkdirSync(path.join(deps, 'lib'), { recursive: true });
  fs.cpSync(path.join(libRoot, 'include'), path.join(deps, 'include'), { recursive: true });
  const lib = (n) => path.join(deps, 'lib', n);
  linkOrCopy(path.join(libRoot, 'lib', 'libtensorflow_cc.so.2'), lib('libtensorflow_cc.so.2'));
  linkOrCopy(path.join(libRoot, 'lib', 'libtensorflow_framework.so.2'), lib('libtensorflow_framework.so.2'));
  // The binding links -ltensorflow -ltensorflow_framework and the package's
  // scripts look for the 2.9.1 names: point them all at the wheel's libraries.
  for (const n of ['libtensorflow.so', 'libtensorflow.so.2', 'libtensorflow.so.2.9.1']) fs.symlinkSync('libtensorflow_cc.so.2', lib(n));
  for (const n of ['libtensorflow_framework.so', 'libtensorflow_framework.so.2.9.1']) fs.symlinkSync('libtensorflow_framework.so.2', lib(n));
  // Tell the package's installer to build the binding from source rather than
  // fetch a prebuilt one that matches the 2.9.1 library.
  fs.writeFileSync(path.join(pkgDir, 'scripts', 'custom-binary.json'), JSON.stringify({ 'tf-lib': `local tensorflow-cpu ${TF_WHEEL_VERSION} wheel` }));
}

function main() {
  if (process.env.FEATVIS_SKIP_TFJS_SETUP) {
    log('FEATVIS_SKIP_TFJS_SETUP set: skipping native TensorFlow setup');
    return;
  }
  const pkgDir = findTfjsNode();
  if (!pkgDir) {
    log('@tensorflow/tfjs-node is not installed; featvis will use the pure-JS backend');
    return;
  }
  if (bindingLoads(pkgDir)) {
    log('native TensorFlow binding already works');
    return;
  }
  if (process.env.FEATVIS_TFJS_OFFLINE) {
    log('FEATVIS_TFJS_OFFLINE set: building the binding against a local TensorFlow wheel');
  } else if (!downloadHostReachable()) {
    log('offline (storage.googleapis.com does not resolve): building the binding against a local TensorFlow wheel instead of downloading libtensorflow');
  } else {
    log('trying the standard tfjs-node install (downloads libtensorflow)');
    if (runInstaller(pkgDir, {}, 10 * 60_000) && bindingLoads(pkgDir)) {
      log('native TensorFlow binding installed (downloaded)');
      return;
    }
    log('download path failed; building against a local TensorFlow wheel instead');
  }
  const started = Date.now();
  const libRoot = prepareLibtensorflow();
  stageDeps(pkgDir, libRoot);
  log('compiling the tfjs-node binding against the wheel\'s libtensorflow');
  if (!runInstaller(pkgDir, {}, 20 * 60_000) || !bindingLoads(pkgDir)) {
    throw new Error('the binding did not build or does not load');
  }
  log(`native TensorFlow binding built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

// Run as a script (npm's postinstall); importing it (tests) only defines the functions above.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (err) {
    console.warn('\n' + '!'.repeat(78));
    console.warn(`[featvis setup] WARNING: no native TensorFlow backend: ${err instanceof Error ? err.message : String(err)}`);
    console.warn('[featvis setup] featvis will run on the pure-JS CPU backend (10-100x slower).');
    console.warn('[featvis setup] Re-run with `node environment/setup-tfjs-node.mjs` once the cause is fixed.');
    console.warn('!'.repeat(78) + '\n');
  }
}
