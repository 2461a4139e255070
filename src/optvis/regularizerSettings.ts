/**
 * The regulariser settings as data (no TensorFlow): names, CLI flags, kinds
 * and limits. regularizers.ts holds what they do; the CLI's help, the sweep
 * knobs and the notebook settings read this list, so `featvis am --help`
 * needs no TensorFlow.
 */
export interface Regularizers {
  l1?: number;
  l2?: number;
  tv?: number;
  freq?: number;
  decay?: number;
  blurEvery?: number;
  blurSigma?: number;
  clipNormPct?: number;
  clipContribPct?: number;
}

export type RegularizerKey = keyof Regularizers;

export interface RegularizerSetting {
  key: RegularizerKey;
  /** Command-line flag (without --). */
  flag: string;
  kind: 'penalty' | 'operator';
  help: string;
  /** Values must be integers. */
  integer?: boolean;
  /** Values must be below this. */
  below?: number;
}

/** Every regulariser setting, in the order the CLI lists them. */
export const REGULARIZER_SETTINGS: readonly RegularizerSetting[] = [
  { key: 'l1', flag: 'l1', kind: 'penalty', help: 'L1 penalty: mean |x − ½|' },
  { key: 'l2', flag: 'l2', kind: 'penalty', help: 'L2 penalty: mean (x − ½)²' },
  { key: 'tv', flag: 'tv', kind: 'penalty', help: 'total variation penalty: mean |∇x|' },
  { key: 'freq', flag: 'freq', kind: 'penalty', help: 'frequency penalty: high-pass energy (x − blur(x))²' },
  { key: 'decay', flag: 'decay', kind: 'operator', help: 'L2 decay per step: x ← (1 − decay)·x', below: 1 },
  { key: 'blurEvery', flag: 'blur-every', kind: 'operator', help: 'Gaussian blur every k steps', integer: true },
  { key: 'blurSigma', flag: 'blur-sigma', kind: 'operator', help: 'σ of that blur in pixels (default 0.5)' },
  { key: 'clipNormPct', flag: 'clip-norm', kind: 'operator', help: 'zero the pixels with the lowest p % colour norm', below: 100 },
  { key: 'clipContribPct', flag: 'clip-contrib', kind: 'operator', help: 'zero the pixels with the lowest p % contribution |x·∇x|', below: 100 },
];

export const REGULARIZER_NAMES: readonly RegularizerKey[] = REGULARIZER_SETTINGS.map((s) => s.key);
