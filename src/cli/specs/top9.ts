/** `featvis top9`: options and help (no TensorFlow here; the code is ../top9.ts). */
import { DEFAULT_MODEL } from '../../models/defaults.js';
import type { CommandSpec } from '../options.js';

export const spec: CommandSpec = {
  name: 'top9',
  summary: 'top-k dataset exemplars per channel (resumable mining) and contact sheets',
  usage: '--images <folder> [options]',
  options: {
    images: { value: '<folder>', help: 'image folder (any tree of jpg/png/bmp/webp); several: comma-separated' },
    model: { value: '<id|path|url>', help: 'model', default: DEFAULT_MODEL },
    layers: { value: '<a,b>', help: "layers mined in the same pass (default: the model's suggested layer)" },
    k: { value: '<n>', help: 'exemplars per channel', default: 9 },
    size: { value: '<px>', help: "input size (default: the model's)" },
    batch: { value: '<n>', help: 'images per batch', default: 32 },
    reduce: { value: '<mean|max>', help: 'ranking by spatial mean or max activation (both are stored)', default: 'mean' },
    store: { value: '<file>', help: 'SQLite store (default <out>/exemplars.sqlite); rerun to resume' },
    sheets: { value: '<channels>', help: 'contact sheets to write, e.g. 0-15', default: '0-8' },
    'range-sheet': { value: '<channels>', help: 'one big sheet of these channels, e.g. 0-119' },
    crop: { type: 'boolean', help: 'sheets show receptive-field crops instead of whole images' },
    out: { value: '<dir>', help: 'output folder (default runs/top9/<model>)' },
  },
  load: () => import('../top9.js'),
};
