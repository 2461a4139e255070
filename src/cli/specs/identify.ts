/** `featvis identify`: options and help (no TensorFlow here; the code is ../identify.ts). */
import { BACKBONE_IDS } from '../../metrics/backboneIds.js';
import type { CommandSpec } from '../options.js';

export const spec: CommandSpec = {
  name: 'identify',
  summary: 'channel-identification accuracy of AM images and controls, per offline metric: does the metric tell channels apart?',
  usage: '--model <…> --layer <name> --images <folder>[,<folder>…] [options]',
  description:
    'For channels of one layer: mines the top-(k + held-out) exemplars (resumable), renders AM images with the ' +
    'default recipe (fv.AM_DEFAULTS; resumable, keyed by the settings), then per backbone and variant prints the ' +
    'channel-identification accuracy (2AFC over channel pairs, Wilson 95 %) of the AM images, of held-out ' +
    'exemplars (positive control) and of random images (≈ 50 %), and the normalised interpretability.',
  options: {
    model: { value: '<id|path|url>', help: 'model' },
    layer: { value: '<name>', help: 'layer' },
    images: { value: '<folders>', help: 'image folders, comma-separated' },
    channels: { value: '<list>', help: 'channels', default: '0-31' },
    metrics: { value: '<ids>', help: `backbones, comma-separated (default all: ${BACKBONE_IDS.join(', ')})` },
    seeds: { value: '<list>', help: 'AM seeds', default: '0' },
    k: { value: '<n>', help: 'exemplars per channel', default: 9 },
    'held-out': { value: '<n>', help: 'held-out exemplars', default: 9 },
    random: { value: '<n>', help: 'random images per (channel, seed) (default: k)' },
    size: { value: '<px>', help: 'side every image is resized to before the metric', default: 128 },
    crop: { type: 'boolean', help: 'receptive-field crops of the exemplars instead of whole images' },
    steps: { value: '<n>', help: 'AM steps (default: the AM defaults)' },
    batch: { value: '<n>', help: 'channels per AM batch (default: the AM defaults)' },
    out: { value: '<dir>', help: 'output folder (default runs/identify/<model>-<layer>); rerun to resume' },
  },
  load: () => import('../identify.js'),
};
