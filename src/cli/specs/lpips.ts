/** `featvis lpips`: options and help (no TensorFlow here; the code is ../lpips.ts). */
import type { CommandSpec } from '../options.js';
import { metricOptions } from './metricOptions.js';

export const spec: CommandSpec = {
  name: 'lpips',
  summary: 'perceptual distance between two images (and its spatial map)',
  usage: '<image-a> <image-b> [options]',
  positionals: { min: 2, max: 2, missing: 'give two image paths' },
  options: {
    size: { value: '<px>', help: 'side both images are resized to', default: 64 },
    spatial: { value: '<map.png>', help: 'also write the spatial distance map' },
    ...metricOptions('lpips'),
  },
  load: () => import('../lpips.js'),
};
