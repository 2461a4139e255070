/** The bounded activation histogram kept while mining: exact counts, independent of order and batching. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { histogramEdges, MAX_BINS, StreamHistogram } from '../src/exemplars/histogram.js';
import { Rng } from '../src/optvis/rng.js';

function fill(values: readonly number[]): StreamHistogram {
  const h = new StreamHistogram();
  for (const v of values) h.add(v);
  return h;
}

test('histogram: at most 64 bins, exact counts on its edges, the same for any order and any split', () => {
  const rng = new Rng(7);
  const values = Array.from({ length: 5000 }, (_, i) => (i % 10 === 0 ? 0 : Math.exp(rng.normal() * 1.5) - 0.3));
  const h = fill(values).toJSON();
  assert.ok(h.counts.length <= MAX_BINS && h.counts.length > MAX_BINS / 2, `${h.counts.length} bins`);
  assert.equal(h.n, values.length);
  assert.equal(h.min, Math.min(...values));
  assert.equal(h.max, Math.max(...values));
  const edges = histogramEdges(h);
  assert.ok(edges[0]! <= h.min && h.max < edges.at(-1)!);
  const want = h.counts.map((_, i) => values.filter((v) => v >= edges[i]! && v < edges[i + 1]!).length);
  assert.deepEqual(h.counts, want, 'counts are exact');
  // the narrowest width that fits: one step finer would need more than 64 bins
  const finer = 2 ** (h.exponent - 1);
  assert.ok(Math.floor(h.max / finer) - Math.floor(h.min / finer) >= MAX_BINS);
  // any order, and resuming from a saved state mid-stream, gives the same histogram
  const shuffled = [...values];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const half = fill(shuffled.slice(0, 1234)).toJSON();
  const resumed = StreamHistogram.from(half);
  for (const v of shuffled.slice(1234)) resumed.add(v);
  const r = resumed.toJSON();
  assert.deepEqual({ ...r, sum: 0 }, { ...h, sum: 0 });
  assert.ok(Math.abs(r.sum - h.sum) < 1e-9 * Math.abs(h.sum));
});

test('histogram: a constant channel is one bin; non-finite values are counted apart; negative values bin correctly', () => {
  const zero = fill(new Array<number>(100).fill(0)).toJSON();
  assert.deepEqual([zero.counts, zero.n, zero.min, zero.max], [[100], 100, 0, 0]);
  const odd = fill([1, Number.NaN, Infinity, 2]).toJSON();
  assert.equal(odd.n, 2);
  assert.equal(odd.nonFinite, 2);
  const values = [-5, -4.5, -0.001, 3, 1e-12];
  const neg = fill(values).toJSON();
  const e = histogramEdges(neg);
  assert.deepEqual(neg.counts, neg.counts.map((_, i) => values.filter((v) => v >= e[i]! && v < e[i + 1]!).length));
  assert.equal(neg.counts.reduce((a, b) => a + b, 0), values.length);
  assert.ok(neg.counts.length <= MAX_BINS);
});
