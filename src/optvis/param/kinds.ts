/** The parameterisations by name, as data (no TensorFlow: the CLI's help reads them). */
export const PARAM_KINDS = ['pixel', 'fft', 'maco'] as const;
export type ParamKind = (typeof PARAM_KINDS)[number];

/** Options of particular parameterisations: MACO's contrast, the Fourier 1/f exponent. */
export interface ParamExtras {
  contrast?: number;
  decayPower?: number;
}
