/**
 * The diversity objective (lucid's `diversity(layer)`): the Gram-matrix cosine
 * similarity it penalises, computed by hand; and on the tiny in-memory model, a
 * diverse set of one channel is measurably less alike than the same set
 * rendered without the penalty (same seeds, same steps), and still excites
 * the channel. No ../shared needed.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as fv from '../src/index.js';
import { tf } from '../src/backend/tf.js';
import { diversity, gramSimilarityOf, renderDiverse } from '../src/optvis/diversity.js';
import { tinyModel } from './helpers/tinyModel.js';

const model = tinyModel();
after(() => model.dispose());

test('gram similarity: 1 for the same style, 0 for disjoint channels, only within groups', () => {
  // [4, 1, 2, C=2]: items 0 and 1 use channel 0 only (same Gram up to scale), item 2 channel 1 only, item 3 both.
  const acts = tf.tensor4d([1, 0, 2, 0, /**/ 3, 0, 1, 0, /**/ 0, 1, 0, 2, /**/ 1, 1, 1, 1], [4, 1, 2, 2]);
  const all = Array.from(gramSimilarityOf(acts).dataSync());
  // Gram of item 3 is [[2,2],[2,2]]/4 → cos with [[1,0],[0,0]] is 0.5
  const want = [(1 + 0 + 0.5) / 3, (1 + 0 + 0.5) / 3, (0 + 0 + 0.5) / 3, (0.5 + 0.5 + 0.5) / 3];
  all.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `item ${i}: ${v} vs ${want[i]}`));
  const pairs = Array.from(gramSimilarityOf(acts, 2).dataSync());
  [1, 1, 0.5, 0.5].forEach((w, i) => assert.ok(Math.abs(pairs[i]! - w) < 1e-6, `grouped item ${i}: ${pairs[i]} vs ${w}`));
  assert.deepEqual(Array.from(gramSimilarityOf(acts, 1).dataSync()), [0, 0, 0, 0]);
  assert.throws(() => gramSimilarityOf(acts, 3), /does not split into groups of 3/);
  acts.dispose();
  assert.throws(() => diversity('block', 0), /group must be a positive integer/);
});

test('a diverse set of one channel is less alike than the same set without the penalty, and still excites the channel', async () => {
  const base = { ...fv.AM_DEFAULTS, layer: 'block', channels: [3, 7], size: 32, steps: 48, transforms: [], n: 4 };
  const tensors = tf.memory().numTensors;
  const plain = await renderDiverse(model, { ...base, weight: 0 });
  const start = await renderDiverse(model, { ...base, weight: 0, steps: 1, learningRate: 1e-9 });
  const scale = Math.max(...plain.sets.flatMap((s) => s.activations.map(Math.abs)));
  const diverse = await renderDiverse(model, { ...base, weight: 2 * scale });
  assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks');
  for (const [i, set] of diverse.sets.entries()) {
    const p = plain.sets[i]!;
    assert.equal(set.images.length, 4);
    assert.equal(set.channel, base.channels[i]);
    // the images differ from one another (distinct starting seeds)
    assert.notDeepEqual(set.images[0]!.data, set.images[1]!.data);
    assert.ok(set.similarity < p.similarity - 0.05, `channel ${set.channel}: similarity ${set.similarity.toFixed(3)} with diversity vs ${p.similarity.toFixed(3)} without`);
    // the channel is still driven well above its starting activation (a third of the gain without the penalty at least)
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const s0 = mean(start.sets[i]!.activations);
    assert.ok(mean(set.activations) > s0 + 0.3 * (mean(p.activations) - s0), `channel ${set.channel}: ${s0.toFixed(3)} → ${mean(set.activations).toFixed(3)} (without diversity ${mean(p.activations).toFixed(3)})`);
  }
  // control: the measured similarity is what the objective penalises (its gradient, not chance, did it)
  const again = await renderDiverse(model, { ...base, weight: 0 });
  assert.deepEqual(again.sets.map((s) => s.similarity), plain.sets.map((s) => s.similarity), 'same seeds, same result');
  await assert.rejects(renderDiverse(model, { ...base, n: 1, weight: 1 }), /at least 2 images/);
});
