/**
 * The training loop for the default model: seeded, resumable, CPU-friendly.
 *
 * - data: uint8 image caches (dataset.ts), augmented in JS (augment.ts) with
 *   counter-based random streams keyed by (seed, epoch, step);
 * - model: architecture.ts, trained fully convolutionally so the input size
 *   can grow over the epochs (progressive resizing, `sizes`);
 * - loss: label-smoothed cross-entropy, optionally mixed with distillation
 *   from cached teacher scores (T²-scaled soft cross-entropy);
 * - optimiser: SGD with Nesterov momentum, decoupled weight decay on kernels,
 *   linear warm-up then cosine decay to zero, per step;
 * - checkpoints after every epoch and every few minutes (checkpoint.ts),
 *   from which a rerun resumes bit-for-bit.
 */
import fs from 'node:fs';
import { tf, type LayersModel, type Scalar, type Tensor, type Tensor2D, type Variable } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import { runKey } from '../core/runKey.js';
import { buildModel, type ArchConfig } from './architecture.js';
import { renderCrop, renderWhole, sampleCrop, type AugmentOptions } from './augment.js';
import { readCheckpoint, writeCheckpoint, type NamedArray } from './checkpoint.js';
import type { ImageCache } from './dataset.js';
import { epochPermutation, KeyedRng } from './random.js';

type MomentumOpt = ReturnType<typeof tf.train.momentum>;

export interface TrainConfig {
  seed: number;
  epochs: number;
  batchSize: number;
  /** Peak learning rate. */
  lr: number;
  /** Linear warm-up length in epochs (from lr/10 to lr). */
  warmupEpochs: number;
  momentum: number;
  /** Decoupled weight decay on conv/dense kernels (per unit learning rate). */
  weightDecay: number;
  labelSmoothing: number;
  /** Training input side for the first and last epoch (linear in between, multiples of 16). */
  sizes: [number, number];
  augment: Omit<AugmentOptions, 'size'>;
  arch: ArchConfig;
  /** Mix of teacher soft targets into the loss (needs teacher scores). */
  distill: { alpha: number; temperature: number } | null;
}

export interface EpochRecord {
  epoch: number;
  size: number;
  loss: number;
  /** Top-1 on the per-epoch validation subset (null when none). */
  valTop1: number | null;
  seconds: number;
}

export interface TrainData {
  train: ImageCache;
  /** Per-epoch validation subset (images at the evaluation size). */
  val?: { cache: ImageCache; indices: number[] };
  /** Teacher scores, train.count × numClasses. */
  teacher?: Float32Array;
}

export interface TrainOptions {
  config: TrainConfig;
  data: TrainData;
  /** Resume from / save to this file. */
  checkpointFile?: string;
  /** Also checkpoint mid-epoch every this many minutes (default 10). */
  checkpointMinutes?: number;
  /** Also keep a copy of the checkpoint after every this many epochs (`<name>-epochN.ckpt`), e.g. to compare reruns. */
  keepEveryEpochs?: number;
  /** Stop after this many steps in this invocation (timing runs, tests). */
  maxSteps?: number;
  /** Progress line every this many steps (default 10). */
  logEvery?: number;
  log?: (line: string) => void;
  /** Set `.stop` to end at the next step boundary (a checkpoint is written). */
  stop?: { stop: boolean };
}

export interface TrainResult {
  /** The trained (fully convolutional) model; the caller disposes it. */
  model: LayersModel;
  finished: boolean;
  epoch: number;
  step: number;
  globalStep: number;
  /** Training seconds, summed over resumed runs. */
  elapsed: number;
  history: EpochRecord[];
  /** Loss of the last step run. */
  lastLoss: number;
}

/** Run key of a training run: the settings a checkpoint must agree with. */
export function trainRunKey(c: TrainConfig): string {
  return runKey(c);
}

export function stepsPerEpoch(c: TrainConfig, count: number): number {
  const n = Math.floor(count / c.batchSize);
  if (n < 1) throw new FeatvisError(`batch size ${c.batchSize} is larger than the training set (${count} images)`);
  return n;
}

/** Input side for an epoch under progressive resizing. */
export function epochSize(c: TrainConfig, epoch: number): number {
  const [a, b] = c.sizes;
  const t = c.epochs <= 1 ? 1 : epoch / (c.epochs - 1);
  return Math.max(16, Math.round((a + (b - a) * t) / 16) * 16);
}

/** Learning rate at a global step: linear warm-up, then cosine to zero. */
export function learningRate(c: TrainConfig, globalStep: number, perEpoch: number): number {
  const total = c.epochs * perEpoch;
  const warm = Math.min(total - 1, Math.round(c.warmupEpochs * perEpoch));
  if (globalStep < warm) return c.lr * (0.1 + (0.9 * globalStep) / warm);
  const t = (globalStep - warm) / Math.max(1, total - warm);
  return c.lr * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, t)));
}

/** Fills a batch of augmented images for (epoch, step). Returns the image indices. */
export function makeBatch(c: TrainConfig, train: ImageCache, epoch: number, step: number, size: number, out: Float32Array): Uint32Array {
  const perm = epochPermutation(train.count, c.seed, epoch);
  const idx = perm.subarray(step * c.batchSize, (step + 1) * c.batchSize);
  const rng = new KeyedRng(c.seed, 0xa06, epoch, step);
  const src = train.size;
  const per = size * size * 3;
  idx.forEach((img, j) => {
    const crop = sampleCrop(rng, src, c.augment);
    renderCrop(train.pixels, img * src * src * 3, src, crop, size, out, j * per);
  });
  return idx;
}

/** MomentumOptimizer.dispose() (tfjs 4.22) forgets SGD's learning-rate scalar `c`; free it too. */
function disposeOptimizer(optimizer: MomentumOpt): void {
  optimizer.dispose();
  (optimizer as unknown as { c?: Tensor }).c?.dispose();
}

function readVariables(model: LayersModel): Variable[] {
  return model.trainableWeights.map((w) => (w as unknown as { read(): Variable }).read());
}

async function snapshot(model: LayersModel, optimizer: MomentumOpt): Promise<{ weights: NamedArray[]; optimizer: NamedArray[] }> {
  const weights: NamedArray[] = [];
  const values = model.getWeights();
  for (let i = 0; i < values.length; i++) {
    const w = model.weights[i]!;
    weights.push({ name: w.originalName, shape: values[i]!.shape.slice(), data: (await values[i]!.data()) as Float32Array });
  }
  const opt: NamedArray[] = [];
  for (const { name, tensor } of await optimizer.getWeights()) {
    const data = tensor.dtype === 'float32' ? ((await tensor.data()) as Float32Array) : Float32Array.from(await tensor.data());
    opt.push({ name, shape: tensor.shape.slice(), data });
    // getWeights() makes a fresh scalar for the iteration count (the rest are the live slots): free it.
    if (name === 'iter') tensor.dispose();
  }
  return { weights, optimizer: opt };
}

async function restore(model: LayersModel, optimizer: MomentumOpt, weights: NamedArray[], opt: NamedArray[], where: string): Promise<void> {
  if (weights.length !== model.weights.length) throw new FeatvisError(`${where}: checkpoint has ${weights.length} weights, model has ${model.weights.length}`);
  const tensors = weights.map((w, i) => {
    const mine = model.weights[i]!;
    if (w.name !== mine.originalName || w.shape.join() !== mine.shape.join()) {
      throw new FeatvisError(`${where}: weight ${i} is ${w.name} [${w.shape}] in the checkpoint but ${mine.originalName} [${mine.shape}] in the model`);
    }
    return tf.tensor(w.data, w.shape);
  });
  model.setWeights(tensors);
  tensors.forEach((t) => t.dispose());
  if (opt.length > 0) {
    // The first entry is the iteration counter; the rest are momentum accumulators in variable order.
    const named = opt.map((o) => ({ name: o.name, tensor: tf.tensor(o.data, o.shape) }));
    await optimizer.setWeights(named);
    named.forEach((n) => n.tensor.dispose());
  }
}

/** Runs (or resumes) training. */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const c = opts.config;
  const log = opts.log ?? ((l: string) => console.log(l));
  const { train: data, teacher } = opts.data;
  const k = c.arch.numClasses;
  if (c.distill && (!teacher || teacher.length !== data.count * k)) throw new FeatvisError('distillation needs teacher scores for every training image');
  const perEpoch = stepsPerEpoch(c, data.count);
  const key = trainRunKey(c);

  const model = buildModel(c.arch, null, c.seed);
  const optimizer = tf.train.momentum(c.lr, c.momentum, true);
  const vars = readVariables(model);
  const kernels = vars.filter((v) => /\/kernel$/.test(v.name.replace(/_\d+$/, '')));

  let epoch = 0;
  let step = 0;
  let globalStep = 0;
  let elapsedBefore = 0;
  let history: EpochRecord[] = [];
  if (opts.checkpointFile && fs.existsSync(opts.checkpointFile)) {
    const ck = readCheckpoint(opts.checkpointFile);
    if (ck.runKey !== key) {
      throw new FeatvisError(
        `${opts.checkpointFile} belongs to a run with different settings (${ck.runKey} ≠ ${key}); delete it or pass --fresh to start over`,
      );
    }
    await restore(model, optimizer, ck.weights, ck.optimizer, opts.checkpointFile);
    ({ epoch, step, globalStep } = ck);
    elapsedBefore = ck.elapsed;
    history = ck.history as EpochRecord[];
    log(
      epoch >= c.epochs
        ? `${opts.checkpointFile} holds the finished run (${Math.round(elapsedBefore)} s of training): nothing left to train`
        : `resumed from ${opts.checkpointFile}: epoch ${epoch + 1}, step ${step}, ${Math.round(elapsedBefore)} s trained so far`,
    );
  }

  const started = performance.now();
  const elapsed = (): number => elapsedBefore + (performance.now() - started) / 1000;
  let lastCkpt = performance.now();
  const ckptEvery = (opts.checkpointMinutes ?? 10) * 60_000;
  const save = async (): Promise<void> => {
    if (!opts.checkpointFile) return;
    const s = await snapshot(model, optimizer);
    writeCheckpoint(opts.checkpointFile, { runKey: key, config: c, epoch, step, globalStep, elapsed: elapsed(), history, ...s });
    lastCkpt = performance.now();
  };

  // Throughput for the ETA: seconds per (image × pixel), measured after warm-up steps.
  let costTime = 0;
  let costUnits = 0;
  let stepsThisRun = 0;
  let lastLoss = NaN;
  let epochLoss = 0;
  let epochSteps = 0;
  let epochStart = performance.now();
  const logEvery = opts.logEvery ?? 10;

  const remainingUnits = (): number => {
    let u = 0;
    for (let e = epoch; e < c.epochs; e++) {
      const s = epochSize(c, e);
      u += (e === epoch ? perEpoch - step : perEpoch) * c.batchSize * s * s;
    }
    return u;
  };

  while (epoch < c.epochs) {
    const size = epochSize(c, epoch);
    const buf = new Float32Array(c.batchSize * size * size * 3);
    if (step === 0) {
      epochLoss = 0;
      epochSteps = 0;
      epochStart = performance.now();
    }
    while (step < perEpoch) {
      if (opts.stop?.stop || (opts.maxSteps !== undefined && stepsThisRun >= opts.maxSteps)) {
        await save();
        disposeOptimizer(optimizer);
        return { model, finished: false, epoch, step, globalStep, elapsed: elapsed(), history, lastLoss };
      }
      const t0 = performance.now();
      const idx = makeBatch(c, data, epoch, step, size, buf);
      const lr = learningRate(c, globalStep, perEpoch);
      optimizer.setLearningRate(lr);
      const labels = Int32Array.from(idx, (i) => data.labels[i]!);
      let teach: Float32Array | null = null;
      if (c.distill && teacher) {
        teach = new Float32Array(idx.length * k);
        idx.forEach((img, j) => teach!.set(teacher.subarray(img * k, img * k + k), j * k));
      }
      const lossT = tf.tidy(() => {
        const x = tf.tensor4d(buf, [idx.length, size, size, 3]);
        const y = tf.oneHot(tf.tensor1d(labels, 'int32'), k);
        const t = teach ? tf.tensor2d(teach, [idx.length, k]) : null;
        // Decoupled weight decay on kernels: w ← w − lr·wd·w.
        if (c.weightDecay > 0) for (const v of kernels) v.assign(tf.mul(v, 1 - lr * c.weightDecay));
        return optimizer.minimize(
          () => {
            const logits = model.apply(x, { training: true }) as Tensor2D;
            let loss = tf.losses.softmaxCrossEntropy(y, logits, undefined, c.labelSmoothing) as Scalar;
            if (t && c.distill) {
              const T = c.distill.temperature;
              const soft = tf.softmax(tf.div(t, T));
              const kd = tf.mul(tf.neg(tf.mean(tf.sum(tf.mul(soft, tf.logSoftmax(tf.div(logits, T))), 1))), T * T) as Scalar;
              loss = tf.add(tf.mul(loss, 1 - c.distill.alpha), tf.mul(kd, c.distill.alpha)) as Scalar;
            }
            return loss;
          },
          true,
          vars,
        ) as Scalar;
      });
      lastLoss = (await lossT.data())[0]!;
      lossT.dispose();
      if (!Number.isFinite(lastLoss)) throw new FeatvisError(`training diverged at epoch ${epoch + 1} step ${step} (loss ${lastLoss}); lower --lr`);
      const dt = (performance.now() - t0) / 1000;
      stepsThisRun++;
      if (stepsThisRun > 3) {
        costTime += dt;
        costUnits += idx.length * size * size;
      }
      epochLoss += lastLoss;
      epochSteps++;
      step++;
      globalStep++;
      if (step % logEvery === 0 || step === perEpoch) {
        const rate = costUnits > 0 ? costTime / costUnits : dt / (idx.length * size * size);
        const imgs = 1 / (rate * size * size);
        log(
          `epoch ${epoch + 1}/${c.epochs} step ${step}/${perEpoch} size ${size} loss ${(epochLoss / epochSteps).toFixed(4)} ` +
            `lr ${lr.toFixed(4)} img/s ${imgs.toFixed(1)} elapsed ${fmtTime(elapsed())} ETA ${fmtTime(remainingUnits() * rate)}`,
        );
      }
      if (opts.checkpointFile && performance.now() - lastCkpt > ckptEvery && step < perEpoch) await save();
    }
    let valTop1: number | null = null;
    if (opts.data.val && opts.data.val.indices.length > 0) {
      valTop1 = (await evaluate(model, opts.data.val.cache, opts.data.val.indices, opts.data.val.cache.size)).top1;
    }
    const rec: EpochRecord = { epoch: epoch + 1, size, loss: epochLoss / Math.max(1, epochSteps), valTop1, seconds: (performance.now() - epochStart) / 1000 };
    history = [...history, rec];
    log(
      `epoch ${epoch + 1}/${c.epochs} done: loss ${rec.loss.toFixed(4)}` +
        (valTop1 === null ? '' : ` val-subset top-1 ${(valTop1 * 100).toFixed(2)}% (${opts.data.val!.indices.length} images)`) +
        ` ${rec.seconds.toFixed(0)} s`,
    );
    epoch++;
    step = 0;
    await save();
    const keep = opts.keepEveryEpochs ?? 0;
    if (opts.checkpointFile && keep > 0 && epoch % keep === 0) {
      fs.copyFileSync(opts.checkpointFile, opts.checkpointFile.replace(/(\.ckpt)?$/, `-epoch${epoch}.ckpt`));
    }
  }
  disposeOptimizer(optimizer);
  return { model, finished: true, epoch, step, globalStep, elapsed: elapsed(), history, lastLoss };
}

export interface EvalResult {
  top1: number;
  correct: number;
  count: number;
  /** Per-class top-1, in label order. */
  perClass: number[];
}

/** Top-1 of `model` (input in [-1, 1]) on cached images, resized whole to `size`. */
export async function evaluate(model: LayersModel, cache: ImageCache, indices: readonly number[], size: number, batch = 50): Promise<EvalResult> {
  const k = Math.max(...Array.from(cache.labels)) + 1;
  const hit = new Array<number>(k).fill(0);
  const seen = new Array<number>(k).fill(0);
  const src = cache.size;
  const per = size * size * 3;
  let correct = 0;
  for (let i = 0; i < indices.length; i += batch) {
    const ids = indices.slice(i, i + batch);
    const buf = new Float32Array(ids.length * per);
    ids.forEach((img, j) => renderWhole(cache.pixels, img * src * src * 3, src, size, buf, j * per));
    const pred = tf.tidy(() => tf.argMax(model.predict(tf.tensor4d(buf, [ids.length, size, size, 3])) as Tensor, 1));
    const p = await pred.data();
    pred.dispose();
    ids.forEach((img, j) => {
      const label = cache.labels[img]!;
      seen[label]!++;
      if (p[j] === label) {
        hit[label]!++;
        correct++;
      }
    });
  }
  return { top1: correct / indices.length, correct, count: indices.length, perClass: hit.map((h, i) => (seen[i] ? h / seen[i]! : NaN)) };
}

export function fmtTime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return `${h > 0 ? `${h}:` : ''}${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(r).padStart(2, '0')}`;
}
