/**
 * A classifier's top-k classes for image files: how a user checks that an
 * imported model is right (`featvis predict`, `fv.predictTopK`). Images are
 * resized to the model's input size ('fill': the whole photo, stretched, as
 * featvis feeds images everywhere) and run to the classifier output: the
 * model's last 1-D layer unless one is named. Where that layer's rows are not
 * probabilities already (non-negative, summing to 1), a softmax is applied.
 */
import { tf, type Tensor2D } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import type { FeatModel } from '../core/types.js';
import { readImageBatch } from '../data/image.js';

export interface ClassScore {
  index: number;
  /** The model's label for the class, when it has labels for every output. */
  label: string | null;
  probability: number;
}

export interface Prediction {
  file: string;
  top: ClassScore[];
}

export interface PredictResult {
  layer: string;
  classes: number;
  /** How the layer's values became probabilities. */
  applied: 'probabilities as given' | 'softmax of the logits';
  /** Why labels are missing, or null. */
  labelsNote: string | null;
  predictions: Prediction[];
}

export interface PredictOptions {
  /** Classes per image (default 5). */
  k?: number;
  /** Output layer (default: the last 1-D layer). */
  layer?: string;
  /** Images per forward pass (default 16). */
  batchSize?: number;
}

/** The classifier output: the model's last layer with a 1-D shape. */
export function classifierLayer(model: FeatModel): string {
  const last = model.layers.filter((l) => l.shape.length === 1).at(-1);
  if (!last) throw new FeatvisError(`${model.name} has no 1-D output layer to read classes from (name one with --layer)`);
  return last.name;
}

function isProbabilityRow(row: ArrayLike<number>): boolean {
  let sum = 0;
  for (let i = 0; i < row.length; i++) {
    if (!(row[i]! >= 0)) return false;
    sum += row[i]!;
  }
  return Math.abs(sum - 1) < 1e-3;
}

export async function predictTopK(model: FeatModel, files: readonly string[], opts: PredictOptions = {}): Promise<PredictResult> {
  if (files.length === 0) throw new FeatvisError('predictTopK: give at least one image');
  const layer = opts.layer ?? classifierLayer(model);
  const info = model.layers.find((l) => l.name === layer);
  if (!info) throw new FeatvisError(`predictTopK: ${model.name} has no layer '${layer}'`);
  const classes = info.shape.reduce((a, b) => a * b, 1);
  const k = Math.min(opts.k ?? 5, classes);
  const labels = model.labels && model.labels.length === classes ? model.labels : null;
  const labelsNote = labels
    ? null
    : model.labels
      ? `labels: the model has ${model.labels.length} labels for ${classes} outputs, so none are shown`
      : `labels: ${model.name} carries none (a featvis.json beside the model can name a labels file)`;
  const batch = opts.batchSize ?? 16;
  const predictions: Prediction[] = [];
  let applied: PredictResult['applied'] = 'probabilities as given';
  for (let i = 0; i < files.length; i += batch) {
    const chunk = files.slice(i, i + batch);
    const x = await readImageBatch(chunk, model.preprocess.size, 'fill');
    let rows: number[][];
    try {
      const out = tf.tidy(() => tf.reshape(model.activations(x, [layer])[layer]!, [chunk.length, classes]) as Tensor2D);
      rows = (await out.array()) as number[][];
      out.dispose();
    } finally {
      x.dispose();
    }
    for (const [j, row] of rows.entries()) {
      let probs = row;
      if (!isProbabilityRow(row)) {
        applied = 'softmax of the logits';
        const max = Math.max(...row);
        const e = row.map((v) => Math.exp(v - max));
        const s = e.reduce((a, b) => a + b, 0);
        probs = e.map((v) => v / s);
      }
      const order = probs.map((p, idx) => idx).sort((a, b) => probs[b]! - probs[a]! || a - b);
      predictions.push({ file: chunk[j]!, top: order.slice(0, k).map((idx) => ({ index: idx, label: labels?.[idx] ?? null, probability: probs[idx]! })) });
    }
  }
  return { layer, classes, applied, labelsNote, predictions };
}
