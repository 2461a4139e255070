/**
 * The interpretability score's controls and channel identification on a
 * synthetic metric whose answers are computable by hand (constant grey images,
 * d = squared difference of mean grey levels: see helpers/syntheticStore.ts),
 * and the one random draw every caller shares.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { tf } from '../src/backend/tf.js';
import { datasetId, drawRandomImages } from '../src/data/randomDraw.js';
import { channelSets } from '../src/exemplars/channelSets.js';
import { ExemplarStore } from '../src/exemplars/store.js';
import { scoreLayer, type LayerScore } from '../src/experiments/layerScore.js';
import { sweepRandomImages } from '../src/experiments/sweep.js';
import { squaredDistances } from '../src/metrics/embedding.js';
import { Rng } from '../src/optvis/rng.js';
import { ratioCI, wilson } from '../src/metrics/stats.js';
import { chanceImages } from '../src/notebook/data.js';
import { LAYER, SIZE, grey, meanGreyMetric, syntheticStore, type SyntheticStore } from './helpers/syntheticStore.js';

const U = 1; // distances are in grey levels²
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const TOP: Record<number, number[]> = { 0: [100, 100, 100, 100, 100, 100, 100, 100, 103], 1: [200, 200, 200, 200, 200, 200, 200, 200, 203] };
const HELD: Record<number, number> = { 0: 101, 1: 201 };
/** AM images: seed 0 → channel 0 at 105 (good), channel 1 at 120 (bad: nearer channel 0's exemplars); seed 1 → 104 and 195 (both good). */
const AM: Record<number, [number, number]> = { 0: [105, 120], 1: [104, 195] };
const toTop = (q: number, c: number) => mean(TOP[c]!.map((t) => (q - t) ** 2));

function close(got: number | null | undefined, want: number, what: string): void {
  assert.ok(typeof got === 'number', `${what}: got ${got}`);
  // float32 arithmetic on integer grey levels: the hand value to 1e-6 (relative)
  assert.ok(Math.abs(got - want) <= 1e-6 * Math.abs(want) + 1e-9, `${what}: ${got} vs ${want}`);
}

describe('interpretability controls and identification on a synthetic metric', () => {
  let fx: SyntheticStore;
  let res: LayerScore;
  let store: ExemplarStore;
  const drawLevels = (ch: number, seed: number): number[] => res.draws.find((d) => d.channel === ch && d.seed === seed)!.random.map((p) => fx.level.get(p)!);

  before(async () => {
    fx = await syntheticStore();
    store = new ExemplarStore(fx.storeFile, { readonly: true });
    const tensors = tf.memory().numTensors;
    res = await scoreLayer({
      metric: meanGreyMetric,
      store,
      layer: LAYER,
      channels: [0, 1],
      am: [0, 1].map((seed) => ({ seed, images: AM[seed]!.map(grey) })),
      size: SIZE,
    });
    assert.equal(tf.memory().numTensors, tensors, 'scoreLayer leaks no tensors');
  });
  after(() => {
    store.close();
    fx.cleanup();
  });

  test('ceiling, held-out score, AM score and chance come out as computed by hand', () => {
    const e = res.variants.lpips!;
    assert.equal(res.heldOut, 9);
    assert.equal(res.dataset.images, 76);
    for (const c of e.channels) {
      close(c.ceiling! / U, 2, `ceiling of channel ${c.channel} (8·3²/36)`);
      close(c.positive!.score / U, 4 / 3, `held-out score of channel ${c.channel} ((8·1² + 2²)/9)`);
    }
    close(e.channels[0]!.am[0]!.score / U, 204 / 9, 'AM score, channel 0 seed 0 ((8·5² + 2²)/9)');
    for (const seed of [0, 1]) {
      for (const ch of [0, 1]) {
        const q = AM[seed]![ch]!;
        const am = e.channels[ch]!.am.find((a) => a.seed === seed)!;
        const chance = mean(drawLevels(ch, seed).map((r) => (q - r) ** 2));
        close(am.score / U, toTop(q, ch), `score ch ${ch} seed ${seed}`);
        close(am.chance / U, chance, `chance ch ${ch} seed ${seed}: the AM image vs its random images`);
        close(am.normalized!, (chance - toTop(q, ch)) / (chance - 2), `normalised ch ${ch} seed ${seed}`);
      }
    }
    // layer level: ratio of means over the 4 (channel, seed) units
    let num = 0;
    let den = 0;
    for (const seed of [0, 1]) for (const ch of [0, 1]) {
      const q = AM[seed]![ch]!;
      const chance = mean(drawLevels(ch, seed).map((r) => (q - r) ** 2));
      num += chance - toTop(q, ch);
      den += chance - 2;
    }
    close(e.normalized.mean, num / den, 'normalised interpretability of the layer');
    assert.equal(e.normalized.n, 4);
    // positive control: per unit the held-out exemplars' mean score (4/3) and mean chance
    let pn = 0;
    let pd = 0;
    for (const seed of [0, 1]) for (const ch of [0, 1]) {
      const chance = mean(drawLevels(ch, seed).map((r) => (HELD[ch]! - r) ** 2));
      pn += chance - 4 / 3;
      pd += chance - 2;
    }
    close(e.positive!.mean, pn / pd, 'positive control (held-out exemplars), normalised');
    assert.ok(e.positive!.mean > 0.99, 'held-out exemplars sit at the ceiling');
  });

  test('identification: held-out exemplars 100 % (must pass), the bad AM image is caught (must fail), random images at their hand count', () => {
    const id = res.variants.lpips!.identification;
    assert.equal(id.heldOut!.trials, 18, '9 held-out exemplars × 2 channels × 1 other channel, once (not per seed)');
    assert.equal(id.heldOut!.rate, 1);
    close(id.heldOut!.low, 1 / (1 + 1.959964 ** 2 / 18), 'Wilson lower bound of 18/18');
    assert.equal(id.am!.trials, 4);
    assert.equal(id.am!.successes, 3, 'channel 1 seed 0 (grey 120) is nearer channel 0: identified wrongly');
    assert.deepEqual({ ...id.am!, perChannel: undefined, queries: undefined, channels: undefined }, { ...wilson(3, 4), perChannel: undefined, queries: undefined, channels: undefined });
    const bad = res.queries.lpips!.find((q) => q.kind === 'am' && q.channel === 1 && q.seed === 0)!;
    assert.ok(bad.toTop[1]! > bad.toTop[0]!, 'the control that must fail does fail');
    // random images (any image but the channel's own exemplars): grey 145 is nearer channel 0's exemplars, 155
    // nearer channel 1's; one of the other channel's exemplars is compared with that channel's other 8 (leave-one-out)
    const toTopFile = (file: string, c: number) => mean(fx.top[c]!.filter((f) => f !== file).map((f) => (fx.level.get(file)! - fx.level.get(f)!) ** 2));
    let right = 0;
    for (const d of res.draws) for (const f of d.random) right += toTopFile(f, d.channel) < toTopFile(f, 1 - d.channel) ? 1 : 0;
    assert.equal(id.random!.trials, 36);
    assert.equal(id.random!.successes, right);
  });

  test('the random draw is the same for featvis score / notebook 05 (scoreLayer), sweeps and nb.chanceImages; another seed draws others', () => {
    const sets = channelSets(store, LAYER, [0, 1], { k: 9, heldOut: 9 });
    for (const d of res.draws) {
      const sweep = sweepRandomImages(sets, d.channel, d.seed, { randomImages: 9 }).map((r) => r.path);
      const notebook = chanceImages(store, LAYER, d.channel, d.seed, 9);
      assert.deepEqual(sweep, d.random, `sweep vs score, channel ${d.channel} seed ${d.seed}`);
      assert.deepEqual(notebook, d.random, `notebook vs score, channel ${d.channel} seed ${d.seed}`);
      const own = new Set(fx.top[d.channel]!.map((f) => fx.level.get(f)!).concat([HELD[d.channel]!]));
      assert.ok(d.random.every((p) => !own.has(fx.level.get(p)!)), 'never one of the channel’s own exemplars');
      assert.equal(new Set(d.random).size, 9);
    }
    const at = (ch: number, seed: number) => res.draws.find((d) => d.channel === ch && d.seed === seed)!.random;
    assert.notDeepEqual(at(0, 0), at(0, 1), 'another seed, another draw');
    assert.notDeepEqual(at(0, 0), at(1, 0), 'another channel, another draw');
  });
});

describe('drawRandomImages', () => {
  const pool = Array.from({ length: 30 }, (_, i) => ({ id: `cls${i % 3}/img${String(i).padStart(2, '0')}.jpg`, path: `/data/cls${i % 3}/img${String(i).padStart(2, '0')}.jpg` }));

  test('seeded from (dataset, channel, seed, draw); independent of the input order and of where the dataset lives', () => {
    const a = drawRandomImages(pool, { channel: 3, seed: 0, k: 5 });
    assert.deepEqual(drawRandomImages([...pool].reverse(), { channel: 3, seed: 0, k: 5 }), a);
    const moved = pool.map((e) => ({ id: e.id, path: `/elsewhere/${e.id}` }));
    assert.deepEqual(drawRandomImages(moved, { channel: 3, seed: 0, k: 5 }).map((e) => e.id), a.map((e) => e.id));
    assert.notDeepEqual(drawRandomImages(pool, { channel: 3, seed: 1, k: 5 }), a);
    assert.notDeepEqual(drawRandomImages(pool, { channel: 4, seed: 0, k: 5 }), a);
    assert.notDeepEqual(drawRandomImages(pool, { channel: 3, seed: 0, draw: 1, k: 5 }), a);
    assert.notEqual(datasetId(pool), datasetId(pool.slice(1)));
  });

  test('excluded images are never drawn, and excluding them does not reshuffle the others', () => {
    const all = drawRandomImages(pool, { channel: 1, seed: 2, k: 30 });
    const exclude = [all[1]!.id, all[4]!.id];
    const some = drawRandomImages(pool, { channel: 1, seed: 2, k: 6, exclude });
    assert.deepEqual(some, all.filter((e) => !exclude.includes(e.id)).slice(0, 6));
    assert.throws(() => drawRandomImages(pool, { channel: 1, seed: 2, k: 29, exclude }), /only 28/);
  });
});

test('squaredDistances: exact on small problems, the float32 matmul path within 1e-5 on large ones', () => {
  const rng = new Rng(5);
  for (const dim of [7, 1_200_000]) {
    const a = rng.normalArray(3 * dim, 1);
    const b = rng.normalArray(5 * dim, 1);
    for (let i = 0; i < b.length; i++) b[i] = b[i]! * 0.1 + 3; // far from a, far from the origin
    const got = tf.tidy(() => squaredDistances(tf.tensor2d(a, [3, dim]), tf.tensor2d(b, [5, dim])));
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 5; j++) {
        let want = 0;
        for (let k = 0; k < dim; k++) want += (a[i * dim + k]! - b[j * dim + k]!) ** 2;
        assert.ok(Math.abs(got[i * 5 + j]! - want) <= (dim < 100 ? 1e-6 : 1e-5) * want, `D=${dim} (${i},${j}): ${got[i * 5 + j]} vs ${want}`);
      }
    }
  }
});

test('ratioCI: ratio of means with a delta-method interval; undefined where the denominator may be 0', () => {
  const r = ratioCI([1, 2, 3, 2], [2, 4, 5, 5]);
  assert.ok(Math.abs(r.mean - 8 / 16) < 1e-12);
  // delta method by hand: residuals num − r·den = 0, 0, 0.5, −0.5 → se = √(0.5 / 3 / 4) / 4
  assert.ok(Math.abs(r.halfWidth! - (3.182 * Math.sqrt(0.5 / 3 / 4)) / 4) < 1e-9, `half-width ${r.halfWidth}`);
  assert.ok(Number.isNaN(ratioCI([1, 1, 1], [0.2, -0.1, 0.05]).mean), 'a denominator whose interval includes 0 gives no ratio');
  assert.ok(Number.isNaN(ratioCI([1], [-1]).mean));
});
