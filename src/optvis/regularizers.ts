/**
 * The regularisers a render can use, in one registry from which the CLI
 * flags, the sweep knobs and the notebook settings are derived. Each has a
 * strength (0 = off). Two kinds:
 *
 * Penalties (objectives on the image, penalties.ts), subtracted from the
 * objective with their strength; they work with every parameterisation:
 *   l1, l2, tv, freq
 *
 * Step operators, applied to the pixel variable after each optimiser step
 * (Yosinski et al. 2015, "Understanding Neural Networks Through Deep
 * Visualization"); they need the `pixel` parameterisation:
 *   decay                 x ← (1 − decay)·x               (L2 decay)
 *   blurEvery, blurSigma  Gaussian blur every k steps
 *   clipNormPct           zero pixels whose colour norm is in the lowest p %
 *   clipContribPct        zero pixels whose contribution |x·∇x| is in the lowest p %
 *
 * To add one: a penalty is an entry in PENALTIES plus its setting below; a
 * step operator an entry in STEP_OPERATORS plus its settings.
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D, type Variable } from '../backend/tf.js';
import { FeatvisError, quoteName } from '../core/errors.js';
import { frequency, gaussianBlur, l1, l2, totalVariation } from './penalties.js';
import { objective, type Objective } from './objectives.js';
import type { ImageParam } from './param/types.js';
import { REGULARIZER_NAMES, REGULARIZER_SETTINGS, type RegularizerKey, type Regularizers } from './regularizerSettings.js';

export { REGULARIZER_NAMES, REGULARIZER_SETTINGS, type RegularizerKey, type Regularizers, type RegularizerSetting } from './regularizerSettings.js';

/** Penalty objectives by setting key (unweighted). */
export const PENALTIES: Readonly<Partial<Record<RegularizerKey, () => Objective>>> = {
  l1,
  l2,
  tv: totalVariation,
  freq: () => frequency(1),
};

export interface StepOperator {
  name: string;
  /** The settings it reads. */
  keys: readonly RegularizerKey[];
  active(r: Regularizers): boolean;
  /** Whether it needs the last gradient of the pixel variable. */
  needsGradient?: boolean;
  /** Acts on the pixel variable after optimiser step `step` (1-based). */
  apply(v: Variable, r: Regularizers, step: number, grad: Tensor | null): void;
}

/** Zeroes, per image, the pixels whose score [N,H,W] is below the p-th percentile. */
function zeroLowest(v: Variable, score: Tensor, pct: number): void {
  tf.tidy(() => {
    const [n, h, w] = v.shape as number[];
    const k = Math.max(1, Math.floor(((h! * w!) * pct) / 100));
    const flat = tf.reshape(score, [n!, h! * w!]);
    // k-th smallest per image = −(k-th largest of −score)
    const kth = tf.neg(tf.slice(tf.topk(tf.neg(flat), k, true).values, [0, k - 1], [n!, 1]));
    const keep = tf.cast(tf.greater(flat, kth), 'float32').reshape([n!, h!, w!, 1]);
    v.assign(tf.mul(v, keep) as Tensor4D);
  });
  score.dispose();
}

export const STEP_OPERATORS: readonly StepOperator[] = [
  {
    name: 'decay',
    keys: ['decay'],
    active: (r) => !!r.decay,
    apply: (v, r) => tf.tidy(() => v.assign(tf.mul(v, 1 - r.decay!))),
  },
  {
    name: 'blur',
    keys: ['blurEvery', 'blurSigma'],
    active: (r) => !!r.blurEvery,
    apply: (v, r, step) => {
      if (step % r.blurEvery! === 0) tf.tidy(() => v.assign(gaussianBlur(v as unknown as Tensor4D, r.blurSigma ?? 0.5)));
    },
  },
  {
    name: 'clipNorm',
    keys: ['clipNormPct'],
    active: (r) => !!r.clipNormPct,
    apply: (v, r) => zeroLowest(v, tf.tidy(() => tf.norm(v, 'euclidean', 3)), r.clipNormPct!),
  },
  {
    name: 'clipContrib',
    keys: ['clipContribPct'],
    active: (r) => !!r.clipContribPct,
    needsGradient: true,
    apply: (v, r, _step, grad) => {
      if (grad) zeroLowest(v, tf.tidy(() => tf.sum(tf.abs(tf.mul(v, grad)), 3)), r.clipContribPct!);
    },
  },
];

export function validateRegularizers(r: Regularizers, param?: Pick<ImageParam, 'kind' | 'pixels'>): void {
  if (typeof r !== 'object' || r === null) throw new FeatvisError('regularizers must be an object such as { tv: 0.5 }');
  for (const [k, v] of Object.entries(r)) {
    if (v === undefined) continue;
    const setting = REGULARIZER_SETTINGS.find((s) => s.key === k);
    if (!setting) throw new FeatvisError(`unknown regulariser ${quoteName(k)} (known: ${REGULARIZER_NAMES.join(', ')})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new FeatvisError(`regulariser ${k} must be a finite number ≥ 0, got ${String(v)}`);
    if (setting.integer && !Number.isInteger(v)) throw new FeatvisError(`regulariser ${k} must be an integer, got ${v}`);
    if (setting.below !== undefined && v >= setting.below) throw new FeatvisError(`regulariser ${k} must be < ${setting.below}, got ${v}`);
  }
  const operators = STEP_OPERATORS.filter((o) => o.active(r));
  if (param && operators.length > 0 && !param.pixels) {
    throw new FeatvisError(
      `${operators.map((o) => o.name).join(', ')} act on pixels: use the pixel parameterisation (got '${param.kind}'), or use the ${Object.keys(PENALTIES).join(' / ')} penalties`,
    );
  }
}

/** The weighted sum of the active penalties as one objective (null when none is on). */
export function penaltyObjective(r: Regularizers): Objective | null {
  const terms = (Object.keys(PENALTIES) as RegularizerKey[]).filter((k) => (r[k] ?? 0) > 0).map((k) => ({ k: r[k]!, obj: PENALTIES[k]!() }));
  if (terms.length === 0) return null;
  return objective({
    name: terms.map((t) => `${t.k}·${t.obj.name}`).join(' + '),
    score: (ctx) => {
      const weighted = terms.map((t) => tf.mul(t.obj.score(ctx), t.k));
      return (weighted.length === 1 ? weighted[0]! : tf.addN(weighted)) as Tensor1D;
    },
  });
}

export function activeStepOperators(r: Regularizers): StepOperator[] {
  return STEP_OPERATORS.filter((o) => o.active(r));
}

export { gaussianBlur } from './penalties.js';
