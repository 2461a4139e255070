/** `featvis layers --model …`: every layer with its output shape. */
import { loadModel } from '../models/load.js';
import { Args, parseArgs } from './args.js';
import { DEFAULT_MODEL, defaultLayer } from '../models/defaults.js';

export async function runLayers(argv: readonly string[]): Promise<void> {
  const a = new Args(parseArgs(argv, ['json', 'help']));
  if (a.bool('help', false)) {
    console.log(`featvis layers [--model <id|path|url>] [--filter <substring>] [--json]\n  default model: ${DEFAULT_MODEL}`);
    return;
  }
  const src = a.str('model', DEFAULT_MODEL);
  const filter = a.str('filter');
  const json = a.bool('json', false);
  a.finish();
  const model = await loadModel(src);
  const layers = model.layers.filter((l) => !filter || l.name.includes(filter));
  if (json) {
    console.log(JSON.stringify({ model: model.name, preprocess: model.preprocess, layers }, null, 2));
  } else {
    console.log(`${model.name}: ${model.layers.length} layers, input ${model.preprocess.size.join('×')} ${model.preprocess.channelOrder} in [${model.preprocess.range.join(', ')}]`);
    const w = Math.max(...layers.map((l) => l.name.length), 5);
    for (const l of layers) console.log(`${l.name.padEnd(w)}  ${l.kind.padEnd(22)} ${l.shape.join('×')}`);
    console.log(`suggested layer: ${defaultLayer(model)}`);
  }
  model.dispose();
}
