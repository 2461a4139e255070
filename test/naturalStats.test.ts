/** Natural-image statistics: eigen-decomposition, the shipped asset, and the magnitude template. No ../shared needed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colorCovarianceSqrt, decodeStats, encodeStats, invert3, magnitudeTemplate, meanSpectrum, naturalStats, symmetricEigen3 } from '../src/optvis/param/naturalStats.js';
import { Rng } from '../src/optvis/rng.js';

const mul = (a: number[][], b: number[][]): number[][] => a.map((r) => b[0]!.map((_, j) => r.reduce((s, x, k) => s + x * b[k]![j]!, 0)));
const T = (a: number[][]): number[][] => a[0]!.map((_, j) => a.map((r) => r[j]!));

test('symmetric 3×3 eigen-decomposition reconstructs the matrix, values descending', () => {
  const m = [[4, 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 1]];
  const { values, vectors } = symmetricEigen3(m);
  assert.ok(values[0]! >= values[1]! && values[1]! >= values[2]!);
  const back = mul(mul(vectors, [[values[0]!, 0, 0], [0, values[1]!, 0], [0, 0, values[2]!]]), T(vectors));
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(back[i]![j]! - m[i]![j]!) < 1e-9);
  const inv = mul(m, invert3(m));
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(inv[i]![j]! - (i === j ? 1 : 0)) < 1e-9);
});

test('colour covariance square root: M·Mᵀ is the covariance of the pixels', () => {
  const rng = new Rng(3);
  const data = new Float32Array(64 * 64 * 3);
  for (let i = 0; i < 64 * 64; i++) {
    const g = rng.normal() * 0.2;
    data.set([0.5 + g + rng.normal() * 0.05, 0.5 + g, 0.5 + g - rng.normal() * 0.02], i * 3);
  }
  const m = colorCovarianceSqrt([{ width: 64, height: 64, data }]);
  const c = mul(m, T(m));
  assert.ok(Math.abs(c[1]![1]! - 0.04) < 0.005, `green variance ${c[1]![1]}`);
  assert.ok(c[0]![2]! > 0.03, 'red and blue covary through the shared grey component');
});

test('white noise has a flat mean spectrum; a stored asset round-trips; the shipped one falls off like 1/f', () => {
  const rng = new Rng(5);
  const imgs = Array.from({ length: 4 }, () => ({ width: 16, height: 16, data: Float32Array.from({ length: 16 * 16 * 3 }, () => rng.next()) }));
  const eye = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  const sp = meanSpectrum(imgs, eye);
  const ring = Array.from(sp.slice(9 * 3, 9 * 9)).filter((v) => v > 0);
  const mean = ring.reduce((a, b) => a + b) / ring.length;
  assert.ok(ring.every((v) => v > mean / 4 && v < mean * 4), 'roughly flat');
  const again = decodeStats(encodeStats({ size: 16, colorSqrt: eye, spectrum: sp, images: 4, source: 'test' }), 'test');
  for (let i = 1; i < sp.length; i++) assert.ok(Math.abs(again.spectrum[i]! / sp[i]! - 1) < 1e-3, `entry ${i}`);
  assert.throws(() => decodeStats('{"featvis":"natural-stats/1","size":16}', 'bad'), /colorSqrt must be a 3×3 matrix/);
  const st = naturalStats();
  const t = magnitudeTemplate(st, 64, 64);
  const wf = 33;
  // Along the first row (horizontal frequencies) the magnitude at f=4/64 is ~4× that at f=16/64.
  const ratio = t[4]! / t[16]!;
  assert.ok(ratio > 2.5 && ratio < 8, `1/f-like falloff: ratio ${ratio}`);
  assert.equal(t[0], 0, 'no DC');
  assert.equal(t.length, 3 * 64 * wf);
});
