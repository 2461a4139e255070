/**
 * The optimisation loop: parameterisation → transforms → model → objective,
 * minus penalties; Adam; step operators; snapshots. One image per batch item,
 * all optimised together (batched AM). Deterministic for a given seed.
 *
 * Everything per step runs inside variableGrads/tidy; the host reads values
 * back only every `reportEvery` steps (progress, NaN check) and at snapshots.
 */
import { tf, type Scalar, type Tensor, type Tensor1D, type Tensor4D } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import { setReluRedirect } from '../backend/fastGradients.js';
import type { FeatModel } from '../core/types.js';
import type { Objective } from './objectives.js';
import type { ImageParam } from './param/types.js';
import { applyStepOperators, hasStepOperators, penalty, validateRegularizers, type Regularizers } from './regularizers.js';
import { Rng } from './rng.js';
import { applyTransforms, NO_TRANSFORMS, type TransformSpec } from './transforms.js';

export interface RenderOptions {
  steps?: number;
  learningRate?: number;
  transforms?: TransformSpec;
  regularizers?: Regularizers;
  /** Seed of the per-step random transforms (shared by the batch; the parameterisation has its own seeds). */
  seed?: number;
  /** Steps (1-based) at which to keep a copy of the images. */
  snapshots?: readonly number[];
  /**
   * Steps at the start during which a ReLU with no gradient at all for an image
   * passes the gradients that would raise its negative inputs (Lucid's
   * redirected ReLU), so channels that are zero on the initial image can still
   * be optimised (default: every step; 0 = off).
   */
  reluRedirectSteps?: number;
  /** Read back scores every k steps for onStep and the NaN check (default 10). */
  reportEvery?: number;
  onStep?: (info: StepInfo) => void;
  signal?: AbortSignal;
}

export interface StepInfo {
  step: number;
  steps: number;
  /** Objective per image (under this step's transforms). */
  scores: number[];
  loss: number;
}

export interface Snapshot {
  step: number;
  images: Tensor4D;
}

export interface RenderResult {
  /** Final images, NHWC RGB in [0,1]; the caller disposes. */
  images: Tensor4D;
  /** Objective per image on the final, untransformed image. */
  activations: number[];
  snapshots: Snapshot[];
  history: Array<{ step: number; scores: number[]; loss: number }>;
  steps: number;
  millis: number;
}

export const DEFAULT_RENDER = { steps: 256, learningRate: 0.05, reportEvery: 10 } as const;

/** Objective per image on `images` with no transforms (inference only). */
export function scoreImages(model: FeatModel, objective: Objective, images: Tensor4D): number[] {
  return tf.tidy(() => {
    const acts = model.activations(images, objective.layers);
    return Array.from(objective.score(acts, images.shape[0]).dataSync());
  });
}

export async function render(model: FeatModel, objective: Objective, param: ImageParam, opts: RenderOptions = {}): Promise<RenderResult> {
  const steps = opts.steps ?? DEFAULT_RENDER.steps;
  const lr = opts.learningRate ?? DEFAULT_RENDER.learningRate;
  const reportEvery = Math.max(1, opts.reportEvery ?? DEFAULT_RENDER.reportEvery);
  const redirectSteps = opts.reluRedirectSteps ?? steps;
  const reg = opts.regularizers ?? {};
  const transforms = opts.transforms ?? NO_TRANSFORMS;
  if (!Number.isInteger(steps) || steps < 1) throw new FeatvisError(`steps must be a positive integer, got ${steps}`);
  if (!(lr > 0) || !Number.isFinite(lr)) throw new FeatvisError(`learning rate must be > 0, got ${lr}`);
  objective.validate(model);
  validateRegularizers(reg, param);
  const rng = new Rng((opts.seed ?? 0) ^ 0x5eed);
  const optimizer = tf.train.adam(lr);
  const snapAt = new Set(opts.snapshots ?? []);
  const snapshots: Snapshot[] = [];
  const history: RenderResult['history'] = [];
  const needGrad = !!reg.clipContribPct;
  const started = Date.now();
  const n = param.batch;
  let lastScores: Tensor1D | null = null;
  let lastLoss: Tensor | null = null;
  try {
    for (let step = 1; step <= steps; step++) {
      if (opts.signal?.aborted) throw new FeatvisError(`render aborted at step ${step}`);
      let pixelGrad: Tensor | null = null;
      setReluRedirect(step <= redirectSteps);
      const { value, grads } = tf.variableGrads(() => {
        const img = param.toImage();
        const x = applyTransforms(img, transforms, rng);
        const acts = model.activations(x, objective.layers);
        const scores = objective.score(acts, n);
        tf.dispose(lastScores ?? []);
        lastScores = tf.keep(tf.clone(scores));
        const pen = penalty(img, reg);
        const perImage = pen ? tf.sub(scores, pen) : scores;
        return tf.neg(tf.sum(perImage)) as Scalar;
      }, param.variables);
      setReluRedirect(false);
      if (needGrad && param.pixels) pixelGrad = tf.keep(tf.clone(grads[param.pixels.name]!));
      optimizer.applyGradients(grads as Parameters<typeof optimizer.applyGradients>[0]);
      tf.dispose(Object.values(grads));
      tf.dispose(lastLoss ?? []);
      lastLoss = value;
      if (hasStepOperators(reg)) applyStepOperators(param, reg, step, pixelGrad);
      tf.dispose(pixelGrad ?? []);
      if (snapAt.has(step)) snapshots.push({ step, images: tf.tidy(() => param.toImage()) });
      if (step % reportEvery === 0 || step === steps) {
        const scores = Array.from(await lastScores!.data());
        const loss = (await lastLoss.data())[0]!;
        if (!Number.isFinite(loss) || scores.some((s) => !Number.isFinite(s))) {
          throw new FeatvisError(`optimisation diverged (NaN/Inf) by step ${step}: lower the learning rate (now ${lr}) or the regulariser strengths`);
        }
        history.push({ step, scores, loss });
        opts.onStep?.({ step, steps, scores, loss });
        // Yield to the event loop so progress bars and notebooks stay responsive.
        await new Promise((r) => setImmediate(r));
      }
    }
    const images = tf.tidy(() => param.toImage());
    const activations = scoreImages(model, objective, images);
    if (activations.some((a) => !Number.isFinite(a))) throw new FeatvisError('final activations are NaN/Inf');
    return { images, activations, snapshots, history, steps, millis: Date.now() - started };
  } catch (err) {
    tf.dispose(snapshots.map((s) => s.images));
    throw err;
  } finally {
    setReluRedirect(false);
    tf.dispose([lastScores ?? [], lastLoss ?? []].flat());
    optimizer.dispose();
  }
}
