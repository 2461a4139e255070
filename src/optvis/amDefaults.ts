/**
 * The numbers of the default AM recipe, as data (no TensorFlow: the CLI's help
 * reads them). settings.ts builds AM_DEFAULTS from these. The recipe is
 * `maco/standard` (recipes.ts): MACO phases under a natural spectrum, Adam 0.1,
 * contrast 2.5, lucid's standard transforms — the only recipe of
 * bench/recipes.ts that met the quality targets on all three model families
 * measured (README, "Image quality").
 */
import type { ParamExtras, ParamKind } from './param/kinds.js';

export const AM_BASE_DEFAULTS = Object.freeze({
  steps: 256,
  size: 128,
  learningRate: 0.1,
  param: 'maco' as ParamKind,
  decorrelate: true,
  paramOptions: Object.freeze({ contrast: 2.5 }) as Readonly<ParamExtras>,
  seed: 0,
  batchSize: 16,
});

/** The transform preset of the default recipe (transforms.ts). */
export const AM_TRANSFORM_PRESET = 'standard';

/**
 * The transform presets by name: the same list as TRANSFORM_PRESETS in
 * transforms.ts (which loads TensorFlow); test/cliHelp.test.ts checks they agree.
 */
export const TRANSFORM_PRESET_NAMES = ['none', 'jitter', 'standard', 'scaled', 'crops'] as const;

/** Each parameterisation's learning rate and options when the caller gives none (the recipes of recipes.ts). */
export const PARAM_DEFAULTS: Readonly<Record<ParamKind, { learningRate: number; paramOptions?: ParamExtras }>> = Object.freeze({
  pixel: { learningRate: 0.05 },
  fft: { learningRate: 0.05 },
  maco: { learningRate: 0.1, paramOptions: { contrast: 2.5 } },
});
