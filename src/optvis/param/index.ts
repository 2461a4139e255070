import { FeatvisError } from '../../core/errors.js';
import { fftParam } from './fft.js';
import { macoParam } from './maco.js';
import { pixelParam } from './pixel.js';
import { PARAM_KINDS, type ParamExtras, type ParamKind } from './kinds.js';
import type { ImageParam, ParamOptions } from './types.js';

export { PARAM_KINDS, type ParamExtras, type ParamKind } from './kinds.js';
export type { ImageParam, ParamOptions } from './types.js';
export { fftParam } from './fft.js';
export { pixelParam } from './pixel.js';
export { macoParam } from './maco.js';

export function createParam(kind: ParamKind, opts: ParamOptions & ParamExtras): ImageParam {
  if (!(opts.batch >= 1 && opts.height >= 8 && opts.width >= 8)) {
    throw new FeatvisError(`bad image size ${opts.width}×${opts.height} (batch ${opts.batch}): at least 8×8 px`);
  }
  switch (kind) {
    case 'pixel':
      return pixelParam(opts);
    case 'fft':
      return fftParam(opts);
    case 'maco':
      return macoParam(opts);
    default:
      throw new FeatvisError(`unknown parameterisation '${String(kind)}' (use ${PARAM_KINDS.join(', ')})`);
  }
}
