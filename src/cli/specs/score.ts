/** `featvis score`: options and help (no TensorFlow here; the code is ../score.ts). */
import type { CommandSpec } from '../options.js';
import { metricOptions } from './metricOptions.js';

export const spec: CommandSpec = {
  name: 'score',
  summary: 'interpretability of an AM run: distance to the top-9, controls, normalised score, identification',
  usage: '--am <run dir>[,<run dir>…] --store <exemplars.sqlite> [options]',
  description:
    'Each --am run is one seed of the same channels (featvis am --seed N). The exemplar store should be mined with ' +
    '--k 18 so that ranks 10–18 exist (held-out exemplars, the positive control). Random images are drawn from the ' +
    'mined dataset, seeded from (dataset, channel, seed): the same draw as sweeps and the notebooks.',
  options: {
    am: { value: '<dirs>', help: 'AM run folders (featvis am --out), one per seed, comma-separated' },
    store: { value: '<file>', help: 'exemplar store of the same layer (featvis top9)' },
    size: { value: '<px>', help: 'side every image is resized to before the metric', default: 128 },
    crop: { type: 'boolean', help: 'receptive-field crops of the exemplars instead of whole images' },
    k: { value: '<n>', help: 'exemplars per channel', default: 9 },
    'held-out': { value: '<n>', help: 'held-out exemplars (ranks k+1 … k+n)', default: 9 },
    random: { value: '<n>', help: 'random images per (channel, seed) (default: k)' },
    out: { value: '<file>', help: 'JSON output (default <first run>/score.json)' },
    ...metricOptions('auto'),
  },
  load: () => import('../score.js'),
};
