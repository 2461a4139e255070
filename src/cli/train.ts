/**
 * `featvis train`: trains featvis's built-in default model on Imagenette and
 * writes it (TF.js LayersModel + featvis.json + MODEL_CARD.md).
 * Options: specs/train.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backendInfo, tf } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import type { CommandArgs } from './options.js';
import { countParams, forwardMacs } from '../train/architecture.js';
import { defaultTrainCacheDir, ensureImageCache, IMAGENETTE_CLASSES, strideSubset } from '../train/dataset.js';
import { compareCheckpoints, readCheckpoint } from '../train/checkpoint.js';
import { fixedSizeCopy, saveLayersModel } from '../train/export.js';
import { renderModelCard } from '../train/modelCard.js';
import { DEFAULT_MODEL_NAME, DEFAULT_RECIPE, EVAL_SIZE, TINY_ARCH, TRAIN_CACHE_SIZE } from '../train/recipe.js';
import { ensureTeacherTargets } from '../train/teacher.js';
import { trainRunKey, evaluate, fmtTime, train, type TrainConfig } from '../train/trainer.js';

function num(v: string | undefined, name: string, fallback: number, integer = false): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new FeatvisError(`--${name} expects ${integer ? 'an integer' : 'a number'}, got '${v}'`);
  return n;
}

/** Runs `featvis train` (options: specs/train.ts); returns the exit code. */
export async function run(a: CommandArgs): Promise<number> {
  const s = (k: string): string | undefined => a.optStr(k);
  const argv = a.argv;
  const shared = path.resolve(process.env.FEATVIS_SHARED ?? '../shared');
  const dataRoot = path.resolve(s('data') ?? path.join(shared, 'images', 'imagenette2_224'));
  const outDir = path.resolve(s('out') ?? path.join('data', DEFAULT_MODEL_NAME));
  const cache = path.resolve(s('cache') ?? defaultTrainCacheDir());
  const d = DEFAULT_RECIPE;
  let sizes = d.sizes;
  if (s('sizes') !== undefined) {
    const m = /^(\d+):(\d+)$/.exec(s('sizes')!);
    if (!m) throw new FeatvisError(`--sizes expects A:B (e.g. 96:128), got '${s('sizes')}'`);
    sizes = [Number(m[1]), Number(m[2])];
  }
  const teacherPath = s('teacher') ? path.resolve(s('teacher')!) : null;
  const config: TrainConfig = {
    seed: num(s('seed'), 'seed', d.seed, true),
    epochs: num(s('epochs'), 'epochs', d.epochs, true),
    batchSize: num(s('batch'), 'batch', d.batchSize, true),
    lr: num(s('lr'), 'lr', d.lr),
    warmupEpochs: num(s('warmup'), 'warmup', d.warmupEpochs),
    momentum: d.momentum,
    weightDecay: num(s('wd'), 'wd', d.weightDecay),
    labelSmoothing: num(s('smoothing'), 'smoothing', d.labelSmoothing),
    sizes,
    augment: { ...d.augment, scale: [num(s('scale-min'), 'scale-min', d.augment.scale[0]), 1], jitter: num(s('jitter'), 'jitter', d.augment.jitter) },
    arch: a.bool('tiny') ? TINY_ARCH : d.arch,
    distill: teacherPath
      ? { alpha: num(s('alpha'), 'alpha', d.distill?.alpha ?? 0.5), temperature: num(s('temperature'), 'temperature', d.distill?.temperature ?? 2) }
      : null,
  };
  if (config.epochs < 1 || config.batchSize < 1) throw new FeatvisError('--epochs and --batch must be at least 1');
  const key = trainRunKey(config);
  const evalSize = num(s('eval-size'), 'eval-size', EVAL_SIZE, true);
  if (evalSize < 32 || evalSize > 512) throw new FeatvisError(`--eval-size must be between 32 and 512, got ${evalSize}`);
  const ckpt = path.resolve(s('checkpoint') ?? path.join(cache, 'checkpoints', `${DEFAULT_MODEL_NAME}-${key}.ckpt`));
  if (s('compare') !== undefined) return compareCommand(ckpt, path.resolve(s('compare')!));
  if (a.bool('fresh') && fs.existsSync(ckpt)) fs.rmSync(ckpt);
  const t0 = Date.now();
  const say = (l: string): void => console.log(l);

  say(`featvis train: data ${dataRoot}, out ${outDir}, settings ${key}, checkpoint ${ckpt}`);
  const progress = (what: string) => (done: number, total: number) => say(`${what}: ${done}/${total} images (${fmtTime((Date.now() - t0) / 1000)})`);
  const trainCache = await ensureImageCache({ root: dataRoot, split: 'train', size: TRAIN_CACHE_SIZE, dir: cache, onProgress: progress('decoding train') });
  const valCache = await ensureImageCache({ root: dataRoot, split: 'val', size: evalSize, dir: cache, onProgress: progress('decoding val') });
  let teacher: Float32Array | undefined;
  let teacherTop1 = NaN;
  if (teacherPath) {
    const t = await ensureTeacherTargets({
      root: dataRoot,
      split: 'train',
      teacherPath,
      dir: cache,
      onProgress: (done, total) => {
        if (done % 640 === 0 || done === total) progress('teacher')(done, total);
      },
      load: async () => {
        const { loadTflite } = await import('../models/tflite.js');
        const m = await loadTflite(teacherPath);
        return { model: m, layer: m.logitsLayer ?? m.outputLayer };
      },
    });
    teacher = t.logits;
    let hit = 0;
    for (let i = 0; i < trainCache.count; i++) {
      const row = teacher.subarray(i * 10, i * 10 + 10);
      if (row.indexOf(Math.max(...row)) === trainCache.labels[i]) hit++;
    }
    teacherTop1 = hit / trainCache.count;
    say(`teacher top-1 on the training images: ${(teacherTop1 * 100).toFixed(2)} %`);
  }

  const stop = { stop: false };
  const onSignal = (): void => {
    if (stop.stop) process.exit(130);
    stop.stop = true;
    say('interrupt: writing a checkpoint at the end of this step (interrupt again to quit at once)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const valN = num(s('val-subset'), 'val-subset', 500, true);
  const maxSteps = s('max-steps') === undefined ? undefined : num(s('max-steps'), 'max-steps', 0, true);
  let result;
  try {
    result = await train({
      config,
      data: { train: trainCache, ...(valN > 0 ? { val: { cache: valCache, indices: strideSubset(valCache.count, Math.min(valN, valCache.count)) } } : {}), ...(teacher ? { teacher } : {}) },
      checkpointFile: ckpt,
      checkpointMinutes: num(s('checkpoint-minutes'), 'checkpoint-minutes', 10),
      keepEveryEpochs: num(s('keep-every'), 'keep-every', 0, true),
      ...(maxSteps !== undefined ? { maxSteps } : {}),
      stop,
      log: say,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (!result.finished) {
    say(`stopped at epoch ${result.epoch + 1} step ${result.step} (checkpoint ${ckpt}); rerun the same command to continue`);
    result.model.dispose();
    return stop.stop ? 130 : 0;
  }

  const fixed = fixedSizeCopy(result.model, config.arch, evalSize);
  result.model.dispose();
  const all = Array.from({ length: valCache.count }, (_, i) => i);
  const val = await evaluate(fixed, valCache, all, evalSize);
  say(`full val top-1: ${(val.top1 * 100).toFixed(2)} % (${val.correct}/${val.count})`);
  const labels = IMAGENETTE_CLASSES.map((c) => c.name);
  const weightBytes = await saveLayersModel(fixed, outDir, {
    name: DEFAULT_MODEL_NAME,
    preprocess: { size: [evalSize, evalSize], range: [-1, 1], channelOrder: 'RGB' },
    labels,
    suggestedLayer: 'stage3',
    visualise: { recommendedLayer: 'stage3', stages: ['stem', 'stage1', 'stage2', 'stage3', 'stage4'], logits: 'logits' },
    training: { settings: key, seed: config.seed, valTop1: val.top1, valCount: val.count, seconds: Math.round(result.elapsed) },
  });
  const cpus = os.cpus();
  const b = backendInfo();
  const layers = fixed.layers.map((l) => ({ name: l.name, shape: (l.outputShape as number[]).slice(1) }));
  const card = renderModelCard({
    name: DEFAULT_MODEL_NAME,
    config,
    history: result.history,
    val,
    labels,
    trainCount: trainCache.count,
    trainSeconds: result.elapsed,
    machine: `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}`,
    machineShort: `${cpus.length} CPU core${cpus.length === 1 ? '' : 's'}`,
    backend: `${b.package} (TensorFlow ${b.tfVersion ?? 'n/a'}, ${b.backend} backend)`,
    params: countParams(fixed),
    weightBytes,
    macs: forwardMacs(config.arch, evalSize),
    inputSize: evalSize,
    trainCacheSize: TRAIN_CACHE_SIZE,
    layers,
    teacher: teacherPath ? { file: path.basename(teacherPath), trainTop1: teacherTop1 } : null,
    command: `npx featvis train ${argv.map((a) => (/^[\w./:=-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`.trim(),
    date: new Date().toISOString().slice(0, 10),
  });
  fs.writeFileSync(path.join(outDir, 'MODEL_CARD.md'), card);
  fixed.dispose();
  say(`wrote ${outDir} (${(weightBytes / 1e6).toFixed(2)} MB weights) in ${fmtTime((Date.now() - t0) / 1000)}; tensors alive: ${tf.memory().numTensors}`);
  return 0;
}

function compareCommand(mine: string, other: string): number {
  for (const f of [mine, other]) if (!fs.existsSync(f)) throw new FeatvisError(`no checkpoint at ${f}`);
  const a = readCheckpoint(mine);
  const b = readCheckpoint(other);
  const d = compareCheckpoints(a, b);
  const at = (c: typeof a): string => `epoch ${c.epoch + (c.step > 0 ? 1 : 0)}${c.step > 0 ? ` step ${c.step}` : ' end'} (global step ${c.globalStep})`;
  console.log(`${mine}: ${at(a)}\n${other}: ${at(b)}`);
  if (!d.samePosition) console.log('the checkpoints are at different positions or come from different settings');
  console.log(
    d.differing === 0
      ? `bit-identical: ${d.arrays} arrays, ${d.values} values (weights, BatchNorm statistics, optimizer state)`
      : `${d.differing} of ${d.values} values differ; largest |difference| ${d.maxAbsDiff.toExponential(3)} in ${d.worst}`,
  );
  return d.differing === 0 && d.samePosition ? 0 : 1;
}
