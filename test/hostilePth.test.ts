/**
 * Hostile PyTorch zip checkpoints (issue 14, item 1): deflate bombs and lying
 * sizes fail early with a clear error, in bounded memory and time, measured
 * in a child process. Valid deflated checkpoints still load.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import zlib from 'node:zlib';
import { FeatvisError } from '../src/core/errors.js';
import { parseTorchStateDict } from '../src/io/pth.js';
import { smallTorchZip, torchZip, zeroBomb } from './helpers/hostileFiles.js';
import { runMeasured } from './helpers/measured.js';

const MAX_RSS_MB = 400;
const MAX_SECONDS = 15;
let dir = '';
let bomb4g: Buffer;
let bomb1g: Buffer;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-pth-bomb-'));
  bomb4g = await zeroBomb(4096);
  bomb1g = await zeroBomb(1024);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Buffer): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, bytes);
  return f;
}

async function refusedInChild(t: TestContext, file: string, message: RegExp): Promise<{ seconds: number; peakRssMB: number }> {
  const r = await runMeasured('test/helpers/hostileChild.ts', ['pth', file], { timeoutMs: 60_000, killAboveMB: 2048 });
  assert.equal(r.killed, null, `${path.basename(file)}: ${r.killed}`);
  assert.equal(r.code, 0, r.stderr);
  const line = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { outcome: string; message: string; ms: number };
  assert.equal(line.outcome, 'FeatvisError', line.message);
  assert.match(line.message, message);
  assert.ok(!line.message.includes('\n'), 'one line');
  assert.ok(r.peakRssMB < MAX_RSS_MB, `${path.basename(file)}: peak RSS ${r.peakRssMB.toFixed(0)} MB`);
  assert.ok(r.seconds < MAX_SECONDS, `${path.basename(file)}: ${r.seconds.toFixed(1)} s`);
  t.diagnostic(`${path.basename(file)} (${fs.statSync(file).size} bytes): refused in ${line.ms.toFixed(0)} ms, child peak RSS ${r.peakRssMB.toFixed(0)} MB — ${line.message}`);
  return r;
}

test('a 4 MB .pth whose storage entry inflates to 4 GiB is refused before inflating', { timeout: 120_000 }, async (t) => {
  assert.ok(bomb4g.length < 5e6, `bomb is ${bomb4g.length} bytes`);
  // The tensor metadata needs 64 bytes; the entry declares 4 GiB.
  const file = write('bomb-4g.pth', torchZip([{ name: 'w', key: '0', numel: 16, shape: [16] }], { 0: { data: bomb4g, method: 8, declaredSize: 2 ** 32 } }));
  await refusedInChild(t, file, /storage '0' is stored as 4294967296 bytes but its metadata declares 64/);
});

test('an entry that declares 64 bytes but inflates to 4 GiB stops at 64 bytes', { timeout: 120_000 }, async (t) => {
  const file = write('liar-4g.pth', torchZip([{ name: 'w', key: '0', numel: 16, shape: [16] }], { 0: { data: bomb4g, method: 8, declaredSize: 64 } }));
  await refusedInChild(t, file, /cannot inflate 'archive\/data\/0': it inflates to more than the 64 bytes it declares/);
});

test('1 GiB of tensors inflated from 1 MB is refused as a zip bomb; more elements than the cap are refused', { timeout: 120_000 }, async (t) => {
  // Consistent metadata (2^28 float32 = 1 GiB, within the default element budget), ratio ~1000:1.
  const ratio = write('ratio-1g.pth', torchZip([{ name: 'w', key: '0', numel: 2 ** 28, shape: [2 ** 28] }], { 0: { data: bomb1g, method: 8, declaredSize: 2 ** 30 } }));
  await refusedInChild(t, ratio, /would inflate \d+ bytes to 1073741824, a ratio above 200:1; refusing a likely zip bomb/);
  const elements = write('elements.pth', torchZip([{ name: 'w', key: '0', numel: 2 ** 30, shape: [2 ** 30] }], { 0: { data: bomb4g, method: 8, declaredSize: 2 ** 32 } }));
  await refusedInChild(t, elements, /more than 268435456 elements together \(limit; option maxElements\)/);
  // Stride-0 views cannot multiply a tiny storage into gigabytes either.
  const expand = write('expand.pth', torchZip([{ name: 'w', key: '0', numel: 1, shape: [2 ** 30], stride: [0] }], { 0: { data: new Uint8Array(4) } }));
  await refusedInChild(t, expand, /more than 268435456 elements together/);
});

test('the inflation budget and the declared sizes are checked before anything is inflated', () => {
  const raw = new Uint8Array(new Float32Array(4096).fill(1).buffer);
  const deflated = zlib.deflateRawSync(raw);
  const spec = [{ name: 'a', key: '0', numel: 4096, shape: [4096] }, { name: 'b', key: '1', numel: 4096, shape: [4096] }];
  const entry = { data: deflated, method: 8, declaredSize: raw.length, crc32: zlib.crc32(raw) >>> 0 };
  const ok = torchZip(spec, { 0: entry, 1: entry });
  assert.equal(parseTorchStateDict(ok, 'ok.pth').get('b')!.data[4095], 1);
  assert.throws(
    () => parseTorchStateDict(ok, 'budget.pth', { maxInflatedBytes: raw.length + 10 }),
    (err: Error) => err instanceof FeatvisError && /budget\.pth: the compressed tensor data would inflate to 32768 bytes, more than the limit of 16394/.test(err.message),
  );
  // A short entry is reported as such (before inflating).
  const short = torchZip(spec, { 0: entry, 1: { ...entry, declaredSize: 100 } });
  assert.throws(() => parseTorchStateDict(short, 'short.pth'), /storage '1' holds 100 bytes, expected 16384/);
  // Valid deflated and stored checkpoints made by the helpers still load.
  for (const method of [0, 8] as const) {
    const sd = parseTorchStateDict(smallTorchZip(method), 'small.pth');
    assert.deepEqual(Array.from(sd.get('conv.bias')!.data), [1, 2, 3]);
  }
});
