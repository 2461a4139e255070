/** DFT by GEMM (src/data/dft.ts): the inverse against the definition and against its former, transposing formulation. No ../shared needed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tf, type Tensor, type Tensor2D, type Tensor3D } from '../src/backend/tf.js';
import { createDft2 } from '../src/data/dft.js';

const maxAbs = (t: Tensor): number => tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]!);

/** x[h,w] = Σ_u Σ_v A cos θ − B sin θ, θ = 2π(uh/H + vw/W), in float64. */
function direct(a: Float32Array, b: Float32Array, m: number, h: number, w: number): Float64Array {
  const wf = Math.floor(w / 2) + 1;
  const out = new Float64Array(m * h * w);
  for (let k = 0; k < m; k++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let u = 0; u < h; u++)
          for (let v = 0; v < wf; v++) {
            const th = 2 * Math.PI * ((u * y) / h + (v * x) / w);
            const i = (k * h + u) * wf + v;
            s += a[i]! * Math.cos(th) - b[i]! * Math.sin(th);
          }
        out[(k * h + y) * w + x] = s;
      }
  return out;
}

/** The inverse as featvis computed it up to 2026-12 (row products through transposes, four column products). */
function formerInverse(a: Tensor3D, b: Tensor3D, h: number, w: number): Tensor3D {
  const wf = Math.floor(w / 2) + 1;
  const basis = (n: number, f: number, fn: (x: number) => number): Tensor2D => {
    const o = new Float32Array(n * f);
    for (let i = 0; i < n; i++) for (let u = 0; u < f; u++) o[i * f + u] = fn((2 * Math.PI * u * i) / n);
    return tf.tensor2d(o, [n, f]);
  };
  return tf.tidy(() => {
    const [ch, sh, cw, sw] = [basis(h, h, Math.cos), basis(h, h, Math.sin), basis(w, wf, Math.cos), basis(w, wf, Math.sin)];
    const n = a.shape[0];
    const alongH = (m: Tensor2D, x: Tensor): Tensor => tf.reshape(tf.matMul(m, tf.reshape(tf.transpose(x, [1, 0, 2]), [h, -1])), [h, n, wf]);
    const right = (x: Tensor, m: Tensor2D): Tensor => tf.reshape(tf.matMul(tf.reshape(x, [-1, wf]), m, false, true), [h, n, w]);
    const img = tf.sub(tf.sub(right(alongH(ch, a), cw), right(alongH(sh, a), sw)), tf.add(right(alongH(sh, b), cw), right(alongH(ch, b), sw)));
    return tf.transpose(img, [1, 0, 2]) as Tensor3D;
  });
}

test('the inverse DFT equals its definition and its former formulation, values and gradients', () => {
  for (const [m, h, w] of [[3, 6, 7], [2, 8, 8], [4, 5, 12]] as const) {
    const wf = Math.floor(w / 2) + 1;
    const a = tf.randomNormal([m, h, wf], 0, 1, 'float32', h) as Tensor3D;
    const b = tf.randomNormal([m, h, wf], 0, 1, 'float32', w) as Tensor3D;
    const dft = createDft2(h, w);
    const x = dft.inverse(a, b);
    assert.deepEqual(x.shape, [m, h, w]);
    const ref = direct(a.dataSync() as Float32Array, b.dataSync() as Float32Array, m, h, w);
    const got = x.dataSync();
    let err = 0;
    ref.forEach((v, i) => (err = Math.max(err, Math.abs(v - got[i]!))));
    assert.ok(err < 1e-4 * Math.max(...ref.map(Math.abs)), `${m}×${h}×${w}: max error ${err}`);
    const old = formerInverse(a, b, h, w);
    assert.ok(maxAbs(tf.sub(x, old)) < 1e-5 * maxAbs(old), `${m}×${h}×${w}: vs former`);
    const up = tf.randomNormal([m, h, w], 0, 1, 'float32', 9);
    const [ga, gb] = tf.grads((p: Tensor, q: Tensor) => tf.sum(tf.mul(dft.inverse(p as Tensor3D, q as Tensor3D), up)))([a, b]);
    const [oa, ob] = tf.grads((p: Tensor, q: Tensor) => tf.sum(tf.mul(formerInverse(p as Tensor3D, q as Tensor3D, h, w), up)))([a, b]);
    assert.ok(maxAbs(tf.sub(ga!, oa!)) < 1e-5 * maxAbs(oa!) && maxAbs(tf.sub(gb!, ob!)) < 1e-5 * maxAbs(ob!), `${m}×${h}×${w}: gradients`);
    tf.dispose([a, b, x, old, up, ga!, gb!, oa!, ob!]);
    dft.dispose();
  }
});

test('forward then inverse gives the image back (half spectrum with twin weights)', () => {
  const [h, w] = [6, 8];
  const dft = createDft2(h, w);
  const img = tf.randomNormal([2, h, w], 0, 1, 'float32', 5) as Tensor3D;
  const back = tf.tidy(() => {
    const { re, im } = dft.forward(img);
    const twin = tf.tensor1d(Array.from({ length: w / 2 + 1 }, (_, v) => (v === 0 || v === w / 2 ? 1 : 2)));
    // X = re + i·im with X = Σ x e^{−iθ}; x = (1/HW) Σ Re(X e^{+iθ}) = Σ A cos θ − B sin θ with A = re·t/HW, B = im·t/HW.
    return dft.inverse(tf.div(tf.mul(re, twin), h * w) as Tensor3D, tf.div(tf.mul(im, twin), h * w) as Tensor3D);
  });
  assert.ok(maxAbs(tf.sub(back, img)) < 1e-5, `round trip error ${maxAbs(tf.sub(back, img))}`);
  tf.dispose([img, back]);
  dft.dispose();
});
