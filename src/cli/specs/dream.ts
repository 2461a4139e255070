/** `featvis dream`: options and help (no TensorFlow here; the code is ../dream.ts). */
import { DEFAULT_MODEL } from '../../models/defaults.js';
import type { CommandSpec } from '../options.js';

export const spec: CommandSpec = {
  name: 'dream',
  summary: 'DeepDream on a photo, one image per layer (to choose a layer)',
  usage: '<photo> [options]',
  positionals: { min: 1, max: 1, missing: 'give a photo path' },
  options: {
    model: { value: '<id|path|url>', help: 'model', default: DEFAULT_MODEL },
    layers: { value: '<a,b,…>', help: "layers (or objective expressions) to dream with, one image each (default: the model's suggested layer)" },
    size: { value: '<px>', help: 'longer side of the working image', default: 256 },
    octaves: { value: '<n>', help: 'scales the photo is dreamed at', default: 4 },
    'octave-scale': { value: '<x>', help: 'size ratio between octaves', default: 1.4 },
    steps: { value: '<n>', help: 'gradient steps per octave', default: 10 },
    'step-size': { value: '<x>', help: 'gradient step size', default: 0.01 },
    jitter: { value: '<px>', help: 'random shift per step', default: 16 },
    seed: { value: '<n>', help: 'random seed', default: 0 },
    out: { value: '<dir>', help: 'output folder (default runs/dream/<photo name>)' },
  },
  load: () => import('../dream.js'),
};
