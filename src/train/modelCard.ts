/** Renders MODEL_CARD.md for a trained default model from its run record. */
import type { ArchConfig } from './architecture.js';
import type { EpochRecord, EvalResult, TrainConfig } from './trainer.js';
import { fmtTime } from './trainer.js';

export interface CardInfo {
  name: string;
  config: TrainConfig;
  history: EpochRecord[];
  val: EvalResult;
  labels: string[];
  trainCount: number;
  trainSeconds: number;
  machine: string;
  /** A few words for the intro, e.g. "two CPU cores". */
  machineShort: string;
  backend: string;
  params: number;
  weightBytes: number;
  macs: number;
  inputSize: number;
  trainCacheSize: number;
  layers: Array<{ name: string; shape: number[] }>;
  /** Teacher file name and its top-1 on the training images, when distilled. */
  teacher: { file: string; trainTop1: number } | null;
  command: string;
  date: string;
}

function archLine(a: ArchConfig): string {
  return `stem ${a.stem.join('→')} ch, stages ${a.widths.join('/')} ch with ${a.blocks.join('/')} basic blocks`;
}

export function renderModelCard(i: CardInfo): string {
  const c = i.config;
  const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;
  const best = ['stem', 'stage1', 'stage2', 'stage3', 'stage4'].map((n) => i.layers.find((l) => l.name === n)).filter((l): l is { name: string; shape: number[] } => l !== undefined);
  return `# ${i.name} — featvis's built-in default model

A small ResNet-style CNN trained by featvis's own code (\`featvis train\`, TensorFlow.js on
CPU) on Imagenette, so that featvis works offline without downloading anything.
It is a feature-visualisation subject, not a production classifier: it was trained in ${fmtTime(i.trainSeconds)} (h:mm:ss)
on ${i.machineShort}, and it knows 10 classes, not ImageNet's 1000.

## Results

| metric | value |
|---|---|
| top-1, full Imagenette2 val split (${i.val.count} images, whole 224 px image resized to ${i.inputSize}×${i.inputSize}, as featvis feeds it) | **${pct(i.val.top1)}** (${i.val.correct}/${i.val.count}) |
| parameters (incl. BatchNorm statistics) | ${i.params.toLocaleString('en-US')} (${(i.weightBytes / 1e6).toFixed(2)} MB float32) |
| forward cost at ${i.inputSize} px | ${(i.macs / 1e6).toFixed(0)} M multiply-adds |
| training time | ${fmtTime(i.trainSeconds)} (h:mm:ss) of wall clock on ${i.machine}, ${i.backend} |
| trained | ${i.date} |

Per-class val top-1: ${i.labels.map((l, k) => `${l} ${pct(i.val.perClass[k] ?? NaN)}`).join(', ')}.

## Model

- Input: ${i.inputSize}×${i.inputSize} RGB scaled to [-1, 1] (featvis.json \`preprocess\`; featvis applies it).
- Architecture: ${archLine(c.arch)}; every conv is 3×3 (1×1 projection shortcuts), conv → BatchNorm → ReLU,
  residual add before the block's last ReLU; global average pooling (\`pool\`); dense \`logits\` (${i.labels.length} classes, no softmax).
- Named layers for visualisation (block outputs after ReLU):

| layer | shape (H, W, C) |
|---|---|
${best.map((l) => `| \`${l.name}\` | ${l.shape.join(' × ')} |`).join('\n')}
| \`logits\` | ${i.labels.length} |

  **Best layer for channel visualisation: \`stage3\`** (mid-level parts and textures); \`stage4\` for object-level
  features, \`logits\` for class visualisation. Inner layers are \`stageN_blockB_conv1/bn1/relu1/conv2/bn2/add\`.
- Classes (output order): ${i.labels.map((l, k) => `${k} ${l}`).join(', ')}.

## Training recipe

- Data: Imagenette2 (\`train/\`, ${i.trainCount} images; the 224 px copy in featvis's shared data), every image decoded
  once to ${i.trainCacheSize}×${i.trainCacheSize} (shorter side, centre) into a uint8 cache.
- ${c.epochs} epochs, batch ${c.batchSize}, SGD with Nesterov momentum ${c.momentum}, peak learning rate ${c.lr},
  ${c.warmupEpochs} epoch linear warm-up from lr/10 then cosine decay to 0 (per step), decoupled weight decay ${c.weightDecay}
  on conv/dense kernels, label smoothing ${c.labelSmoothing}, zero-initialised last BatchNorm scale in each residual block.
- Progressive resizing: training input ${c.sizes[0]} px in the first epoch growing linearly to ${c.sizes[1]} px in the last
  (rounded to multiples of 16); evaluation at ${i.inputSize} px.
- Augmentation: random resized crop (area ${c.augment.scale[0]}–${c.augment.scale[1]}, aspect ${c.augment.ratio[0].toFixed(2)}–${c.augment.ratio[1].toFixed(2)}),
  horizontal flip p=${c.augment.flip}, brightness/contrast/saturation jitter ±${c.augment.jitter}.
- ${
    c.distill && i.teacher
      ? `Distillation: yes. Teacher \`${i.teacher.file}\` (Coral MobileNetV2 1.0 224, uint8, loaded by featvis's TFLite importer) run once over the un-augmented 224 px training images; its logits for the 10 classes (top-1 ${pct(i.teacher.trainTop1)} on the training images) are cached. Loss = ${(1 - c.distill.alpha).toFixed(2)} × label-smoothed cross-entropy + ${c.distill.alpha.toFixed(2)} × T² × soft cross-entropy to the teacher at T = ${c.distill.temperature}.`
      : 'Distillation: no (trained from scratch on the labels only).'
  }
- Seed ${c.seed}: weight initialisers, shuffling and augmentation are all derived from it (counter-based streams keyed by
  epoch and step), so the same command on the same data gives the same weights (up to the floating-point
  determinism of the TensorFlow build and thread count). To check a rerun against a run, stop it at the same
  point (\`--max-steps N --checkpoint other.ckpt\`) and compare the two checkpoints value by value with
  \`--compare other.ckpt\` (exit code 0 = bit-identical weights, BatchNorm statistics and optimizer state).

Per-epoch log (val subset: 500 fixed val images, every ~8th of the sorted split, whole image resized to the evaluation size):

| epoch | input px | train loss | val-subset top-1 | seconds |
|---|---|---|---|---|
${i.history.map((h) => `| ${h.epoch} | ${h.size} | ${h.loss.toFixed(4)} | ${h.valTop1 === null ? '–' : pct(h.valTop1)} | ${h.seconds.toFixed(0)} |`).join('\n')}

## Retraining

\`\`\`
${i.command}
\`\`\`

Checkpoints are written after every epoch and every few minutes under the cache folder; rerunning the same
command after an interruption resumes where it stopped. \`--help\` lists every option.

## Licence and terms

The training data, Imagenette (fast.ai, a subset of ImageNet), is derived from ImageNet and is available for
**non-commercial research and educational use only** under the ImageNet terms of access. These weights are
derived from that data and inherit those terms: use them for research and education, not commercially.
${c.distill ? 'The teacher (Coral MobileNetV2, Apache-2.0) was itself trained on ImageNet.\n' : ''}featvis's code is Apache-2.0; that licence does not extend to these weights.
`;
}
