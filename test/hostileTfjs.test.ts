/**
 * Hostile TF.js models (issue 14, items 2–4): shards that are FIFOs, devices
 * or huge files, symlinks out of the model folder, and remote manifests that
 * name other hosts or climb out of the model's URL folder.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FeatvisError } from '../src/core/errors.js';
import { relativeUrlInside } from '../src/io/safePaths.js';
import { readTfjsArtifacts } from '../src/models/tfjsFiles.js';
import { runMeasured } from './helpers/measured.js';

let tmp = '';
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-tfjs-hostile-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function modelJson(paths: string[], floats = 4): string {
  return JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: [{ paths, weights: [{ name: 'w', shape: [floats], dtype: 'float32' }] }] });
}

/** A model folder whose manifest names `shard`; returns the folder. */
function modelDir(name: string, floats = 4): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.json'), modelJson(['shard.bin'], floats));
  return dir;
}

async function tfjsInChild(dir: string): Promise<{ line: { outcome: string; message?: string; weightBytes?: number; ms: number }; seconds: number; peakRssMB: number }> {
  const r = await runMeasured('test/helpers/hostileChild.ts', ['tfjs', dir], { timeoutMs: 30_000, killAboveMB: 2048 });
  assert.equal(r.killed, null, String(r.killed));
  assert.equal(r.code, 0, r.stderr);
  return { line: JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { outcome: string; message?: string; ms: number }, seconds: r.seconds, peakRssMB: r.peakRssMB };
}

test('a shard that is a FIFO, or a symlink to /dev/zero, is refused at once, without reading', { timeout: 120_000 }, async (t) => {
  const fifoDir = modelDir('fifo');
  const mk = spawnSync('mkfifo', [path.join(fifoDir, 'shard.bin')]);
  if (mk.status !== 0) return t.skip('mkfifo not available');
  const fifo = await tfjsInChild(fifoDir);
  assert.equal(fifo.line.outcome, 'FeatvisError', fifo.line.message);
  assert.match(fifo.line.message!, /weight shard 'shard\.bin' of .*model\.json is a FIFO \(named pipe\), not a regular file/);
  assert.ok(fifo.seconds < 10 && fifo.peakRssMB < 400, `${fifo.seconds} s, ${fifo.peakRssMB} MB`);
  t.diagnostic(`FIFO shard: refused in ${fifo.line.ms.toFixed(0)} ms, peak RSS ${fifo.peakRssMB.toFixed(0)} MB`);
  if (fs.existsSync('/dev/zero')) {
    const zeroDir = modelDir('devzero');
    fs.symlinkSync('/dev/zero', path.join(zeroDir, 'shard.bin'));
    const zero = await tfjsInChild(zeroDir);
    assert.equal(zero.line.outcome, 'FeatvisError', zero.line.message);
    assert.match(zero.line.message!, /weight path 'shard\.bin' escapes the model folder \(it resolves to '\/dev\/zero'/);
    assert.ok(zero.seconds < 10 && zero.peakRssMB < 400, `${zero.seconds} s, ${zero.peakRssMB} MB`);
    t.diagnostic(`/dev/zero shard: refused in ${zero.line.ms.toFixed(0)} ms, peak RSS ${zero.peakRssMB.toFixed(0)} MB`);
  }
  // A folder named as a shard is refused too.
  const dirDir = modelDir('dirshard');
  fs.mkdirSync(path.join(dirDir, 'shard.bin'));
  await assert.rejects(readTfjsArtifacts(dirDir), /weight shard 'shard\.bin' of .* is a folder, not a file/);
});

test('a 16 GiB (sparse) shard is read only up to the 16 bytes the manifest needs', { timeout: 60_000 }, async (t) => {
  const dir = modelDir('huge');
  const fd = fs.openSync(path.join(dir, 'shard.bin'), 'w');
  fs.writeSync(fd, Buffer.from(new Float32Array([1, 2, 3, 4]).buffer));
  fs.ftruncateSync(fd, 16 * 2 ** 30);
  fs.closeSync(fd);
  const r = await tfjsInChild(dir);
  assert.equal(r.line.outcome, 'ok', r.line.message);
  assert.equal(r.line.weightBytes, 16);
  assert.ok(r.seconds < 10 && r.peakRssMB < 400, `${r.seconds} s, ${r.peakRssMB} MB`);
  t.diagnostic(`16 GiB shard: read 16 bytes in ${r.line.ms.toFixed(0)} ms, peak RSS ${r.peakRssMB.toFixed(0)} MB`);
  const a = await readTfjsArtifacts(dir);
  assert.deepEqual(Array.from(new Float32Array(a.weightData as ArrayBuffer)), [1, 2, 3, 4]);
});

test('symlinks: a shard linking outside the model folder is refused, one inside it is read', async () => {
  const outside = path.join(tmp, 'secret.bin');
  fs.writeFileSync(outside, Buffer.alloc(16, 7));
  const dir = modelDir('linkout');
  fs.symlinkSync(outside, path.join(dir, 'shard.bin'));
  await assert.rejects(readTfjsArtifacts(dir), (err: Error) => err instanceof FeatvisError && /weight path 'shard\.bin' escapes the model folder \(it resolves to '.*secret\.bin', outside /.test(err.message));
  // A symlinked sub-folder leading out is refused as well.
  const dir2 = path.join(tmp, 'linkdir');
  fs.mkdirSync(dir2);
  fs.symlinkSync(tmp, path.join(dir2, 'up'));
  fs.writeFileSync(path.join(dir2, 'model.json'), modelJson(['up/secret.bin']));
  await assert.rejects(readTfjsArtifacts(dir2), /weight path 'up\/secret\.bin' escapes the model folder/);
  // A link that stays inside is fine; so is a model folder that is itself reached through a symlink.
  const dir3 = modelDir('linkin');
  fs.writeFileSync(path.join(dir3, 'real.bin'), Buffer.from(new Float32Array([5, 6, 7, 8]).buffer));
  fs.symlinkSync('real.bin', path.join(dir3, 'shard.bin'));
  fs.symlinkSync(dir3, path.join(tmp, 'alias'));
  for (const d of [dir3, path.join(tmp, 'alias')]) assert.deepEqual(Array.from(new Float32Array((await readTfjsArtifacts(d)).weightData as ArrayBuffer)), [5, 6, 7, 8]);
  // Lexical escapes are still refused before any file system access.
  fs.writeFileSync(path.join(dir3, 'model.json'), modelJson(['/etc/passwd']));
  await assert.rejects(readTfjsArtifacts(dir3), /weight path '\/etc\/passwd' escapes the model folder \(absolute paths are not allowed\)/);
});

test('remote shard paths: only relative paths under the model URL folder, after percent-decoding', () => {
  const model = 'https://models.example/org/net/v1/model.json';
  assert.equal(relativeUrlInside(model, 'group1-shard1of2.bin', 'm'), 'https://models.example/org/net/v1/group1-shard1of2.bin');
  assert.equal(relativeUrlInside(model, 'sub/dir/shard%201.bin', 'm'), 'https://models.example/org/net/v1/sub/dir/shard%201.bin');
  assert.equal(relativeUrlInside(model, './shard.bin', 'm'), 'https://models.example/org/net/v1/shard.bin');
  const refused: Array<[string, RegExp]> = [
    ['https://evil.example/shard.bin', /is an absolute URL/],
    ['HTTP://evil.example/shard.bin', /is an absolute URL/],
    ['//evil.example/shard.bin', /is an absolute URL/],
    ['file:///etc/passwd', /is an absolute URL/],
    ['data:application/octet-stream,AAAA', /is an absolute URL/],
    ['/org/other/shard.bin', /is an absolute path/],
    ['../v2/shard.bin', /escapes the model folder/],
    ['a/../../shard.bin', /escapes the model folder/],
    ['%2e%2e/v2/shard.bin', /escapes the model folder/],
    ['%2E%2E/v2/shard.bin', /escapes the model folder/],
    ['.%2e/v2/shard.bin', /escapes the model folder/],
    ['%252e%252e/v2/shard.bin', /escapes the model folder/],
    ['%2e%2e%2fv2%2fshard.bin', /escapes the model folder/],
    ['%2fetc%2fpasswd', /decodes to an absolute path/],
    ['..\\v2\\shard.bin', /backslash/],
    ['shard.bin?x=../..', /query/],
    ['shard%zz.bin', /malformed percent-escapes/],
  ];
  for (const [p, re] of refused) assert.throws(() => relativeUrlInside(model, p, 'm'), (err: Error) => err instanceof FeatvisError && re.test(err.message), p);
});

test('a remote model.json naming another host or %2e%2e/ is refused before any shard request', { timeout: 60_000 }, async () => {
  const requests: string[] = [];
  const shard = Buffer.from(new Float32Array([1, 2, 3, 4]).buffer);
  let manifest = '';
  const server = http.createServer((req, res) => {
    requests.push(`${req.headers.host}${req.url}`);
    if (req.url === '/models/m/model.json') res.end(manifest);
    else if (req.url === '/models/m/shard.bin' || req.url === '/models/secret.bin' || req.url === '/evil.bin') res.end(shard);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const oldCache = process.env.FEATVIS_CACHE;
  try {
    const cases: Array<[string, RegExp, string]> = [
      [`http://localhost:${port}/evil.bin`, /is an absolute URL/, '/evil.bin'],
      ['%2e%2e/secret.bin', /escapes the model folder/, '/models/secret.bin'],
      ['%252e%252e/secret.bin', /escapes the model folder/, '/models/secret.bin'],
      [`//localhost:${port}/evil.bin`, /is an absolute URL/, '/evil.bin'],
    ];
    for (const [i, [p, re, forbidden]] of cases.entries()) {
      process.env.FEATVIS_CACHE = path.join(tmp, `cache${i}`);
      manifest = modelJson(['shard.bin', p]);
      requests.length = 0;
      await assert.rejects(readTfjsArtifacts(`http://127.0.0.1:${port}/models/m/model.json`), re, p);
      assert.deepEqual(requests, [`127.0.0.1:${port}/models/m/model.json`], `${p}: only model.json was fetched`);
      assert.ok(!requests.some((r) => r.endsWith(forbidden)));
    }
    process.env.FEATVIS_CACHE = path.join(tmp, 'cache-ok');
    manifest = modelJson(['shard.bin']);
    const a = await readTfjsArtifacts(`http://127.0.0.1:${port}/models/m/model.json`);
    assert.deepEqual(Array.from(new Float32Array(a.weightData as ArrayBuffer)), [1, 2, 3, 4]);
  } finally {
    if (oldCache === undefined) delete process.env.FEATVIS_CACHE;
    else process.env.FEATVIS_CACHE = oldCache;
    server.close();
  }
});
