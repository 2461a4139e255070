/** `featvis layers --model …`: every layer with its output shape. */
import { loadModel } from '../models/load.js';
import type { CommandArgs } from './options.js';
import { defaultLayer } from '../models/defaults.js';
import type { FeatModel, LayerInfo } from '../core/types.js';

const FROZEN_LEGEND = 'weights: frozen = trainable: false in the model file (kept from before its last training), tuned = trainable, blank = no weights';

function weightsMark(l: LayerInfo): string {
  return l.trainable === undefined ? '' : l.trainable ? 'tuned' : 'frozen';
}

/** The text `featvis layers` prints (without the trailing newline). */
export function formatLayers(model: FeatModel, filter?: string): string {
  const layers = model.layers.filter((l) => !filter || l.name.includes(filter));
  const lines = [`${model.name}: ${model.layers.length} layers, input ${model.preprocess.size.join('×')} ${model.preprocess.channelOrder} in [${model.preprocess.range.join(', ')}]`];
  for (const n of model.notes ?? []) lines.push(`note: ${n}`);
  // The trainable flags matter only where the file froze some layers (a fine-tuned model).
  const flags = model.layers.some((l) => l.trainable === false);
  const w = Math.max(...layers.map((l) => l.name.length), 5);
  for (const l of layers) {
    const row = `${l.name.padEnd(w)}  ${l.kind.padEnd(22)} ${l.shape.join('×')}`;
    lines.push(flags ? `${row.padEnd(w + 2 + 23 + 14)} ${weightsMark(l)}`.trimEnd() : row);
  }
  if (flags) lines.push(FROZEN_LEGEND);
  lines.push(`suggested layer: ${defaultLayer(model)}`);
  return lines.join('\n');
}

export async function run(a: CommandArgs): Promise<void> {
  const src = a.str('model');
  const filter = a.optStr('filter');
  const runtime = a.has('runtime') ? a.choice('runtime', ['featvis', 'tfjs'] as const) : undefined;
  const json = a.bool('json');
  const model = await loadModel(src, runtime ? { runtime } : {});
  try {
    if (json) {
      const layers = model.layers.filter((l) => !filter || l.name.includes(filter));
      console.log(JSON.stringify({ model: model.name, preprocess: model.preprocess, notes: model.notes ?? [], suggestedLayer: defaultLayer(model), layers }, null, 2));
    } else {
      console.log(formatLayers(model, filter));
    }
  } finally {
    model.dispose();
  }
}
