/** `featvis train`: options and help (no TensorFlow here; the code is ../train.ts). */
import { cacheDir } from '../../io/cache.js';
import { DEFAULT_MODEL_NAME, DEFAULT_RECIPE, EVAL_SIZE } from '../../train/recipe.js';
import type { CommandSpec } from '../options.js';

const DATA = 'data and output';
const RECIPE = 'recipe (the defaults plus --teacher are the shipped model)';
const d = DEFAULT_RECIPE;

export const spec: CommandSpec = {
  name: 'train',
  summary: 'retrain the embedded model (featvis-imagenette) on Imagenette',
  usage: '[options]',
  description:
    "Trains featvis's default CNN on Imagenette (TensorFlow.js, CPU) and writes it as a TF.js LayersModel with " +
    'featvis.json and MODEL_CARD.md. The defaults plus --teacher <Coral MobileNetV2 .tflite> are the recipe of the ' +
    "shipped model (its MODEL_CARD.md has the exact command). Rerunning the same command resumes from the last " +
    'checkpoint after an interruption (Ctrl-C writes one too).',
  options: {
    data: { value: '<dir>', help: 'Imagenette root with train/ and val/ (default: $FEATVIS_SHARED/images/imagenette2_224, FEATVIS_SHARED defaulting to ../shared)', group: DATA },
    out: { value: '<dir>', help: 'output folder', default: `data/${DEFAULT_MODEL_NAME}`, group: DATA },
    cache: { value: '<dir>', help: 'decoded-image cache and checkpoints', default: cacheDir('train-cache'), group: DATA },
    checkpoint: { value: '<file>', help: 'checkpoint file (default: <cache>/checkpoints/<name>-<settings hash>.ckpt)', group: DATA },
    fresh: { type: 'boolean', help: 'ignore (delete) an existing checkpoint for these settings', group: DATA },
    'checkpoint-minutes': { value: '<n>', help: 'mid-epoch checkpoint interval', default: 10, group: DATA },
    'keep-every': { value: '<n>', help: 'also keep a copy of the checkpoint every n epochs (<checkpoint>-epochK.ckpt)', group: DATA },
    'max-steps': { value: '<n>', help: 'stop after n steps (writes a checkpoint; for timing runs)', group: DATA },
    'val-subset': { value: '<n>', help: 'validation images checked after each epoch (0 = none)', default: 500, group: DATA },
    compare: {
      value: '<file>',
      help: 'compare the checkpoint of these settings (or --checkpoint) with this one, value by value, and exit (0 = bit-identical): checks that a rerun with the same seed reproduces a run',
      group: DATA,
    },
    'eval-size': {
      value: '<n>',
      help: 'input side of the exported model and of evaluation; not part of the training settings: rerun a finished run with another value to re-export without retraining',
      default: EVAL_SIZE,
      group: DATA,
    },
    seed: { value: '<n>', help: 'random seed', default: d.seed, group: RECIPE },
    epochs: { value: '<n>', help: 'epochs', default: d.epochs, group: RECIPE },
    batch: { value: '<n>', help: 'batch size', default: d.batchSize, group: RECIPE },
    lr: { value: '<x>', help: 'peak learning rate, SGD + Nesterov momentum', default: d.lr, group: RECIPE },
    warmup: { value: '<x>', help: 'warm-up epochs', default: d.warmupEpochs, group: RECIPE },
    wd: { value: '<x>', help: 'decoupled weight decay', default: d.weightDecay, group: RECIPE },
    smoothing: { value: '<x>', help: 'label smoothing', default: d.labelSmoothing, group: RECIPE },
    sizes: { value: '<a:b>', help: 'training input px, first:last epoch', default: d.sizes.join(':'), group: RECIPE },
    'scale-min': { value: '<x>', help: 'smallest random-crop area fraction', default: d.augment.scale[0], group: RECIPE },
    jitter: { value: '<x>', help: 'colour jitter strength', default: d.augment.jitter, group: RECIPE },
    teacher: { value: '<file>', help: 'distil from this ImageNet model (e.g. the Coral MobileNetV2 .tflite); without it, trains on labels only', group: RECIPE },
    alpha: { value: '<x>', help: 'distillation weight', default: d.distill?.alpha ?? 0.5, group: RECIPE },
    temperature: { value: '<x>', help: 'distillation temperature', default: d.distill?.temperature ?? 2, group: RECIPE },
    tiny: { type: 'boolean', help: 'tiny network (smoke tests)', group: RECIPE },
  },
  load: () => import('../train.js'),
};
