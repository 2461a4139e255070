import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { tf } from '../src/backend/tf.js';
import { listImages } from '../src/data/folder.js';
import { readImageBatch } from '../src/data/image.js';
import { mineExemplars } from '../src/exemplars/mine.js';
import { gridLayout, TITLE_HEIGHT, writeChannelSheet, writeRangeSheet, LABEL_HEIGHT } from '../src/exemplars/sheet.js';
import { ExemplarStore, receptiveBox, type Reduce, type TopKRow } from '../src/exemplars/store.js';
import { loadModel } from '../src/models/load.js';
import type { FeatModel } from '../src/core/types.js';
import { repoRoot, sharedDir, skipWithoutShared } from './helpers/python.js';

const skip = skipWithoutShared();
const MODEL = path.join(sharedDir, 'models', 'tfjs_mobilenet_v1_0.25_224');
const VAL = path.join(sharedDir, 'images', 'imagenette2_224', 'val');
const LAYERS = ['conv_pw_3_relu', 'conv_pw_5_relu'];
const SIZE: [number, number] = [128, 128];
const K = 9;

let model: FeatModel;
let tmp: string;

before(async () => {
  if (skip) return;
  model = await loadModel(MODEL);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-exemplars-'));
});

after(() => {
  model?.dispose();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

interface Ref {
  id: string;
  value: number;
  x: number;
  y: number;
}

/** Ranks like the miner: value desc, then id asc. */
const byRank = (a: Ref, b: Ref): number => b.value - a.value || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe('exemplar mining', { skip }, () => {
  const N = 200;
  let storeFile: string;
  let entries: ReturnType<typeof listImages>;

  test('one pass over 200 images gives the brute-force top-9 for every channel of two layers', async () => {
    entries = listImages(VAL).slice(0, N);
    storeFile = path.join(tmp, 'mine.sqlite');
    const before = tf.memory().numTensors;
    const res = await mineExemplars({ model, layers: LAYERS, images: { root: VAL, limit: N }, size: SIZE, batchSize: 32, k: K, store: storeFile });
    // Bounded memory / no leaks: every tensor the miner or the stream made is gone.
    assert.equal(tf.memory().numTensors, before, 'tensors leaked by mining');
    assert.equal(res.total, N);
    assert.equal(res.mined, N);
    assert.equal(res.complete, true);
    assert.deepEqual(res.skipped, []);

    // Brute force: every image on its own, full activation maps to the host, reduce and sort in JS.
    const refs = new Map<string, Ref[]>(); // `${layer}/${channel}/${reduce}` → all images
    for (const e of entries) {
      const x = await readImageBatch([e.path], SIZE);
      const acts = model.activations(x, LAYERS);
      for (const layer of LAYERS) {
        const t = acts[layer]!;
        const [, h, w, c] = t.shape as [number, number, number, number];
        const d = t.dataSync();
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          let max = -Infinity;
          let arg = 0;
          for (let p = 0; p < h * w; p++) {
            const v = d[p * c + ch]!;
            sum += v;
            if (v > max) {
              max = v;
              arg = p;
            }
          }
          const xy = { x: arg % w, y: Math.floor(arg / w) };
          const push = (reduce: Reduce, value: number): void => {
            const key = `${layer}/${ch}/${reduce}`;
            if (!refs.has(key)) refs.set(key, []);
            refs.get(key)!.push({ id: e.id, value, ...xy });
          };
          push('mean', sum / (h * w));
          push('max', max);
        }
      }
      tf.dispose([x, ...Object.values(acts)]);
    }

    const store = new ExemplarStore(storeFile, { readonly: true });
    try {
      let lists = 0;
      let nearTieSwaps = 0;
      let locChecked = 0;
      let locEqual = 0;
      for (const [key, all] of refs) {
        const [layer, chs, reduce] = key.split('/') as [string, string, Reduce];
        const ch = Number(chs);
        const want = [...all].sort(byRank).slice(0, K);
        const got = store.topK(layer, ch, reduce);
        assert.equal(got.length, K, key);
        for (let r = 0; r < K; r++) {
          const g = got[r]!;
          const wv = want[r]!;
          assert.ok(Math.abs(g.value - wv.value) <= 1e-5, `${key} rank ${r}: value ${g.value} vs brute force ${wv.value}`);
          if (g.imageId !== wv.id) {
            // Only acceptable as a float32-vs-float64 near tie: the image the miner
            // put here must have (brute-force) value within 1e-5 of the wanted one.
            const other = all.find((a) => a.id === g.imageId);
            assert.ok(other && Math.abs(other.value - wv.value) <= 1e-5, `${key} rank ${r}: ${g.imageId} vs brute force ${wv.id}`);
            nearTieSwaps++;
          } else if (reduce === 'max') {
            locChecked++;
            if (g.x === wv.x && g.y === wv.y) locEqual++;
          }
        }
        lists++;
      }
      assert.equal(lists, (32 + 64) * 2);
      // Activation histograms over the 200 images: the brute-force values binned on the store's edges.
      let misplaced = 0;
      for (const [key, all] of refs) {
        const [layer, chs, reduce] = key.split('/') as [string, string, Reduce];
        const h = store.histogram(layer, Number(chs), reduce)!;
        assert.equal(h.n, N, key);
        assert.equal(h.counts.reduce((x, y) => x + y, 0), N, key);
        assert.ok(h.counts.length <= 64, key);
        const w = 2 ** h.exponent;
        const want = new Array<number>(h.counts.length).fill(0);
        for (const r of all) want[Math.min(h.counts.length - 1, Math.max(0, Math.floor(r.value / w) - h.lo))]!++;
        misplaced += want.reduce((m, c, i) => m + Math.max(0, c - h.counts[i]!), 0);
      }
      // only float32-vs-float64 values on a bin edge may land in the neighbouring bin
      assert.ok(misplaced <= 4, `${misplaced} values in another bin than the brute force`);
      // Near ties must stay rare: a systematic ranking bug would show up here.
      assert.ok(nearTieSwaps <= 4, `${nearTieSwaps} near-tie swaps`);
      // Arg-max location: same first-occurrence rule as the brute force (saturated ReLU6 ties included).
      assert.ok(locEqual >= 0.99 * locChecked, `arg-max location agrees for ${locEqual}/${locChecked}`);
      console.log(`brute force: ${lists} lists, ${nearTieSwaps} near-tie swaps, arg-max locations ${locEqual}/${locChecked}`);
    } finally {
      store.close();
    }
  });

  test('store API: paths, crop boxes from the stride, runs, clear errors', () => {
    const store = new ExemplarStore(storeFile, { readonly: true });
    try {
      const runs = store.runs();
      assert.equal(runs.length, 1);
      const run = runs[0]!;
      assert.deepEqual([...run.layers].sort(), [...LAYERS].sort());
      assert.deepEqual(run.size, SIZE);
      assert.equal(run.k, K);
      assert.equal(store.doneCount(run.id), N);
      assert.deepEqual(
        run.layerShapes.map((s) => [s.layer, s.mapH, s.mapW, s.channels]),
        [
          ['conv_pw_3_relu', 32, 32, 32],
          ['conv_pw_5_relu', 16, 16, 64],
        ],
      );
      const top = store.topK('conv_pw_5_relu', 7, 'max');
      for (const e of top) {
        assert.ok(fs.existsSync(e.path) && e.path.endsWith(e.imageId.split('/').join(path.sep)));
        // stride 128/16 = 8 px, default side 4 strides = 32 px, centred on the map cell, inside the image.
        assert.equal(e.box.width, 32);
        assert.equal(e.box.height, 32);
        assert.ok(e.box.left >= 0 && e.box.top >= 0 && e.box.left + 32 <= 128 && e.box.top + 32 <= 128);
        const cx = (e.x + 0.5) * 8;
        if (cx >= 16 && cx <= 112) assert.equal(e.box.left, cx - 16);
      }
      // Bigger rfFactor on read: clamped to the image.
      assert.deepEqual(store.topK('conv_pw_5_relu', 7, 'max', { rfFactor: 100 })[0]!.box, { left: 0, top: 0, width: 128, height: 128 });
      assert.deepEqual(receptiveBox(0, 15, { layer: 'l', mapH: 16, mapW: 16, channels: 1 }, [128, 128], 2), { left: 0, top: 112, width: 16, height: 16 });
      assert.throws(() => store.topK('conv_pw_5_relu', 64), /channel 64 is out of range .*0–63/);
      assert.throws(() => store.topK('conv_pw_5', 0), /unknown layer 'conv_pw_5'.*conv_pw_5_relu/);
    } finally {
      store.close();
    }
  });

  test('mining again is a no-op resume; a bad layer name fails before any work', async () => {
    const res = await mineExemplars({ model, layers: LAYERS, images: { root: VAL, limit: N }, size: SIZE, batchSize: 32, store: storeFile });
    assert.equal(res.alreadyDone, N);
    assert.equal(res.mined, 0);
    await assert.rejects(
      mineExemplars({ model, layers: ['conv_pw_55_relu'], images: VAL, store: path.join(tmp, 'x.sqlite') }),
      /unknown layer 'conv_pw_55_relu'/,
    );
  });

  test('contact sheets: channel sheet 3x3 with expected size and content; range sheet', async () => {
    const store = new ExemplarStore(storeFile, { readonly: true });
    try {
      const file = path.join(tmp, 'sheets', 'ch5.png');
      const r = await writeChannelSheet(store, 'conv_pw_5_relu', 5, file, { tile: 96, gap: 4, captions: true });
      const L = gridLayout(9, 96, 4, true, TITLE_HEIGHT);
      assert.equal(L.cols, 3);
      assert.equal(L.rows, 3);
      assert.equal(L.width, 3 * 96 + 4 * 4);
      assert.equal(L.height, TITLE_HEIGHT + 3 * (96 + 14) + 4 * 4);
      const meta = await sharp(file).metadata();
      assert.equal(meta.format, 'png');
      assert.deepEqual([meta.width, meta.height, r.width, r.height], [L.width, L.height, L.width, L.height]);
      // Not blank: each of the 9 tiles has image content (pixel spread), and tiles differ.
      const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const tileStats: number[] = [];
      for (let i = 0; i < 9; i++) {
        const left = 4 + (i % 3) * 100;
        const top = TITLE_HEIGHT + 4 + Math.floor(i / 3) * (96 + 14 + 4);
        let s = 0;
        let s2 = 0;
        let n = 0;
        for (let y = top; y < top + 96; y++) {
          for (let x = left; x < left + 96; x++) {
            const v = data[(y * info.width + x) * 3 + 1]!;
            s += v;
            s2 += v * v;
            n++;
          }
        }
        const sd = Math.sqrt(s2 / n - (s / n) ** 2);
        assert.ok(sd > 10, `tile ${i} looks blank (sd ${sd.toFixed(1)})`);
        tileStats.push(Math.round(s / n));
      }
      assert.ok(new Set(tileStats).size > 3, 'tiles look identical');

      const crops = await writeChannelSheet(store, 'conv_pw_5_relu', 5, path.join(tmp, 'sheets', 'ch5crop.png'), { crop: true, captions: false, title: false, tile: 64, gap: 2 });
      assert.deepEqual([crops.width, crops.height], [3 * 64 + 4 * 2, 3 * 64 + 4 * 2]);

      const range = await writeRangeSheet(store, 'conv_pw_3_relu', { first: 0, last: 11 }, path.join(tmp, 'sheets', 'range.png'), { tile: 32, columns: 4 });
      const cell = gridLayout(9, 32, 1, false, LABEL_HEIGHT);
      const rmeta = await sharp(range.file).metadata();
      assert.deepEqual(range.channels, [...Array(12).keys()]);
      assert.equal(rmeta.width, 4 * cell.width + 5 * 8);
      assert.equal(rmeta.height, TITLE_HEIGHT + 4 + 3 * cell.height + 4 * 8);
      await assert.rejects(writeRangeSheet(store, 'conv_pw_3_relu', { first: 30, last: 33 }, path.join(tmp, 'bad.png')), /channel 32 is out of range/);
    } finally {
      store.close();
    }
  });
});

describe('crash safety', { skip }, () => {
  test('kill -9 mid-run, then resume: identical to an uninterrupted run, nothing redone or lost', async () => {
    const N = 96;
    const B = 8;
    const S = 96;
    const killed = path.join(tmp, 'killed.sqlite');
    const clean = path.join(tmp, 'clean.sqlite');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'test', 'helpers', 'mineChild.ts'), MODEL, killed, VAL, String(N), String(B), String(S), '250', LAYERS.join(',')],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // Poll the store until a few batches are committed, then kill -9.
    const t0 = Date.now();
    let committed = 0;
    while (committed < 3) {
      if (Date.now() - t0 > 60_000) {
        child.kill('SIGKILL');
        assert.fail(`child made no progress in 60 s: ${stderr.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
      if (child.exitCode !== null) assert.fail(`child exited early (${child.exitCode}): ${stderr.slice(-2000)}`);
      if (!fs.existsSync(killed)) continue;
      try {
        const db = new Database(killed, { readonly: true, fileMustExist: true });
        try {
          const row = db.prepare<[], { b: number }>('SELECT MAX(batches) AS b FROM runs').get();
          committed = row?.b ?? 0;
        } finally {
          db.close();
        }
      } catch {
        // schema not created yet
      }
    }
    child.kill('SIGKILL');
    await exited;
    assert.equal(child.signalCode, 'SIGKILL');

    const partial = new Database(killed, { readonly: true });
    const doneAtKill = partial.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM done_images').get()!.n;
    const batchesAtKill = partial.prepare<[], { b: number }>('SELECT batches AS b FROM runs').get()!.b;
    partial.close();
    assert.ok(doneAtKill >= 3 * B && doneAtKill < N, `killed after ${doneAtKill} images`);
    assert.equal(doneAtKill, batchesAtKill * B, 'done_images and batch count come from the same transactions');

    const resumed = await mineExemplars({ model, layers: LAYERS, images: { root: VAL, limit: N }, size: [S, S], batchSize: B, store: killed });
    assert.equal(resumed.alreadyDone, doneAtKill);
    assert.equal(resumed.mined, N - doneAtKill, 'nothing redone');
    const full = await mineExemplars({ model, layers: LAYERS, images: { root: VAL, limit: N }, size: [S, S], batchSize: B, store: clean });
    assert.equal(full.mined, N);

    const a = new ExemplarStore(killed, { readonly: true });
    const b = new ExemplarStore(clean, { readonly: true });
    try {
      const ra = a.runs()[0]!;
      const rb = b.runs()[0]!;
      const rowsA: TopKRow[] = a.topKRows(ra.id);
      const rowsB: TopKRow[] = b.topKRows(rb.id);
      assert.equal(rowsA.length, (32 + 64) * 2 * K);
      assert.deepEqual(rowsA, rowsB);
      // the activation histograms, committed with each batch, resume exactly too
      const histA = a.histogramRows(ra.id);
      assert.equal(histA.length, (32 + 64) * 2);
      assert.ok(histA.every((h) => h.histogram.n === N), 'every histogram covers every image once');
      assert.deepEqual(histA, b.histogramRows(rb.id));
      assert.equal(a.doneCount(ra.id), N);
      assert.ok(ra.finishedAt);
    } finally {
      a.close();
      b.close();
    }
    const db = new Database(killed, { readonly: true });
    const counts = db.prepare<[], { n: number; d: number }>('SELECT COUNT(*) AS n, COUNT(DISTINCT image_id) AS d FROM done_images').get()!;
    db.close();
    assert.deepEqual(counts, { n: N, d: N });
  });
});

describe('unreadable files', { skip }, () => {
  test('truncated, empty and fake JPEGs are skipped with reasons; mining completes', async () => {
    const dir = path.join(tmp, 'bad');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    const good = listImages(VAL).slice(0, 6);
    good.forEach((e, i) => fs.copyFileSync(e.path, path.join(dir, i % 2 ? 'sub' : '', `good${i}.JPG`)));
    const bytes = fs.readFileSync(good[0]!.path);
    fs.writeFileSync(path.join(dir, 'truncated.jpg'), bytes.subarray(0, Math.floor(bytes.length / 3)));
    fs.writeFileSync(path.join(dir, 'sub', 'zero.jpg'), Buffer.alloc(0));
    fs.writeFileSync(path.join(dir, 'text.jpg'), 'this is not a JPEG\n');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not an image extension: ignored');

    const before = tf.memory().numTensors;
    const res = await mineExemplars({ model, layers: ['conv_pw_5_relu'], images: dir, size: [64, 64], batchSize: 4, k: 3, store: path.join(tmp, 'bad.sqlite') });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(res.complete, true);
    assert.equal(res.total, 9);
    assert.equal(res.mined, 6);
    const reasons = Object.fromEntries(res.skipped.map((s) => [s.id, s.reason]));
    assert.deepEqual(Object.keys(reasons).sort(), ['sub/zero.jpg', 'text.jpg', 'truncated.jpg']);
    assert.match(reasons['sub/zero.jpg']!, /empty/);
    assert.match(reasons['truncated.jpg']!, /premature end|truncat/i);
    assert.match(reasons['text.jpg']!, /unsupported image format/);
    const store = new ExemplarStore(path.join(tmp, 'bad.sqlite'));
    try {
      const ids = store.topK('conv_pw_5_relu', 0, 'mean').map((e) => e.imageId);
      assert.equal(ids.length, 3);
      for (const id of ids) assert.match(id, /good\d\.JPG$/);
      // Resuming does not retry skipped files.
      const again = await mineExemplars({ model, layers: ['conv_pw_5_relu'], images: dir, size: [64, 64], batchSize: 4, k: 3, store });
      assert.equal(again.mined, 0);
      assert.equal(again.skipped.length, 3);
    } finally {
      store.close();
    }
  });
});
