/**
 * Hostile image folders (issue 14, item 6): FIFOs, self-symlinks, symlink
 * loops and cycles, broken links and a 1,200-level folder are walked once, in
 * bounded time and memory, and every skipped entry is listed with its reason.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { MAX_FOLDER_DEPTH, resolveImageSource, walkImages } from '../src/data/folder.js';
import { runMeasured } from './helpers/measured.js';

let root = '';
let deepImage = '';
let hasFifo = false;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-folder-'));
  const png = await sharp({ create: { width: 40, height: 40, channels: 3, background: { r: 10, g: 200, b: 90 } } }).png().toBuffer();
  fs.writeFileSync(path.join(root, 'a.png'), png);
  fs.mkdirSync(path.join(root, 'sub'));
  fs.writeFileSync(path.join(root, 'sub', 'b.png'), png);
  fs.writeFileSync(path.join(root, 'notes.txt'), 'not an image');
  fs.writeFileSync(path.join(root, '.hidden.png'), png);
  hasFifo = spawnSync('mkfifo', [path.join(root, 'fifo.jpg')]).status === 0;
  fs.symlinkSync('self.jpg', path.join(root, 'self.jpg'));
  fs.symlinkSync('loop2.png', path.join(root, 'loop1.png'));
  fs.symlinkSync('loop1.png', path.join(root, 'loop2.png'));
  fs.symlinkSync('missing.png', path.join(root, 'dangling.png'));
  fs.symlinkSync('..', path.join(root, 'sub', 'up')); // cycle back to the root
  fs.symlinkSync('sub', path.join(root, 'alias')); // the same folder twice
  // 1,200 nested folders, an image at level 10 and one at the bottom.
  let dir = path.join(root, 'deep');
  for (let i = 1; i <= 1200; i++) {
    fs.mkdirSync(dir);
    if (i === 10) fs.writeFileSync(path.join(dir, 'level10.png'), png);
    dir = path.join(dir, 'd');
  }
  deepImage = path.join(dir, 'bottom.png');
  fs.mkdirSync(dir);
  fs.writeFileSync(deepImage, png);
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

const level10 = `deep/${Array(9).fill('d').join('/')}/level10.png`;

function expectListing(entries: string[], skipped: Array<{ id: string; reason: string }>): void {
  assert.deepEqual(entries, ['a.png', level10, 'sub/b.png']);
  const reason = (id: string) => skipped.filter((s) => s.id === id).map((s) => s.reason);
  if (hasFifo) assert.deepEqual(reason('fifo.jpg'), ['a FIFO (named pipe), not a regular file']);
  assert.deepEqual(reason('self.jpg'), ['symbolic link loop']);
  assert.deepEqual(reason('loop1.png'), ['symbolic link loop']);
  assert.deepEqual(reason('loop2.png'), ['symbolic link loop']);
  assert.deepEqual(reason('dangling.png'), ['broken symbolic link (its target does not exist)']);
  assert.deepEqual(reason('sub/up'), ['symbolic link to a folder already listed (the dataset root): a cycle or an alias']);
  assert.equal(skipped.filter((s) => s.id === 'alias' || s.id === 'sub').length, 1, 'sub and alias: one listed, the other skipped');
  assert.deepEqual(reason('.hidden.png'), ['hidden file (name starts with a dot)']);
  const depth = skipped.filter((s) => /depth limit/.test(s.reason));
  assert.equal(depth.length, 1);
  assert.equal(depth[0]!.id.split('/').length, MAX_FOLDER_DEPTH + 1);
  assert.match(depth[0]!.reason, new RegExp(`folder nested more than ${MAX_FOLDER_DEPTH} levels below the dataset root: not searched \\(depth limit\\)`));
  assert.ok(!skipped.some((s) => s.id === 'notes.txt'), 'other files are not listed');
  assert.ok(skipped.length <= 10, `skipped: ${JSON.stringify(skipped)}`);
}

test('one walk lists every skipped entry with its reason, in bounded time and memory (child process)', { timeout: 60_000 }, async (t) => {
  const r = await runMeasured('test/helpers/hostileChild.ts', ['images', root], { timeoutMs: 30_000, killAboveMB: 2048 });
  assert.equal(r.killed, null, String(r.killed));
  const line = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { outcome: string; message?: string; entries: string[]; skipped: Array<{ id: string; reason: string }>; ms: number };
  assert.equal(line.outcome, 'ok', line.message);
  expectListing(line.entries, line.skipped);
  assert.ok(line.ms < 2000, `walk took ${line.ms} ms`);
  assert.ok(r.peakRssMB < 400, `peak RSS ${r.peakRssMB} MB`);
  t.diagnostic(`walk of the hostile folder: ${line.ms.toFixed(0)} ms, child peak RSS ${r.peakRssMB.toFixed(0)} MB, ${line.entries.length} images, ${line.skipped.length} skipped`);
});

test('a deeper limit reaches deeper images; the dataset keeps the skipped list', () => {
  const deeper = walkImages(root, { maxDepth: 2000 });
  assert.ok(deeper.entries.some((e) => e.path === deepImage));
  assert.ok(!deeper.skipped.some((s) => /depth limit/.test(s.reason)));
  const ds = resolveImageSource(root);
  expectListing(ds.entries.map((e) => e.id), ds.skipped);
  assert.deepEqual(resolveImageSource({ root, limit: 1 }).skipped, ds.skipped);
  assert.deepEqual(resolveImageSource([path.join(root, 'a.png')]).skipped, []);
});

test('featvis top9 on the hostile folder mines its images and prints and saves the skipped entries with reasons', { timeout: 180_000 }, async (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-top9-'));
  try {
    const r = await runMeasured('src/cli/main.ts', ['top9', '--images', root, '--out', out, '--batch', '4', '--sheets', '0-1'], { timeoutMs: 150_000, killAboveMB: 3000 });
    assert.equal(r.killed, null, String(r.killed));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.seconds < 60, `${r.seconds} s`);
    assert.match(r.stdout, /mined 3 images/);
    assert.match(r.stdout, /skipped \d+ folder entries:/);
    assert.match(r.stdout, /self\.jpg: symbolic link loop/);
    assert.match(r.stdout, /up: symbolic link to a folder already listed \(the dataset root\)/);
    assert.match(r.stdout, /depth limit/);
    const listed = fs.readFileSync(path.join(out, 'skipped-entries.txt'), 'utf8').trim().split('\n');
    assert.ok(listed.length >= 7 && listed.every((l) => /\t\S/.test(l)), listed.join('\n'));
    t.diagnostic(`featvis top9 on the hostile folder: ${r.seconds.toFixed(1)} s, peak RSS ${r.peakRssMB.toFixed(0)} MB`);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
