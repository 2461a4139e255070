/** `featvis predict`: options and help (no TensorFlow here; the code is ../predict.ts). */
import { DEFAULT_MODEL } from '../../models/defaults.js';
import type { CommandSpec } from '../options.js';

export const spec: CommandSpec = {
  name: 'predict',
  summary: "a model's top-k classes for photos, with labels (checks that an import is right)",
  usage: '<image>… [options]',
  description:
    "Each image is resized to the model's input size (the whole photo, stretched, as featvis feeds images everywhere) " +
    "and run to the model's last layer; a softmax is applied where that layer gives logits. Labels come from the model " +
    '(TFLite metadata, featvis.json, the zoo); without them, class indices only.',
  positionals: { min: 1, max: Infinity, missing: 'give one or more image paths' },
  options: {
    model: { value: '<id|path|url>', help: 'model', default: DEFAULT_MODEL },
    top: { value: '<k>', help: 'classes per image', default: 5 },
    layer: { value: '<name>', help: "output layer (default: the model's classifier output)" },
    json: { type: 'boolean', help: 'print JSON' },
  },
  load: () => import('../predict.js'),
};
