/**
 * Keras applications InceptionV3 (Szegedy et al. 2016), rebuilt layer by layer
 * with Keras' own layer names so objectives read like the Keras model:
 * `conv2d_N` / `batch_normalization_N` / `activation_N` (conv → BN → ReLU),
 * `max_pooling2d_N`, `average_pooling2d_N`, `mixed0`…`mixed10` (+ `mixed9_0`,
 * `mixed9_1`, `concatenate`, `concatenate_1`), `avg_pool`, `predictions`.
 *
 * Numbering: `naming: 'keras'` (default) is what current Keras (tf.keras 2.x,
 * Keras 3) gives a fresh model: `conv2d`, `conv2d_1`, … `conv2d_93`.
 * `naming: 'keras2'` is Keras 2.0's one-based numbering, as stored in the
 * official weights file: `conv2d_1` … `conv2d_94`. `mixedN`, `avg_pool` and
 * `predictions` are the same in both.
 *
 * Semantics match Keras exactly: convolutions without bias, 'valid'/'same'
 * padding as in keras/applications/inception_v3.py (TF padding rules), BatchNorm
 * in inference mode with scale=False and epsilon 1e-3, max pooling 3×3/2 'valid',
 * branch average pooling 3×3/1 'same' (padding excluded from the mean),
 * `predictions` = softmax(dense). The pre-softmax logits are addressable as the
 * hidden layer `logits` (not listed in `layers`).
 *
 * Preprocessing is Keras' 'tf' mode (x/127.5 − 1 on 0–255 RGB), i.e. range
 * [-1, 1], RGB; default size 299×299. The network is fully convolutional up to
 * `avg_pool`, so any input ≥ 75×75 works.
 */
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import { GraphFeatModel, INPUT, type GraphNode } from './graph.js';
import type { KerasLayerSpec, KerasWeights } from './kerasH5.js';
import type { Preprocess } from '../core/types.js';

export type KerasNaming = 'keras' | 'keras2';

export interface InceptionV3Options {
  /** Include `avg_pool` + `predictions` (default: true). */
  includeTop?: boolean;
  /** Output classes of `predictions` (default 1000). */
  classes?: number;
  /** Layer numbering (default 'keras': zero-based like current Keras). */
  naming?: KerasNaming;
  /**
   * Layer names as a model file spells them: current Keras (zero-based) name →
   * file name (see kerasNames.ts). Overrides `naming`; unmapped names stay as they are.
   */
  rename?: ReadonlyMap<string, string>;
  /**
   * A custom classifier after `mixed10` (e.g. a fine-tuned model's own head), in
   * place of Keras' `avg_pool` + `predictions`; `includeTop`/`classes` are then ignored.
   */
  head?: readonly HeadLayer[];
  /** Display name (default 'inceptionv3'). */
  name?: string;
  labels?: string[];
  preprocess?: Partial<Preprocess>;
  /** Default 'mixed5' (as the model file names it). */
  suggestedLayer?: string;
  notes?: readonly string[];
  /** `trainable` flags from the model file, by (file) layer name. */
  trainable?: ReadonlyMap<string, boolean>;
}

export type HeadActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'selu' | 'sigmoid' | 'tanh' | 'softplus' | 'softmax';
export const HEAD_ACTIVATIONS: readonly HeadActivation[] = ['linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'tanh', 'softplus', 'softmax'];

/** A Keras layer of a custom head, as inference runs it (dropout is the identity). */
export type HeadLayer =
  | { kind: 'global_average_pooling2d' | 'global_max_pooling2d' | 'flatten' | 'dropout'; name: string }
  | { kind: 'average_pooling2d' | 'max_pooling2d'; name: string; pool: [number, number]; strides: [number, number]; padding: Padding }
  | { kind: 'dense'; name: string; inputDim: number; units: number; activation: HeadActivation; useBias: boolean }
  | { kind: 'activation'; name: string; activation: HeadActivation };

export const INCEPTION_V3_PREPROCESS: Preprocess = { size: [299, 299], range: [-1, 1], channelOrder: 'RGB' };
/** Smallest input size Keras accepts for InceptionV3. */
export const INCEPTION_V3_MIN_SIZE = 75;
const BN_EPSILON = 1e-3;

export type Padding = 'same' | 'valid';

/** One Keras layer: name, inputs, weight spec, and how to run it given its weights. */
interface LayerDef {
  name: string;
  kind: string;
  inputs: string[];
  /** The Keras layer holding this node's weights, when not `name` (the logits are Keras' 'predictions' Dense). */
  weightLayer?: string;
  weights: KerasLayerSpec['weights'];
  /** Builds the node's forward function from the loaded weights (same order as `weights`). */
  make(weights: Float32Array[]): { run: (xs: Tensor[]) => Tensor; tensors: Tensor[] };
  /** The Keras layer this node is, for checking a model file's topology against it (absent for head layers). */
  keras?: KerasLayerExpectation;
  /** Addressable but not listed in `layers` (logits, flatten, dropout). */
  hidden?: boolean;
}

/** A Keras layer class and the config values it must have (each key: the accepted values). */
export interface KerasLayerExpectation {
  className: string;
  config: Readonly<Record<string, readonly unknown[]>>;
}

/** Keras' auto-naming: per-class counters, zero- or one-based. */
class Names {
  private readonly counters = new Map<string, number>();
  constructor(private readonly naming: KerasNaming) {}
  next(base: string): string {
    const i = this.counters.get(base) ?? 0;
    this.counters.set(base, i + 1);
    if (this.naming === 'keras2') return `${base}_${i + 1}`;
    return i === 0 ? base : `${base}_${i}`;
  }
}

class Builder {
  readonly defs: LayerDef[] = [];
  private readonly names: Names;
  private readonly channels = new Map<string, number>([[INPUT, 3]]);

  constructor(naming: KerasNaming) {
    this.names = new Names(naming);
  }

  private add(def: LayerDef, channels: number): string {
    this.defs.push(def);
    this.channels.set(def.name, channels);
    return def.name;
  }

  private ch(x: string): number {
    return this.channels.get(x)!;
  }

  /** keras.applications.inception_v3.conv2d_bn: Conv2D(no bias) → BatchNormalization(scale=False) → ReLU. */
  convBn(x: string, filters: number, kh: number, kw: number, padding: Padding = 'same', strides: 1 | 2 = 1): string {
    const cin = this.ch(x);
    const conv = this.add(
      {
        name: this.names.next('conv2d'),
        kind: 'conv2d',
        inputs: [x],
        weights: [{ name: 'kernel', shape: [kh, kw, cin, filters] }],
        keras: {
          className: 'Conv2D',
          config: { filters: [filters], kernel_size: [[kh, kw]], strides: [[strides, strides]], padding: [padding], use_bias: [false], activation: ['linear'], dilation_rate: [[1, 1], undefined] },
        },
        make: ([k]) => {
          const kernel = tf.tensor4d(k!, [kh, kw, cin, filters]);
          return { tensors: [kernel], run: ([t]) => tf.conv2d(t as Tensor4D, kernel, strides, padding) };
        },
      },
      filters,
    );
    const bn = this.add(
      {
        name: this.names.next('batch_normalization'),
        kind: 'batch_normalization',
        inputs: [conv],
        weights: [
          { name: 'beta', shape: [filters] },
          { name: 'moving_mean', shape: [filters] },
          { name: 'moving_variance', shape: [filters] },
        ],
        keras: { className: 'BatchNormalization', config: { scale: [false], center: [true, undefined], epsilon: [BN_EPSILON], axis: [3, -1, [3], [-1]] } },
        make: ([beta, mean, variance]) => {
          // Inference BN with scale=False: (x − mean) / sqrt(var + eps) + beta = x·s + t, with s and t
          // computed in float32 by TensorFlow's own kernels, as tf.nn.batch_normalization (Keras) does.
          const [scale, shift] = tf.tidy(() => {
            const inv = tf.rsqrt(tf.add(tf.tensor1d(variance!), BN_EPSILON));
            return [inv, tf.sub(tf.tensor1d(beta!), tf.mul(tf.tensor1d(mean!), inv))];
          });
          return { tensors: [scale, shift], run: ([v]) => tf.tidy(() => tf.add(tf.mul(v!, scale), shift)) };
        },
      },
      filters,
    );
    return this.add(
      {
        name: this.names.next('activation'),
        kind: 'relu',
        inputs: [bn],
        weights: [],
        keras: { className: 'Activation', config: { activation: ['relu'] } },
        make: () => ({ tensors: [], run: ([v]) => tf.relu(v!) }),
      },
      filters,
    );
  }

  maxPool(x: string): string {
    return this.add(
      {
        name: this.names.next('max_pooling2d'),
        kind: 'max_pooling2d',
        inputs: [x],
        weights: [],
        keras: { className: 'MaxPooling2D', config: { pool_size: [[3, 3]], strides: [[2, 2]], padding: ['valid'] } },
        make: () => ({ tensors: [], run: ([v]) => tf.maxPool(v as Tensor4D, 3, 2, 'valid') }),
      },
      this.ch(x),
    );
  }

  avgPool(x: string): string {
    return this.add(
      {
        name: this.names.next('average_pooling2d'),
        kind: 'average_pooling2d',
        inputs: [x],
        weights: [],
        keras: { className: 'AveragePooling2D', config: { pool_size: [[3, 3]], strides: [[1, 1]], padding: ['same'] } },
        make: () => ({ tensors: [], run: ([v]) => tf.avgPool(v as Tensor4D, 3, 1, 'same') }),
      },
      this.ch(x),
    );
  }

  concat(xs: string[], name?: string): string {
    return this.add(
      {
        name: name ?? this.names.next('concatenate'),
        kind: 'concatenate',
        inputs: xs,
        weights: [],
        keras: { className: 'Concatenate', config: { axis: [-1, 3] } },
        make: () => ({ tensors: [], run: (vs) => tf.concat(vs as Tensor4D[], 3) }),
      },
      xs.reduce((a, x) => a + this.ch(x), 0),
    );
  }

  /** GlobalAveragePooling2D 'avg_pool' → Dense 'predictions' (softmax), with the logits as their own node. */
  top(x: string, classes: number): void {
    const pooled = this.add(
      {
        name: 'avg_pool',
        kind: 'global_average_pooling2d',
        inputs: [x],
        weights: [],
        make: () => ({ tensors: [], run: ([v]) => tf.mean(v!, [1, 2]) }),
      },
      this.ch(x),
    );
    const cin = this.ch(pooled);
    const logits = this.add(
      {
        name: 'logits',
        weightLayer: 'predictions',
        kind: 'dense',
        hidden: true,
        inputs: [pooled],
        weights: [
          { name: 'kernel', shape: [cin, classes] },
          { name: 'bias', shape: [classes] },
        ],
        make: ([k, bias]) => {
          const kernel = tf.tensor2d(k!, [cin, classes]);
          const b = tf.tensor1d(bias!);
          return { tensors: [kernel, b], run: ([v]) => tf.tidy(() => tf.add(tf.matMul(v as Tensor2D, kernel), b)) };
        },
      },
      classes,
    );
    this.add(
      { name: 'predictions', kind: 'softmax', inputs: [logits], weights: [], make: () => ({ tensors: [], run: ([v]) => tf.softmax(v!) }) },
      classes,
    );
  }

  /** A custom head after `x`, layer by layer (dense layers with a nonlinearity expose `<name>/preactivation`, hidden). */
  head(x: string, layers: readonly HeadLayer[]): void {
    let cur = x;
    let width = this.ch(x);
    for (const l of layers) {
      const base = { name: l.name, inputs: [cur], weights: [] as KerasLayerSpec['weights'] };
      switch (l.kind) {
        case 'dropout':
          cur = this.add({ ...base, kind: 'dropout', hidden: true, make: () => ({ tensors: [], run: ([v]) => v! }) }, width);
          break;
        case 'flatten':
          cur = this.add({ ...base, kind: 'flatten', hidden: true, make: () => ({ tensors: [], run: ([v]) => tf.reshape(v!, [v!.shape[0]!, -1]) }) }, -1);
          break;
        case 'global_average_pooling2d':
        case 'global_max_pooling2d': {
          const avg = l.kind === 'global_average_pooling2d';
          cur = this.add({ ...base, kind: l.kind, make: () => ({ tensors: [], run: ([v]) => (avg ? tf.mean(v!, [1, 2]) : tf.max(v!, [1, 2])) }) }, width);
          break;
        }
        case 'average_pooling2d':
        case 'max_pooling2d': {
          const { pool, strides, padding } = l;
          const avg = l.kind === 'average_pooling2d';
          cur = this.add(
            { ...base, kind: l.kind, make: () => ({ tensors: [], run: ([v]) => (avg ? tf.avgPool(v as Tensor4D, pool, strides, padding) : tf.maxPool(v as Tensor4D, pool, strides, padding)) }) },
            width,
          );
          break;
        }
        case 'activation':
          cur = this.add({ ...base, kind: l.activation, make: () => ({ tensors: [], run: ([v]) => activate(v!, l.activation) }) }, width);
          break;
        case 'dense': {
          const { inputDim, units, useBias, activation } = l;
          const linear = activation === 'linear';
          const node = linear ? l.name : `${l.name}/preactivation`;
          this.add(
            {
              name: node,
              weightLayer: l.name,
              kind: 'dense',
              hidden: !linear,
              inputs: [cur],
              weights: [{ name: 'kernel', shape: [inputDim, units] }, ...(useBias ? [{ name: 'bias', shape: [units] }] : [])],
              make: ([k, bias]) => {
                const kernel = tf.tensor2d(k!, [inputDim, units]);
                const b = bias ? tf.tensor1d(bias) : null;
                const run = ([v]: Tensor[]): Tensor =>
                  tf.tidy(() => {
                    if (v!.rank !== 2 || v!.shape[1] !== inputDim) {
                      throw new FeatvisError(`dense layer '${l.name}' expects ${inputDim} inputs per image, got shape [${v!.shape.slice(1).join(', ')}] (input size other than the model's?)`);
                    }
                    const y = tf.matMul(v as Tensor2D, kernel);
                    return b ? tf.add(y, b) : y;
                  });
                return { tensors: b ? [kernel, b] : [kernel], run };
              },
            },
            units,
          );
          cur = linear
            ? node
            : this.add({ name: l.name, kind: 'dense', inputs: [node], weights: [], make: () => ({ tensors: [], run: ([v]) => activate(v!, activation) }) }, units);
          break;
        }
      }
      width = this.ch(cur);
    }
  }
}

function activate(v: Tensor, a: HeadActivation): Tensor {
  switch (a) {
    case 'linear':
      return tf.clone(v);
    case 'relu':
      return tf.relu(v);
    case 'relu6':
      return tf.relu6(v);
    case 'elu':
      return tf.elu(v);
    case 'selu':
      return tf.selu(v);
    case 'sigmoid':
      return tf.sigmoid(v);
    case 'tanh':
      return tf.tanh(v);
    case 'softplus':
      return tf.softplus(v);
    case 'softmax':
      return tf.softmax(v);
  }
}

/** The InceptionV3 layer list in Keras' creation order (keras/src/applications/inception_v3.py). */
function defineInceptionV3(opts: Resolved): Builder {
  const b = new Builder(opts.naming);
  let x = b.convBn(INPUT, 32, 3, 3, 'valid', 2);
  x = b.convBn(x, 32, 3, 3, 'valid');
  x = b.convBn(x, 64, 3, 3);
  x = b.maxPool(x);
  x = b.convBn(x, 80, 1, 1, 'valid');
  x = b.convBn(x, 192, 3, 3, 'valid');
  x = b.maxPool(x);

  // mixed 0, 1, 2: 35 × 35 × 256 / 288 / 288
  for (const [i, poolFilters] of [[0, 32], [1, 64], [2, 64]] as const) {
    const b1 = b.convBn(x, 64, 1, 1);
    let b5 = b.convBn(x, 48, 1, 1);
    b5 = b.convBn(b5, 64, 5, 5);
    let b3 = b.convBn(x, 64, 1, 1);
    b3 = b.convBn(b3, 96, 3, 3);
    b3 = b.convBn(b3, 96, 3, 3);
    let bp = b.avgPool(x);
    bp = b.convBn(bp, poolFilters, 1, 1);
    x = b.concat([b1, b5, b3, bp], `mixed${i}`);
  }

  // mixed 3: 17 × 17 × 768
  {
    const b3 = b.convBn(x, 384, 3, 3, 'valid', 2);
    let bd = b.convBn(x, 64, 1, 1);
    bd = b.convBn(bd, 96, 3, 3);
    bd = b.convBn(bd, 96, 3, 3, 'valid', 2);
    const bp = b.maxPool(x);
    x = b.concat([b3, bd, bp], 'mixed3');
  }

  // mixed 4, 5, 6, 7: 17 × 17 × 768
  for (const [i, f] of [[4, 128], [5, 160], [6, 160], [7, 192]] as const) {
    const b1 = b.convBn(x, 192, 1, 1);
    let b7 = b.convBn(x, f, 1, 1);
    b7 = b.convBn(b7, f, 1, 7);
    b7 = b.convBn(b7, 192, 7, 1);
    let bd = b.convBn(x, f, 1, 1);
    bd = b.convBn(bd, f, 7, 1);
    bd = b.convBn(bd, f, 1, 7);
    bd = b.convBn(bd, f, 7, 1);
    bd = b.convBn(bd, 192, 1, 7);
    let bp = b.avgPool(x);
    bp = b.convBn(bp, 192, 1, 1);
    x = b.concat([b1, b7, bd, bp], `mixed${i}`);
  }

  // mixed 8: 8 × 8 × 1280
  {
    let b3 = b.convBn(x, 192, 1, 1);
    b3 = b.convBn(b3, 320, 3, 3, 'valid', 2);
    let b7 = b.convBn(x, 192, 1, 1);
    b7 = b.convBn(b7, 192, 1, 7);
    b7 = b.convBn(b7, 192, 7, 1);
    b7 = b.convBn(b7, 192, 3, 3, 'valid', 2);
    const bp = b.maxPool(x);
    x = b.concat([b3, b7, bp], 'mixed8');
  }

  // mixed 9, 10: 8 × 8 × 2048
  for (const i of [0, 1]) {
    const b1 = b.convBn(x, 320, 1, 1);
    const b3 = b.convBn(x, 384, 1, 1);
    const b3a = b.convBn(b3, 384, 1, 3);
    const b3b = b.convBn(b3, 384, 3, 1);
    const b3c = b.concat([b3a, b3b], `mixed9_${i}`);
    let bd = b.convBn(x, 448, 1, 1);
    bd = b.convBn(bd, 384, 3, 3);
    const bda = b.convBn(bd, 384, 1, 3);
    const bdb = b.convBn(bd, 384, 3, 1);
    const bdc = b.concat([bda, bdb]);
    let bp = b.avgPool(x);
    bp = b.convBn(bp, 192, 1, 1);
    x = b.concat([b1, b3c, bdc, bp], `mixed${9 + i}`);
  }

  if (opts.head) b.head(x, opts.head);
  else if (opts.includeTop) b.top(x, opts.classes);
  if (opts.rename) renameDefs(b.defs, opts.rename);
  return b;
}

/** Applies a file's layer names to the definitions (node names, inputs, weight layers). */
function renameDefs(defs: LayerDef[], rename: ReadonlyMap<string, string>): void {
  const r = (n: string): string => rename.get(n) ?? n;
  const seen = new Set<string>();
  for (const d of defs) {
    d.name = r(d.name);
    d.inputs = d.inputs.map((i) => (i === INPUT ? i : r(i)));
    if (d.weightLayer) d.weightLayer = r(d.weightLayer);
    if (seen.has(d.name)) throw new FeatvisError(`InceptionV3: renaming to the file's layer names gives '${d.name}' twice`);
    seen.add(d.name);
  }
}

/** The weights InceptionV3 expects, per Keras layer (layers without weights omitted). */
export function inceptionV3WeightSpec(opts: ArchOptions = {}): KerasLayerSpec[] {
  const b = defineInceptionV3(resolve(opts));
  return b.defs.filter((d) => d.weights.length > 0).map((d) => ({ name: d.weightLayer ?? d.name, weights: d.weights.map((w) => ({ ...w, shape: [...w.shape] })) }));
}

/** Every Keras layer name of InceptionV3 (without the input layer), in creation order. */
export function inceptionV3LayerNames(opts: ArchOptions = {}): string[] {
  return defineInceptionV3(resolve(opts))
    .defs.filter((d) => !d.hidden)
    .map((d) => d.name);
}

/** One InceptionV3 node as featvis builds it, with the Keras layer it stands for (for topology checks). */
export interface InceptionV3Node {
  name: string;
  inputs: readonly string[];
  weightLayer: string;
  weights: KerasLayerSpec['weights'];
  keras?: KerasLayerExpectation;
}

/** The nodes of InceptionV3 (with the options' naming and head), in creation order; `input` is the network input. */
export function inceptionV3Nodes(opts: ArchOptions = {}): InceptionV3Node[] {
  return defineInceptionV3(resolve(opts)).defs.map((d) => ({
    name: d.name,
    inputs: [...d.inputs],
    weightLayer: d.weightLayer ?? d.name,
    weights: d.weights,
    ...(d.keras ? { keras: d.keras } : {}),
  }));
}

type ArchOptions = Pick<InceptionV3Options, 'includeTop' | 'classes' | 'naming' | 'rename' | 'head'>;
interface Resolved {
  includeTop: boolean;
  classes: number;
  naming: KerasNaming;
  rename?: ReadonlyMap<string, string>;
  head?: readonly HeadLayer[];
}

function resolve(opts: ArchOptions): Resolved {
  return {
    includeTop: opts.includeTop ?? true,
    classes: opts.classes ?? 1000,
    naming: opts.rename ? 'keras' : (opts.naming ?? 'keras'), // renaming maps from current Keras names
    ...(opts.rename ? { rename: opts.rename } : {}),
    ...(opts.head ? { head: opts.head } : {}),
  };
}

/** True when a Keras weights file's layer names look like InceptionV3 (mixed0 … mixed10). */
export function looksLikeInceptionV3(layerNames: readonly string[]): boolean {
  const s = new Set(layerNames);
  return Array.from({ length: 11 }, (_, i) => `mixed${i}`).every((n) => s.has(n)) && s.has('mixed9_0') && s.has('mixed9_1');
}

/** Builds InceptionV3 as a GraphFeatModel from weights already mapped by name. */
export function buildInceptionV3(weights: Pick<KerasWeights, 'get'>, opts: InceptionV3Options = {}): GraphFeatModel {
  const r = resolve(opts);
  const b = defineInceptionV3(r);
  const owned: Tensor[] = [];
  const nodes: GraphNode[] = [];
  try {
    for (const d of b.defs) {
      const made = d.make(d.weights.map((w) => weights.get(d.weightLayer ?? d.name, w.name)));
      owned.push(...made.tensors);
      const run = made.run;
      const checked =
        d.inputs[0] === INPUT
          ? (xs: Tensor[]): Tensor => {
              const [, h, w] = xs[0]!.shape;
              if ((h ?? 0) < INCEPTION_V3_MIN_SIZE || (w ?? 0) < INCEPTION_V3_MIN_SIZE) {
                throw new FeatvisError(`InceptionV3 needs inputs of at least ${INCEPTION_V3_MIN_SIZE}×${INCEPTION_V3_MIN_SIZE} pixels, got ${h}×${w}`);
              }
              return run(xs);
            }
          : run;
      nodes.push({ name: d.name, inputs: d.inputs, kind: d.kind, run: checked });
    }
    const hidden = new Set(b.defs.filter((d) => d.hidden).map((d) => d.name));
    return new GraphFeatModel({
      name: opts.name ?? 'inceptionv3',
      nodes,
      preprocess: { ...INCEPTION_V3_PREPROCESS, ...opts.preprocess },
      ...(opts.labels ? { labels: opts.labels } : {}),
      suggestedLayer: opts.suggestedLayer ?? 'mixed5',
      ...(opts.notes ? { notes: opts.notes } : {}),
      ...(opts.trainable ? { trainable: opts.trainable } : {}),
      visibleLayers: (n) => !hidden.has(n.name),
      dispose: () => {
        for (const t of owned) t.dispose();
        owned.length = 0;
      },
    });
  } catch (err) {
    for (const t of owned) t.dispose();
    throw err;
  }
}
