/**
 * Named AM recipes: a parameterisation with its options and learning rate, a
 * transform set, and regularisers. bench/recipes.ts compares them side by
 * side; the measured best is AM_DEFAULTS (settings.ts).
 *
 *   <param>/<transforms>    param: pixel (decorrelated colour), fft (plain RGB), fft+dec (decorrelated), maco
 *                           transforms: standard | scaled | crops (transforms.ts presets)
 *   fft+dec/standard+tv     with a total-variation penalty
 */
import { PARAM_DEFAULTS, type AmImageSettings } from './settings.js';
import type { Regularizers } from './regularizers.js';
import { transformPreset } from './transforms.js';

export type RecipeSettings = AmImageSettings & { regularizers: Regularizers };

type Base = Omit<RecipeSettings, 'steps' | 'size' | 'transforms'>;

const PARAMS: Record<string, Base> = {
  pixel: { param: 'pixel', decorrelate: true, ...PARAM_DEFAULTS.pixel, regularizers: {} },
  fft: { param: 'fft', decorrelate: false, ...PARAM_DEFAULTS.fft, regularizers: {} },
  'fft+dec': { param: 'fft', decorrelate: true, ...PARAM_DEFAULTS.fft, regularizers: {} },
  maco: { param: 'maco', decorrelate: true, ...PARAM_DEFAULTS.maco, regularizers: {} },
};
const TRANSFORMS = ['standard', 'scaled', 'crops'] as const;

export const RECIPES: Readonly<Record<string, (size: number) => Omit<RecipeSettings, 'steps'>>> = Object.fromEntries([
  ...Object.entries(PARAMS).flatMap(([p, base]) => TRANSFORMS.map((t) => [`${p}/${t}`, (size: number) => ({ ...base, size, transforms: transformPreset(t, size) })] as const)),
  ['fft+dec/standard+tv', (size: number) => ({ ...PARAMS['fft+dec']!, size, transforms: transformPreset('standard', size), regularizers: { tv: 2 } })],
]);

export function recipeSettings(name: string, size: number): Omit<RecipeSettings, 'steps'> {
  const r = RECIPES[name];
  if (!r) throw new Error(`unknown recipe '${name}'`);
  return r(size);
}
