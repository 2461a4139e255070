/**
 * The optimisation: parameterisation → transforms → model → objective minus
 * penalties, Adam, step operators, snapshots. One image per batch item, all
 * optimised together (batched AM). Deterministic for a given seed.
 *
 * `createStepper` makes one optimisation step (render's loop, the benches and
 * the profilers all step through it); `render` runs the loop around it.
 * Everything per step runs inside variableGrads/tidy; the host reads values
 * back only every `reportEvery` steps (progress, NaN check) and at snapshots.
 */
import { tf, type Scalar, type Tensor, type Tensor1D, type Tensor4D } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import { setReluRedirect } from '../backend/fastGradients.js';
import type { FeatModel } from '../core/types.js';
import { evaluate, isObjective, type Objective } from './objectives.js';
import type { ImageParam } from './param/types.js';
import { activeStepOperators, penaltyObjective, validateRegularizers, type Regularizers } from './regularizers.js';
import { Rng } from './rng.js';
import { applyTransforms, NO_TRANSFORMS, parseTransforms, type TransformList } from './transforms.js';

export interface StepOptions {
  learningRate?: number;
  transforms?: TransformList;
  regularizers?: Regularizers;
  /** Seed of the per-step random transforms (shared by the batch; the parameterisation has its own seeds). */
  seed?: number;
  /**
   * Steps at the start during which a ReLU / ReLU6 with no gradient at all for
   * an image passes the gradients that would move its input back into the
   * active range (Lucid's redirected ReLU), so channels that are zero on the
   * initial image can still be optimised (default: every step; 0 = off).
   */
  reluRedirectSteps?: number;
}

export interface RenderOptions extends StepOptions {
  steps?: number;
  /** Steps (1-based) at which to keep a copy of the images. */
  snapshots?: readonly number[];
  /** Read back scores every k steps for onStep and the NaN check (default 10). */
  reportEvery?: number;
  onStep?: (info: StepInfo) => void;
  signal?: AbortSignal;
}

export interface StepInfo {
  step: number;
  steps: number;
  /** Objective per image (under this step's transforms), penalties not included. */
  scores: number[];
  /** The minimised loss: −Σ (objective − penalties). */
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
  return tf.tidy(() => Array.from(evaluate(model, objective, images).dataSync()));
}

export interface Stepper {
  /** One optimiser step (1-based `step`: it decides the ReLU redirect and the step operators' schedule). */
  step(step: number): void;
  /** Objective per image at the last step (kept; owned by the stepper). */
  readonly scores: Tensor1D | null;
  /** Loss at the last step (kept; owned by the stepper). */
  readonly loss: Scalar | null;
  dispose(): void;
}

/** Checks the options and builds the optimisation step of `objective` over `param`. */
export function createStepper(model: FeatModel, objective: Objective, param: ImageParam, opts: StepOptions & { steps?: number } = {}): Stepper {
  if (!isObjective(objective)) throw new FeatvisError('render needs an objective (see channel(), channels(), objective())');
  const lr = opts.learningRate ?? DEFAULT_RENDER.learningRate;
  if (!(lr > 0) || !Number.isFinite(lr)) throw new FeatvisError(`learning rate must be > 0, got ${lr}`);
  const reg = opts.regularizers ?? {};
  const transforms = parseTransforms(opts.transforms ?? NO_TRANSFORMS);
  objective.validate(model);
  validateRegularizers(reg, param);
  const redirectSteps = opts.reluRedirectSteps ?? Number.POSITIVE_INFINITY;
  const penalties = penaltyObjective(reg);
  const operators = activeStepOperators(reg);
  const needGrad = operators.some((o) => o.needsGradient);
  const rng = new Rng((opts.seed ?? 0) ^ 0x5eed);
  const optimizer = tf.train.adam(lr);
  const n = param.batch;
  let scores: Tensor1D | null = null;
  let loss: Scalar | null = null;
  return {
    get scores() {
      return scores;
    },
    get loss() {
      return loss;
    },
    step(step: number): void {
      setReluRedirect(step <= redirectSteps);
      let pixelGrad: Tensor | null = null;
      try {
        const { value, grads } = tf.variableGrads(() => {
          const image = param.toImage();
          const input = applyTransforms(image, transforms, rng);
          const acts = model.activations(input, objective.layers);
          const ctx = { acts, image, input, batch: n };
          const s = objective.score(ctx);
          tf.dispose(scores ?? []);
          scores = tf.keep(tf.clone(s));
          const perImage = penalties ? tf.sub(s, penalties.score(ctx)) : s;
          return tf.neg(tf.sum(perImage)) as Scalar;
        }, param.variables);
        setReluRedirect(false);
        if (needGrad && param.pixels) pixelGrad = tf.keep(tf.clone(grads[param.pixels.name]!));
        optimizer.applyGradients(grads as Parameters<typeof optimizer.applyGradients>[0]);
        tf.dispose(Object.values(grads));
        tf.dispose(loss ?? []);
        loss = value;
        if (param.pixels) for (const op of operators) op.apply(param.pixels, reg, step, pixelGrad);
      } finally {
        setReluRedirect(false);
        tf.dispose(pixelGrad ?? []);
      }
    },
    dispose(): void {
      tf.dispose([scores ?? [], loss ?? []].flat());
      scores = null;
      loss = null;
      optimizer.dispose();
    },
  };
}

export async function render(model: FeatModel, objective: Objective, param: ImageParam, opts: RenderOptions = {}): Promise<RenderResult> {
  const steps = opts.steps ?? DEFAULT_RENDER.steps;
  const reportEvery = Math.max(1, opts.reportEvery ?? DEFAULT_RENDER.reportEvery);
  if (!Number.isInteger(steps) || steps < 1) throw new FeatvisError(`steps must be a positive integer, got ${steps}`);
  const stepper = createStepper(model, objective, param, { ...opts, reluRedirectSteps: opts.reluRedirectSteps ?? steps });
  const snapAt = new Set(opts.snapshots ?? []);
  const snapshots: Snapshot[] = [];
  const history: RenderResult['history'] = [];
  const started = Date.now();
  try {
    for (let step = 1; step <= steps; step++) {
      if (opts.signal?.aborted) throw new FeatvisError(`render aborted at step ${step}`);
      stepper.step(step);
      if (snapAt.has(step)) snapshots.push({ step, images: tf.tidy(() => param.toImage()) });
      if (step % reportEvery === 0 || step === steps) {
        const scores = Array.from(await stepper.scores!.data());
        const loss = (await stepper.loss!.data())[0]!;
        if (!Number.isFinite(loss) || scores.some((s) => !Number.isFinite(s))) {
          throw new FeatvisError(`optimisation diverged (NaN/Inf) by step ${step}: lower the learning rate (now ${opts.learningRate ?? DEFAULT_RENDER.learningRate}) or the regulariser strengths`);
        }
        history.push({ step, scores, loss });
        opts.onStep?.({ step, steps, scores, loss });
        // Yield to the event loop so progress bars and notebooks stay responsive.
        await new Promise((r) => setImmediate(r));
      }
    }
    const images = tf.tidy(() => param.toImage());
    const activations = scoreImages(model, objective, images);
    if (activations.some((a) => !Number.isFinite(a))) {
      images.dispose();
      throw new FeatvisError('final activations are NaN/Inf');
    }
    return { images, activations, snapshots, history, steps, millis: Date.now() - started };
  } catch (err) {
    tf.dispose(snapshots.map((s) => s.images));
    throw err;
  } finally {
    stepper.dispose();
  }
}
