/** `featvis layers`: options and help (no TensorFlow here; the code is ../layers.ts). */
import { DEFAULT_MODEL } from '../../models/defaults.js';
import type { CommandSpec } from '../options.js';

export const spec: CommandSpec = {
  name: 'layers',
  summary: "list a model's layers with their output shapes (and frozen/tuned weights where the file says)",
  usage: '[options]',
  options: {
    model: { value: '<id|path|url>', help: 'model', default: DEFAULT_MODEL },
    filter: { value: '<text>', help: 'only layers whose name contains this' },
    runtime: { value: '<featvis|tfjs>', help: 'tfjs runs an architecture featvis knows (Keras InceptionV3 in a model.json) as a plain TF.js LayersModel' },
    json: { type: 'boolean', help: 'print JSON' },
  },
  load: () => import('../layers.js'),
};
