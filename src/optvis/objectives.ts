/**
 * Objectives: what a render maximises. Each maps the model's activations to one
 * score per batch item ([N]); they compose with plus / minus / times / neg.
 *
 *   channel('mixed6', 48)           mean over space of channel 48, every item
 *   channels('mixed6', [0, 1, …])   item i maximises its own channel (batched AM)
 *   neuron('mixed6', 48, x, y)      one spatial position (default: centre)
 *   layer('mixed3')                 DeepDream: mean of squared activations
 *   direction('mixed6', vec)        mean over space of <activation, vec>
 *   (logits are `channel(<logit layer>, classIndex)`)
 */
import { tf, type Tensor, type Tensor1D } from '../backend/tf.js';
import { channelRangeError, FeatvisError, unknownLayerError } from '../core/errors.js';
import type { FeatModel } from '../core/types.js';
import { checkFiniteList, checkIndex, checkIndexList, checkName } from '../core/check.js';

export interface Objective {
  readonly name: string;
  /** Layers whose activations `score` reads. */
  readonly layers: readonly string[];
  /** One score per batch item, shape [N]. */
  score(acts: Readonly<Record<string, Tensor>>, batchSize: number): Tensor1D;
  /** Throws a FeatvisError if a layer or channel does not exist in `model`. */
  validate(model: FeatModel): void;
  plus(other: Objective | number): Objective;
  minus(other: Objective | number): Objective;
  times(k: number): Objective;
  neg(): Objective;
}

type ScoreFn = (acts: Readonly<Record<string, Tensor>>, batchSize: number) => Tensor1D;
type ValidateFn = (model: FeatModel) => void;

class Obj implements Objective {
  constructor(
    readonly name: string,
    readonly layers: readonly string[],
    private readonly fn: ScoreFn,
    private readonly check: ValidateFn,
  ) {}

  score(acts: Readonly<Record<string, Tensor>>, batchSize: number): Tensor1D {
    return this.fn(acts, batchSize);
  }

  validate(model: FeatModel): void {
    this.check(model);
  }

  plus(other: Objective | number): Objective {
    if (typeof other === 'number') {
      return new Obj(`${this.name} + ${other}`, this.layers, (a, n) => tf.add(this.fn(a, n), other), this.check);
    }
    return new Obj(
      `${this.name} + ${other.name}`,
      [...new Set([...this.layers, ...other.layers])],
      (a, n) => tf.add(this.fn(a, n), other.score(a, n)),
      (m) => {
        this.check(m);
        other.validate(m);
      },
    );
  }

  minus(other: Objective | number): Objective {
    return typeof other === 'number' ? this.plus(-other) : this.plus(other.times(-1));
  }

  times(k: number): Objective {
    return new Obj(`${k}·${this.name}`, this.layers, (a, n) => tf.mul(this.fn(a, n), k), this.check);
  }

  neg(): Objective {
    return this.times(-1);
  }
}

function layerInfo(model: FeatModel, layer: string) {
  const info = model.layers.find((l) => l.name === layer);
  if (!info) throw unknownLayerError(layer, model.layers.map((l) => l.name), model.name);
  return info;
}

function checkChannel(model: FeatModel, layer: string, c: number): void {
  const info = layerInfo(model, layer);
  const channels = info.shape.at(-1) ?? 0;
  if (!Number.isInteger(c) || c < 0 || c >= channels) throw channelRangeError(layer, c, channels);
}

function get(acts: Readonly<Record<string, Tensor>>, layer: string): Tensor {
  const t = acts[layer];
  if (!t) throw new FeatvisError(`activations for layer '${layer}' were not computed`);
  return t;
}

/** [N, …, C] → [N, C]: mean over every axis but batch and channel. */
function spatialMean(t: Tensor): Tensor {
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
    (acts) => tf.squeeze(tf.slice(spatialMean(get(acts, layer)), [0, c], [-1, 1]), [1]) as Tensor1D,
    (m) => checkChannel(m, layer, c),
  );
}

/** Batched AM: item i maximises channel cs[i] (the batch size must equal cs.length). */
export function channels(layer: string, cs: readonly number[]): Objective {
  checkName('channels()', 'layer', layer);
  const list = checkIndexList('channels()', 'channels', cs);
  return new Obj(
    `${layer}:[${list.join(',')}]`,
    [layer],
    (acts, n) => {
      if (n !== list.length) throw new FeatvisError(`objective ${layer}:[…] has ${list.length} channels but the batch has ${n} images`);
      const m = spatialMean(get(acts, layer)); // [N, C]
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
    (acts) => {
      const t = get(acts, layer);
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
    (acts) => {
      const t = get(acts, name);
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
    (acts) => tf.squeeze(tf.matMul(spatialMean(get(acts, layerName)) as Tensor as never, tf.tensor2d(v, [v.length, 1])), [1]) as Tensor1D,
    (m) => {
      const c = layerInfo(m, layerName).shape.at(-1);
      if (c !== v.length) throw new FeatvisError(`direction has ${v.length} entries but '${layerName}' has ${c} channels`);
    },
  );
}

export function sum(objs: readonly Objective[]): Objective {
  if (!Array.isArray(objs)) throw new FeatvisError('sum(): expects an array of objectives');
  if (objs.length === 0) throw new FeatvisError('empty objective sum');
  objs.forEach((o, i) => {
    if (typeof o !== 'object' || o === null || typeof (o as Partial<Objective>).score !== 'function') throw new FeatvisError(`sum(): item ${i} is not an objective`);
  });
  return objs.slice(1).reduce((a, b) => a.plus(b), objs[0]!);
}
