/** `featvis predict <images…>`: a model's top-k classes with labels (options: specs/predict.ts). */
import path from 'node:path';
import { FeatvisError, unknownLayerError } from '../core/errors.js';
import { loadModel } from '../models/load.js';
import { predictTopK, type Prediction } from '../models/predict.js';
import type { CommandArgs } from './options.js';

/** ImageNet labels list synonyms ("dragonfly, darning needle, …"): the table shows the first few. */
function shortLabel(label: string | null): string {
  if (label === null) return '';
  return label.length <= 32 ? label : `${label.slice(0, 31)}…`;
}

function formatPredictions(preds: readonly Prediction[]): string {
  const lines: string[] = [];
  for (const p of preds) {
    lines.push(path.basename(p.file));
    for (const [i, c] of p.top.entries()) {
      lines.push(`  ${String(i + 1).padStart(2)}. ${String(c.index).padStart(5)}  ${shortLabel(c.label).padEnd(32)} ${(100 * c.probability).toFixed(2).padStart(6)} %`);
    }
  }
  return lines.join('\n');
}

export async function run(a: CommandArgs): Promise<void> {
  const files = [...a.positionals];
  const top = a.int('top', { min: 1, max: 1000 });
  const layerFlag = a.optStr('layer');
  const json = a.bool('json');
  const model = await loadModel(a.str('model'));
  try {
    if (layerFlag !== undefined && !model.layers.some((l) => l.name === layerFlag)) throw unknownLayerError(layerFlag, model.layers.map((l) => l.name), model.name);
    const res = await predictTopK(model, files, { k: top, ...(layerFlag !== undefined ? { layer: layerFlag } : {}) });
    if (json) {
      console.log(JSON.stringify(res, null, 2));
      return;
    }
    const [h, w] = model.preprocess.size;
    console.log(`${model.name}: output ${res.layer} (${res.classes} classes, ${res.applied}); images resized to ${w}×${h}`);
    if (res.labelsNote) console.log(res.labelsNote);
    console.log(formatPredictions(res.predictions));
  } catch (err) {
    if (err instanceof FeatvisError) throw err;
    throw new FeatvisError(`cannot classify: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  } finally {
    model.dispose();
  }
}
