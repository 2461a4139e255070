/**
 * Objectives: what a render maximises. Each maps one evaluation context (the
 * model's activations, the image before and after the per-step transforms) to
 * one score per batch item ([N]); they compose with plus / minus / times / neg.
 *
 *   channel('mixed6', 48)           mean over space of channel 48, every item
 *   channels('mixed6', [0, 1, …])   item i maximises its own channel (batched AM)
 *   neuron('mixed6', 48, x, y)      one spatial position (default: centre)
 *   layer('mixed3')                 DeepDream: mean of squared activations
 *   direction('mixed6', vec)        mean over space of <activation, vec>
 *   (logits are `channel(<logit layer>, classIndex)`)
 *
 * Penalties on the image itself (total variation, L1, …) are objectives too
 * (penalties.ts), so `channel('mixed6', 48).minus(totalVariation().times(0.5))`
 * is a regularised objective. `objective({...})` makes a custom one.
 */
import { tf, type Tensor, type Tensor1D, type Tensor4D } from '../backend/tf.js';
import { channelRangeError, FeatvisError, unknownLayerError } from '../core/errors.js';
import type { FeatModel, LayerInfo } from '../core/types.js';
import { checkFiniteList, checkIndex, checkIndexList, checkName } from '../core/check.js';

/** What an objective sees at one evaluation. */
export interface ObjectiveContext {
  /** Outputs of the layers the objective asked for, on `input`. */
  readonly acts: Readonly<Record<string, Tensor>>;
  /** The batch as the parameterisation made it (NHWC RGB in [0, 1]), before the per-step transforms. */
  readonly image: Tensor4D;
  /** The batch the model saw (after the per-step transforms). */
  readonly input: Tensor4D;
  /** Batch size N. */
  readonly batch: number;
}

export interface Objective {
  readonly name: string;
  /** Layers whose activations `score` reads (none for penalties on the image). */
  readonly layers: readonly string[];
  /** One score per batch item, shape [N]. */
  score(ctx: ObjectiveContext): Tensor1D;
  /** Throws a FeatvisError if a layer or channel does not exist in `model`. */
  validate(model: FeatModel): void;
  plus(other: Objective | number): Objective;
  minus(other: Objective | number): Objective;
  times(k: number): Objective;
  neg(): Objective;
}

export interface ObjectiveSpec {
  name: string;
  /** Layers to compute (default none: an objective on the image only). */
  layers?: readonly string[];
  score: (ctx: ObjectiveContext) => Tensor1D;
  /** Extra checks against the model (layers named in `layers` are checked already). */
  validate?: (model: FeatModel) => void;
}

class Obj implements Objective {
  constructor(
    readonly name: string,
    readonly layers: readonly string[],
    private readonly fn: (ctx: ObjectiveContext) => Tensor1D,
    private readonly check: (model: FeatModel) => void,
  ) {}

  score(ctx: ObjectiveContext): Tensor1D {
    return this.fn(ctx);
  }

  validate(model: FeatModel): void {
    this.check(model);
  }

  plus(other: Objective | number): Objective {
    if (typeof other === 'number') {
      return new Obj(`${this.name} + ${other}`, this.layers, (c) => tf.add(this.fn(c), other), this.check);
    }
    if (!isObjective(other)) throw new FeatvisError('objective.plus() takes an objective or a number');
    return new Obj(
      `${this.name} + ${other.name}`,
      [...new Set([...this.layers, ...other.layers])],
      (c) => tf.add(this.fn(c), other.score(c)),
      (m) => {
        this.check(m);
        other.validate(m);
      },
    );
  }

  minus(other: Objective | number): Objective {
    if (typeof other === 'number') return this.plus(-other);
    if (!isObjective(other)) throw new FeatvisError('objective.minus() takes an objective or a number');
    return this.plus(other.times(-1));
  }

  times(k: number): Objective {
    if (typeof k !== 'number' || !Number.isFinite(k)) throw new FeatvisError(`objective.times() takes a finite number, got ${String(k)}`);
    return new Obj(`${k}·${this.name}`, this.layers, (c) => tf.mul(this.fn(c), k), this.check);
  }

  neg(): Objective {
    return this.times(-1);
  }
}

export function isObjective(x: unknown): x is Objective {
  return x instanceof Obj;
}

/** A custom objective: `score` gets the activations of `layers` and the image (see ObjectiveContext). */
export function objective(spec: ObjectiveSpec): Objective {
  if (typeof spec?.name !== 'string' || typeof spec.score !== 'function') throw new FeatvisError('objective({ name, score }) needs a name and a score function');
  const layers = [...(spec.layers ?? [])];
  layers.forEach((l, i) => checkName('objective()', `layers[${i}]`, l));
  return new Obj(spec.name, layers, spec.score, (m) => {
    for (const l of layers) layerInfo(m, l);
    spec.validate?.(m);
  });
}

/** The info of `layer` in `model`, or the "did you mean" error. */
export function layerInfo(model: FeatModel, layer: string): LayerInfo {
  const info = model.layers.find((l) => l.name === layer);
  if (!info) throw unknownLayerError(layer, model.layers.map((l) => l.name), model.name);
  return info;
}

/** Channel count of `layer` (its last dimension). */
export function channelCount(model: FeatModel, layer: string): number {
  return layerInfo(model, layer).shape.at(-1) ?? 0;
}

function checkChannel(model: FeatModel, layer: string, c: number): void {
  const channels = channelCount(model, layer);
  if (!Number.isInteger(c) || c < 0 || c >= channels) throw channelRangeError(layer, c, channels);
}

/** The activations of `layer` in a context (a clear error if they were not computed). */
export function activationsOf(ctx: ObjectiveContext, layer: string): Tensor {
  const t = ctx.acts[layer];
  if (!t) throw new FeatvisError(`activations for layer '${layer}' were not computed`);
  return t;
}

/** [N, …, C] → [N, C]: mean over every axis but batch and channel. */
export function spatialMean(t: Tensor): Tensor {
  if (t.rank <= 2) return t;
  const axes = Array.from({ length: t.rank - 2 }, (_, i) => i + 1);
  return tf.mean(t, axes);
}

export function channel(layer: string, c: number): Objective {
  checkName('channel()', 'layer', layer);
  checkIndex('channel()', 'channel', c);
  return new Obj(
    `${layer}:${c}`,
    [layer],
    (ctx) => tf.squeeze(tf.slice(spatialMean(activationsOf(ctx, layer)), [0, c], [-1, 1]), [1]) as Tensor1D,
    (m) => checkChannel(m, layer, c),
  );
}

/** Batched AM: item i maximises channel cs[i] (the batch size must equal cs.length). */
export function channels(layer: string, cs: readonly number[]): Objective {
  checkName('channels()', 'layer', layer);
  const list = checkIndexList('channels()', 'channels', cs);
  if (list.length === 0) throw new FeatvisError('channels(): channels must not be empty');
  return new Obj(
    `${layer}:[${list.join(',')}]`,
    [layer],
    (ctx) => {
      if (ctx.batch !== list.length) throw new FeatvisError(`objective ${layer}:[…] has ${list.length} channels but the batch has ${ctx.batch} images`);
      const m = spatialMean(activationsOf(ctx, layer)); // [N, C]
      const mask = tf.oneHot(tf.tensor1d(list, 'int32'), m.shape[1]!);
      return tf.sum(tf.mul(m, mask), 1) as Tensor1D;
    },
    (m) => list.forEach((c) => checkChannel(m, layer, c)),
  );
}

export function neuron(layer: string, c: number, x?: number, y?: number): Objective {
  checkName('neuron()', 'layer', layer);
  checkIndex('neuron()', 'channel', c);
  if (x !== undefined) checkIndex('neuron()', 'x', x);
  if (y !== undefined) checkIndex('neuron()', 'y', y);
  return new Obj(
    `${layer}:${c}@${x ?? 'c'},${y ?? 'c'}`,
    [layer],
    (ctx) => {
      const t = activationsOf(ctx, layer);
      if (t.rank !== 4) throw new FeatvisError(`neuron objective needs a spatial layer; '${layer}' has rank ${t.rank}`);
      const [, h, w] = t.shape as number[];
      const yy = y ?? Math.floor(h! / 2);
      const xx = x ?? Math.floor(w! / 2);
      if (yy < 0 || yy >= h! || xx < 0 || xx >= w!) throw new FeatvisError(`neuron position (${xx},${yy}) is outside '${layer}' (${w}×${h})`);
      return tf.reshape(tf.slice(t, [0, yy, xx, c], [-1, 1, 1, 1]), [-1]) as Tensor1D;
    },
    (m) => checkChannel(m, layer, c),
  );
}

/** DeepDream objective: mean of squared activations of the whole layer. */
export function layer(name: string): Objective {
  checkName('layer()', 'name', name);
  return new Obj(
    name,
    [name],
    (ctx) => {
      const t = activationsOf(ctx, name);
      const axes = Array.from({ length: t.rank - 1 }, (_, i) => i + 1);
      return tf.mean(tf.square(t), axes) as Tensor1D;
    },
    (m) => void layerInfo(m, name),
  );
}

/** Mean over space of the dot product with `vec` (length = channels). */
export function direction(layerName: string, vec: readonly number[]): Objective {
  checkName('direction()', 'layer', layerName);
  const v = Float32Array.from(checkFiniteList('direction()', 'vector', vec));
  if (v.length === 0) throw new FeatvisError('direction(): vector must not be empty');
  return new Obj(
    `${layerName}·dir`,
    [layerName],
    (ctx) => tf.squeeze(tf.matMul(spatialMean(activationsOf(ctx, layerName)) as Tensor as never, tf.tensor2d(v, [v.length, 1])), [1]) as Tensor1D,
    (m) => {
      const c = channelCount(m, layerName);
      if (c !== v.length) throw new FeatvisError(`direction has ${v.length} entries but '${layerName}' has ${c} channels`);
    },
  );
}

export function sum(objs: readonly Objective[]): Objective {
  if (!Array.isArray(objs)) throw new FeatvisError('sum(): expects an array of objectives');
  if (objs.length === 0) throw new FeatvisError('empty objective sum');
  objs.forEach((o, i) => {
    if (!isObjective(o)) throw new FeatvisError(`sum(): item ${i} is not an objective`);
  });
  return objs.slice(1).reduce((a, b) => a.plus(b), objs[0]!);
}

/**
 * Evaluates `obj` on a batch: runs the model as far as the objective's layers
 * (on `input`, default `image`) and scores. Differentiable; call inside tidy.
 */
export function evaluate(model: FeatModel, obj: Objective, image: Tensor4D, input: Tensor4D = image): Tensor1D {
  const acts = obj.layers.length ? model.activations(input, obj.layers) : {};
  return obj.score({ acts, image, input, batch: image.shape[0] });
}
