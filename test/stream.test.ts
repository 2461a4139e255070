import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatDuration, Progress, type ProgressStream } from '../src/cli/progress.js';
import { tf } from '../src/backend/tf.js';
import { listImages, resolveImageSource, type ImageEntry } from '../src/data/folder.js';
import { bytesToUnit, readImageBatch } from '../src/data/image.js';
import { BatchStream, streamBatches } from '../src/data/stream.js';
import { sharedDir, skipWithoutShared } from './helpers/python.js';

const VAL = path.join(sharedDir, 'images', 'imagenette2_224', 'val');
let tmp: string;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-stream-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('image folders', () => {
  test('recursive, case-insensitive extensions, stable code-unit order, relative ids', () => {
    const root = path.join(tmp, 'tree');
    const files = ['b/2.PNG', 'a/1.jpeg', 'a/Z.webp', 'c.bmp', 'a/deep/er/x.JpG', 'A.jpg', 'notes.txt', 'a/.hidden.jpg', 'b/img.gif', 'b/y.jpg.bak'];
    for (const f of files) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), 'x');
    }
    const list = listImages(root);
    assert.deepEqual(
      list.map((e) => e.id),
      ['A.jpg', 'a/1.jpeg', 'a/Z.webp', 'a/deep/er/x.JpG', 'b/2.PNG', 'c.bmp'],
    );
    for (const e of list) assert.equal(e.path, path.join(root, ...e.id.split('/')));
    assert.throws(() => listImages(path.join(root, 'missing')), /image folder not found/);
    assert.throws(() => listImages(path.join(root, 'c.bmp')), /not a folder/);

    const whole = resolveImageSource(root);
    assert.equal(whole.key, root);
    const sub = resolveImageSource({ root, limit: 2 });
    assert.deepEqual(sub.entries.map((e) => e.id), ['A.jpg', 'a/1.jpeg']);
    assert.notEqual(sub.key, root, 'a subset must not share the whole folder run');
    const fromList = resolveImageSource([path.join(root, 'b/2.PNG'), path.join(root, 'a/1.jpeg'), path.join(root, 'a/1.jpeg')]);
    assert.equal(fromList.root, root);
    assert.deepEqual(fromList.entries.map((e) => e.id), ['a/1.jpeg', 'b/2.PNG']);
    assert.equal(resolveImageSource({ root, files: ['b/2.PNG', 'a/1.jpeg'] }).key, fromList.key);
  });
});

test('8-bit values scaled on the backend (the stream) equal readImage\'s x / 255 for all 256 values', () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, v) => v);
  const wide = new Float32Array(256);
  wide.set(bytes);
  const onBackend = tf.tidy(() => tf.div(tf.tensor1d(wide), 255).dataSync());
  assert.deepEqual(Array.from(onBackend), Array.from(bytesToUnit(bytes)));
  assert.deepEqual(Array.from(bytesToUnit(bytes)), Array.from(bytes, (v) => Math.fround(v / 255)));
});

describe('batch stream', { skip: skipWithoutShared() }, () => {
  let entries: ImageEntry[];

  before(() => {
    const good = listImages(VAL).slice(0, 10);
    const bad = path.join(tmp, 'empty.jpg');
    fs.writeFileSync(bad, '');
    entries = [...good.slice(0, 5), { id: 'empty.jpg', path: bad }, ...good.slice(5)];
  });

  test('batches equal readImageBatch of the same files; bad files are skipped and reported', async () => {
    const before = tf.memory().numTensors;
    const seen: string[] = [];
    const skipped: string[] = [];
    const sizes: number[] = [];
    const stream = streamBatches(entries, { size: [64, 48], batchSize: 4 });
    assert.equal(stream.length, 3);
    for await (const b of stream) {
      assert.ok(b.images);
      assert.deepEqual(b.images.shape, [b.entries.length, 64, 48, 3]);
      const ref = await readImageBatch(b.entries.map((e) => e.path), [64, 48]);
      assert.deepEqual(b.images.dataSync(), ref.dataSync());
      ref.dispose();
      sizes.push(b.entries.length);
      seen.push(...b.entries.map((e) => e.id));
      for (const s of b.skipped) skipped.push(`${s.id}: ${s.reason}`);
    }
    assert.deepEqual(sizes, [4, 3, 3]); // chunk 2 lost its empty file
    assert.deepEqual(seen, entries.filter((e) => e.id !== 'empty.jpg').map((e) => e.id));
    assert.deepEqual(skipped, ['empty.jpg: empty file (0 bytes)']);
    assert.deepEqual([stream.stats.images, stream.stats.skipped, stream.stats.batches], [10, 1, 3]);
    assert.equal(tf.memory().numTensors, before, 'stream leaked tensors');
  });

  test('prefetch: the next batch decodes while the caller works; at most 2 batches alive', async () => {
    const before = tf.memory().numTensors;
    const stream = new BatchStream(entries, { size: [64, 64], batchSize: 3 });
    const live: number[] = [];
    const waited: boolean[] = [];
    for await (const b of stream) {
      live.push(stream.stats.liveBatches);
      assert.ok(b.images);
      // "Model time": hold this batch; decoding of the next one must finish meanwhile.
      const t0 = Date.now();
      const last = b.index === stream.length - 1;
      while (!last && !stream.nextReady && Date.now() - t0 < 20_000) await sleep(5);
      waited.push(stream.nextReady);
    }
    assert.deepEqual(live, [2, 2, 2, 1]); // 11 files in chunks of 3: the last has nothing after it
    assert.deepEqual(waited, [true, true, true, false]);
    assert.equal(stream.stats.peakLiveBatches, 2);
    assert.equal(stream.stats.readyOnRequest, 3, 'every later batch was decoded before it was asked for');
    assert.equal(stream.stats.liveBatches, 0);
    assert.equal(tf.memory().numTensors, before);

    const noPrefetch = new BatchStream(entries, { size: [64, 64], batchSize: 3, prefetch: false });
    for await (const b of noPrefetch) {
      assert.equal(noPrefetch.stats.liveBatches, 1);
      await sleep(50);
      assert.equal(noPrefetch.nextReady, false);
      b.release();
      b.release(); // idempotent
    }
    assert.equal(noPrefetch.stats.readyOnRequest, 0);
    assert.equal(noPrefetch.stats.peakLiveBatches, 1);
    assert.equal(tf.memory().numTensors, before);
  });

  test('leaving the loop early frees the held batch and the prefetched one', async () => {
    const before = tf.memory().numTensors;
    const stream = new BatchStream(entries, { size: [32, 32], batchSize: 2 });
    for await (const b of stream) {
      assert.equal(b.index, 0);
      break;
    }
    assert.equal(stream.stats.liveBatches, 0);
    assert.equal(tf.memory().numTensors, before);
    await assert.rejects(async () => {
      for await (const _ of stream) void _;
    }, /only once/);
    assert.throws(() => new BatchStream(entries, { size: [0, 32], batchSize: 2 }), /image size/);
    assert.throws(() => new BatchStream(entries, { size: [32, 32], batchSize: 0 }), /batchSize/);
  });
});

class Sink implements ProgressStream {
  out = '';
  constructor(readonly isTTY: boolean) {}
  write(s: string): boolean {
    this.out += s;
    return true;
  }
}

describe('progress bar', () => {
  test('plain (non-TTY) mode: periodic lines with count, rate and ETA, and a final line', () => {
    let t = 0;
    const sink = new Sink(false);
    const p = new Progress({ label: 'mining', total: 100, unit: 'images', stream: sink, intervalMs: 1000, now: () => t });
    t = 500;
    p.update(10); // first update draws
    t = 900;
    p.update(20); // within the interval: silent
    t = 2000;
    p.update(50);
    assert.equal(p.rate, 25);
    assert.equal(p.eta, 2);
    t = 4000;
    p.finish('0 skipped');
    const lines = sink.out.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[1], 'mining:  50/100 50%  25.0 images/s  ETA 2s');
    assert.match(lines[2]!, /^mining:  50\/100 50% {2}12\.5 images\/s {2}in 4s {2}0 skipped$/);
    assert.ok(!sink.out.includes('\r'));
  });

  test('TTY mode redraws one line in place; resumed work does not inflate the rate', () => {
    let t = 0;
    const sink = new Sink(true);
    const p = new Progress({ label: 'mine', total: 200, start: 100, unit: 'img', stream: sink, width: 10, now: () => t });
    t = 1000;
    p.tick(50);
    assert.equal(p.rate, 50);
    assert.ok(sink.out.startsWith('\r'));
    assert.ok(sink.out.includes('[████████░░] 150/200  75%  50.0 img/s  ETA 1s'), sink.out);
    assert.ok(sink.out.includes('\x1b[K'));
    t = 2000;
    p.update(200);
    p.finish();
    assert.ok(sink.out.endsWith('\n'));
    assert.equal(sink.out.split('\n').length, 2);
  });

  test('durations', () => {
    assert.deepEqual([4.2, 75, 3700, Infinity].map(formatDuration), ['4s', '1m15s', '1h01m', '?']);
  });
});
