/** `featvis atlas`: options and help (no TensorFlow here; the code is ../atlas.ts). */
import { ATLAS_DEFAULTS as D } from '../../atlas/defaults.js';
import type { CommandSpec } from '../options.js';
import { metricOptions } from './metricOptions.js';

const SITE = 'rewrite the site only (no model needed)';
const AM = 'AM recipe overrides (default: the AM defaults, fv.AM_DEFAULTS)';

export const spec: CommandSpec = {
  name: 'atlas',
  summary: 'a layer atlas: every channel of a layer as a browsable offline site (resumable)',
  usage: '--model <…> --layer <name> --images <folder>[,<folder>…] [options]',
  description:
    'Renders every channel with the default AM recipe plus a diverse set per channel (Gram-matrix diversity penalty), ' +
    'mines the top-(k + held-out) exemplars with receptive-field crops and an activation histogram per channel, scores ' +
    'each channel (distance to its top-k with chance, ceiling, held-out exemplars and channel identification), finds ' +
    'nearest channels (co-activation, shared exemplars) and writes <out>/index.html and one page per channel. ' +
    'Resumable: kill it at any moment and run the same command again; finished channels are never redone.',
  options: {
    model: { value: '<id|path|url>', help: 'model' },
    layer: { value: '<name>', help: 'layer' },
    images: { value: '<folders>', help: 'image folders, comma-separated' },
    channels: { value: '<list>', help: 'channels, e.g. 0-63 (default: every channel of the layer)' },
    out: { value: '<dir>', help: 'output folder (default runs/atlas/<model>-<layer>); rerun to resume' },
    steps: { value: '<n>', help: 'AM steps', group: AM },
    size: { value: '<px>', help: 'AM image side', group: AM },
    batch: { value: '<n>', help: 'channels per AM batch', group: AM },
    seed: { value: '<n>', help: 'AM seed', group: AM },
    diverse: { value: '<n>', help: 'diverse images per channel (0 = none)', default: D.diverse },
    diversity: { value: '<x>', help: "diversity penalty × the channel's own AM activation", default: D.diversityWeight },
    'diverse-batch': { value: '<n>', help: 'channels per diverse batch (default: batch / diverse)' },
    k: { value: '<n>', help: 'exemplars shown and scored', default: D.k },
    'held-out': { value: '<n>', help: 'exemplars held out as the positive control', default: D.heldOut },
    'mine-batch': { value: '<n>', help: 'images per mining batch', default: D.mineBatch },
    'score-size': { value: '<px>', help: 'side images are compared at', default: D.scoreSize },
    probe: { value: '<n>', help: 'dataset images for co-activation', default: D.probeImages },
    thumb: { value: '<px>', help: 'exemplar thumbnail side', default: D.thumb },
    labels: { value: '<file.json>', help: 'channel names: {"12": "dog snouts", …} or ["name of 0", …]' },
    ...metricOptions('auto'),
    'site-only': { type: 'boolean', help: 'only rewrite the site from the atlas in --out', group: SITE },
    'site-out': { value: '<dir>', help: 'with --site-only: write the site (and the images it shows) to another folder', group: SITE },
    'site-channels': { value: '<list>', help: 'with --site-only: a selection of channels (e.g. 0-15 for a small published example)', group: SITE },
  },
  load: () => import('../atlas.js'),
};
