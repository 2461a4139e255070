/** `featvis am`: options and help (no TensorFlow here; the code is ../am.ts). */
import { DEFAULT_MODEL } from '../../models/defaults.js';
import { AM_BASE_DEFAULTS, AM_TRANSFORM_PRESET, PARAM_DEFAULTS, TRANSFORM_PRESET_NAMES } from '../../optvis/amDefaults.js';
import { PARAM_KINDS } from '../../optvis/param/kinds.js';
import { REGULARIZER_SETTINGS } from '../../optvis/regularizerSettings.js';
import type { CommandSpec, OptionSpec } from '../options.js';

const REGULARIZERS = 'regularisers (strength, default 0 = off; "(pixel)" = needs --param pixel)';

const regularizerOptions: Record<string, OptionSpec> = Object.fromEntries(
  REGULARIZER_SETTINGS.map((r) => [r.flag, { value: r.integer ? '<k>' : '<x>', help: `${r.help}${r.kind === 'operator' ? ' (pixel)' : ''}`, group: REGULARIZERS }]),
);

const lrDefaults = Object.entries(PARAM_DEFAULTS)
  .map(([k, v]) => `${k} ${v.learningRate}`)
  .join(', ');

export const spec: CommandSpec = {
  name: 'am',
  summary: 'activation maximisation for channels of one layer → PNGs, grid.png, run.json',
  usage: '[options]',
  options: {
    model: { value: '<id|path|url>', help: 'model (embedded, works offline)', default: DEFAULT_MODEL },
    layer: { value: '<name>', help: "layer (default: the model's suggested layer; list them with `featvis layers`)" },
    channels: { value: '<list>', help: 'channels, e.g. 0-15,42', default: '0-15' },
    steps: { value: '<n>', help: 'optimisation steps', default: AM_BASE_DEFAULTS.steps },
    size: { value: '<px>', help: 'image side', default: AM_BASE_DEFAULTS.size },
    param: { value: `<${PARAM_KINDS.join('|')}>`, help: 'parameterisation (maco: phases under a natural spectrum, Fel et al. 2023)', default: AM_BASE_DEFAULTS.param },
    lr: { value: '<x>', help: `Adam learning rate (default: ${lrDefaults})` },
    contrast: { value: '<k>', help: `MACO's gain before the sigmoid (default ${PARAM_DEFAULTS.maco.paramOptions?.contrast})` },
    decorrelate: { type: 'boolean', negatable: true, help: 'optimise in a decorrelated colour space', default: AM_BASE_DEFAULTS.decorrelate },
    transforms: { value: `<${TRANSFORM_PRESET_NAMES.join('|')}>`, help: 'random transforms per step', default: AM_TRANSFORM_PRESET },
    batch: { value: '<n>', help: 'channels optimised together', default: AM_BASE_DEFAULTS.batchSize },
    seed: { value: '<n>', help: 'random seed', default: AM_BASE_DEFAULTS.seed },
    snapshots: { value: '<steps>', help: 'also save the images at these steps, e.g. 32,64' },
    out: { value: '<dir>', help: 'output folder (default runs/am/<model>/<layer>); rerun to resume' },
    exemplars: {
      value: '<store>',
      help: "an exemplar store (featvis top9) of this layer: its top-9 photos' quality numbers are printed beside the AM images' and kept in run.json",
    },
    ...regularizerOptions,
  },
  load: () => import('../am.js'),
};
