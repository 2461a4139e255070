/**
 * Keras InceptionV3 topologies (TF.js LayersModel model.json, or any Keras
 * functional model config) → featvis's own InceptionV3 builder, which runs the
 * same weights faster than the generic TF.js LayersModel path.
 *
 * The file's topology is checked layer by layer against the builder (class,
 * inputs and the config values that matter), under the file's own layer names
 * (Keras 2 one-based `conv2d_1…` or current Keras `conv2d…`, see kerasNames.ts).
 * The layers after `mixed10` become the builder's head (pooling, flatten,
 * dense, dropout as inference, activations), so a fine-tuned classifier keeps
 * its own head. Anything else is reported as a reason, and the caller falls back
 * to the generic TF.js route.
 *
 * `loadInceptionV3` does the same for Keras HDF5 files: weights-only files
 * (the official keras-applications file, save_weights) with Keras' own top,
 * and full-model files (model.save) with the head their topology describes.
 */
import path from 'node:path';
import { tf, type ModelArtifacts } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import type { GraphFeatModel } from './graph.js';
import {
  buildInceptionV3,
  HEAD_ACTIVATIONS,
  inceptionV3LayerNames,
  inceptionV3Nodes,
  inceptionV3WeightSpec,
  looksLikeInceptionV3,
  type HeadActivation,
  type HeadLayer,
  type InceptionV3Options,
  type KerasLayerExpectation,
  type Padding,
} from './inceptionV3.js';
import { kerasRenaming } from './kerasNames.js';
import { baseWeightName, mapKerasWeights, readKerasWeightsFile, type KerasWeights, type KerasWeightsFile } from './kerasH5.js';
import { inputLayerSize, readKerasTopology, type KerasTopoLayer, type KerasTopology } from './kerasTopology.js';
import { INPUT } from './graph.js';

export interface InceptionPlan {
  rename: Map<string, string>;
  head: HeadLayer[];
  /** `trainable` flags of the layers with weights, by file name. */
  trainable: Map<string, boolean>;
  /** From the InputLayer, when fixed. */
  inputSize: [number, number] | null;
}

/** Layer classes that hold weights in InceptionV3 (+ head). */
const WEIGHTED = new Set(['Conv2D', 'BatchNormalization', 'Dense']);

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  return a === b;
}

function configProblem(layer: KerasTopoLayer, want: KerasLayerExpectation): string | null {
  if (layer.className !== want.className) return `${layer.name} is a ${layer.className}, expected ${want.className}`;
  for (const [key, accepted] of Object.entries(want.config)) {
    const v = layer.config[key];
    if (!accepted.some((a) => sameValue(v, a))) return `${layer.name}.${key} is ${JSON.stringify(v)}, expected ${accepted.map((a) => JSON.stringify(a)).join(' or ')}`;
  }
  return null;
}

function pair(v: unknown, fallback: [number, number] | null): [number, number] | null {
  if (Array.isArray(v) && v.length === 2 && v.every((d) => Number.isInteger(d) && d > 0)) return [v[0] as number, v[1] as number];
  if (Number.isInteger(v) && (v as number) > 0) return [v as number, v as number];
  return v === null || v === undefined ? fallback : null;
}

function activationOf(v: unknown): HeadActivation | null {
  const a = v === undefined || v === null ? 'linear' : v;
  return typeof a === 'string' && (HEAD_ACTIVATIONS as readonly string[]).includes(a) ? (a as HeadActivation) : null;
}

/** One head layer from its Keras config, or a reason it is not supported. */
function headLayer(l: KerasTopoLayer, kernelShape: (layer: string) => number[] | undefined): HeadLayer | string {
  const c = l.config;
  switch (l.className) {
    case 'Dropout':
      return { kind: 'dropout', name: l.name };
    case 'Flatten':
      return c.data_format === 'channels_first' ? `${l.name}: channels_first Flatten` : { kind: 'flatten', name: l.name };
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      if (c.keepdims === true) return `${l.name}: keepdims`;
      if (c.data_format === 'channels_first') return `${l.name}: channels_first`;
      return { kind: l.className === 'GlobalAveragePooling2D' ? 'global_average_pooling2d' : 'global_max_pooling2d', name: l.name };
    case 'AveragePooling2D':
    case 'MaxPooling2D': {
      const pool = pair(c.pool_size, [2, 2]);
      const strides = pool ? pair(c.strides, pool) : null;
      const padding = c.padding ?? 'valid';
      if (!pool || !strides || (padding !== 'valid' && padding !== 'same') || c.data_format === 'channels_first') return `${l.name}: unsupported pooling config`;
      return { kind: l.className === 'AveragePooling2D' ? 'average_pooling2d' : 'max_pooling2d', name: l.name, pool, strides, padding: padding as Padding };
    }
    case 'Activation': {
      const a = activationOf(c.activation);
      return a ? { kind: 'activation', name: l.name, activation: a } : `${l.name}: activation ${JSON.stringify(c.activation)}`;
    }
    case 'Dense': {
      const a = activationOf(c.activation);
      const shape = kernelShape(l.name);
      if (!a) return `${l.name}: activation ${JSON.stringify(c.activation)}`;
      if (!shape || shape.length !== 2 || shape[1] !== c.units) return `${l.name}: kernel shape ${JSON.stringify(shape)} does not fit units ${String(c.units)}`;
      return { kind: 'dense', name: l.name, inputDim: shape[0]!, units: shape[1]!, activation: a, useBias: c.use_bias !== false };
    }
    default:
      return `${l.name}: ${l.className} layers are not supported in the head`;
  }
}

/**
 * How featvis's builder reproduces this topology, or the reason it cannot
 * (first few problems). `kernelShape(layer)` gives a layer's stored kernel shape.
 */
export function planInceptionV3(topo: KerasTopology, kernelShape: (layer: string) => number[] | undefined): InceptionPlan | { reason: string } {
  const fileNames = topo.layers.map((l) => l.name);
  if (!looksLikeInceptionV3(fileNames)) return { reason: 'no layers mixed0 … mixed10' };
  if (topo.inputs.length !== 1 || topo.outputs.length !== 1) return { reason: `${topo.inputs.length} inputs and ${topo.outputs.length} outputs (expected one each)` };
  const byName = new Map(topo.layers.map((l) => [l.name, l]));
  const input = byName.get(topo.inputs[0]!);
  if (!input || input.className !== 'InputLayer') return { reason: 'the model input is not an InputLayer' };

  const arch = inceptionV3Nodes({ includeTop: false });
  const rename = kerasRenaming(
    arch.map((n) => n.name),
    fileNames,
  );
  const nodes = inceptionV3Nodes({ includeTop: false, rename });
  const problems: string[] = [];
  const core = new Set<string>();
  for (const n of nodes) {
    const f = byName.get(n.name);
    if (!f) {
      problems.push(`no layer ${n.name}`);
      continue;
    }
    core.add(n.name);
    const p = n.keras ? configProblem(f, n.keras) : null;
    if (p) problems.push(p);
    const want = n.inputs.map((i) => (i === INPUT ? input.name : i));
    if (!sameValue(f.inbound, want)) problems.push(`${n.name} reads [${f.inbound.join(', ')}], expected [${want.join(', ')}]`);
    if (problems.length >= 4) break;
  }
  if (problems.length) return { reason: problems.join('; ') };

  // The head: the remaining layers, a chain from mixed10 to the model output.
  const rest = topo.layers.filter((l) => !core.has(l.name) && l !== input);
  const head: HeadLayer[] = [];
  let cur = 'mixed10';
  const used = new Set<string>();
  for (;;) {
    const next = rest.filter((l) => l.inbound.includes(cur));
    if (next.length === 0) break;
    if (next.length > 1 || next[0]!.inbound.length !== 1) return { reason: `the layers after ${cur} branch (${next.map((l) => l.name).join(', ')})` };
    const h = headLayer(next[0]!, kernelShape);
    if (typeof h === 'string') return { reason: h };
    head.push(h);
    used.add(next[0]!.name);
    cur = next[0]!.name;
  }
  const stray = rest.filter((l) => !used.has(l.name));
  if (stray.length) return { reason: `layers outside InceptionV3 and its head: ${stray.slice(0, 4).map((l) => l.name).join(', ')}` };
  if (topo.outputs[0] !== cur) return { reason: `the model output is ${topo.outputs[0]}, not the end of the head (${cur})` };

  const trainable = new Map<string, boolean>();
  for (const l of topo.layers) if (WEIGHTED.has(l.className) && typeof l.config.trainable === 'boolean') trainable.set(l.name, l.config.trainable);
  return { rename, head, trainable, inputSize: inputLayerSize(input) };
}

/** Weights of TF.js artifacts (dequantised exactly as tfjs does) by `layer/weight` name. */
function decodeTfjsWeights(artifacts: ModelArtifacts): Map<string, { shape: number[]; data: Float32Array }> {
  const specs = artifacts.weightSpecs ?? [];
  const wd = artifacts.weightData;
  if (wd === undefined) throw new FeatvisError('TF.js artifacts without weight data');
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const named = tf.io.decodeWeights(wd, specs);
  try {
    for (const [name, t] of Object.entries(named)) {
      if (t.dtype !== 'float32') throw new FeatvisError(`weight ${name} is ${t.dtype}, expected float32`);
      out.set(name, { shape: [...t.shape], data: t.dataSync() as Float32Array });
    }
  } finally {
    tf.dispose(Object.values(named));
  }
  return out;
}

export type InceptionFromTfjs = { model: GraphFeatModel } | { reason: string };

/**
 * Builds a Keras InceptionV3 TF.js LayersModel with featvis's builder, or says
 * why not (not InceptionV3, a layer that differs, an unsupported head).
 */
export function inceptionV3FromTfjs(artifacts: ModelArtifacts, opts: Omit<InceptionV3Options, 'rename' | 'head' | 'includeTop' | 'classes' | 'naming'>): InceptionFromTfjs {
  const topo = readKerasTopology(artifacts.modelTopology);
  if (!topo) return { reason: 'not a functional Keras model' };
  const specs = artifacts.weightSpecs ?? [];
  const shapes = new Map(specs.map((s) => [s.name, s.shape]));
  const plan = planInceptionV3(topo, (layer) => shapes.get(`${layer}/kernel`));
  if ('reason' in plan) return plan;
  const wanted = inceptionV3WeightSpec({ includeTop: false, rename: plan.rename, head: plan.head });
  const names = new Set<string>();
  for (const l of wanted) {
    for (const w of l.weights) {
      const key = `${l.name}/${w.name}`;
      const s = shapes.get(key);
      if (!s) return { reason: `no weight ${key} in the manifest` };
      if (!sameValue(s, w.shape)) return { reason: `weight ${key} has shape [${s.join(',')}], expected [${w.shape.join(',')}]` };
      names.add(key);
    }
  }
  const extra = specs.filter((s) => !names.has(s.name));
  if (extra.length) return { reason: `weights the architecture does not use: ${extra.slice(0, 4).map((s) => s.name).join(', ')}` };
  const weights = decodeTfjsWeights(artifacts);
  const model = buildInceptionV3(
    {
      get(layer: string, weight: string): Float32Array {
        const w = weights.get(`${layer}/${weight}`);
        if (!w) throw new FeatvisError(`no weight ${layer}/${weight}`);
        return w.data;
      },
    },
    { ...opts, rename: plan.rename, head: plan.head, trainable: plan.trainable, ...(plan.inputSize && !opts.preprocess?.size ? { preprocess: { ...opts.preprocess, size: plan.inputSize } } : {}) },
  );
  return { model };
}

/**
 * Loads InceptionV3 from a Keras weights file (official keras-applications .h5,
 * a `save_weights` .h5 / .weights.h5, or a full-model .h5). `includeTop` is
 * inferred from the file unless given.
 */
export function loadInceptionV3(file: string | KerasWeightsFile, opts: InceptionV3Options = {}): GraphFeatModel {
  const wf = typeof file === 'string' ? readKerasWeightsFile(file) : file;
  const names = wf.layers.map((l) => l.name);
  if (!looksLikeInceptionV3(names)) {
    throw new FeatvisError(`${wf.source} does not contain Keras InceptionV3 weights (no layers mixed0 … mixed10)`);
  }
  const name = opts.name ?? path.basename(wf.source).replace(/\.(weights\.)?(h5|hdf5)$/i, '');
  // A full-model file (model.save) has its topology: a fine-tuned model keeps its own head.
  const topo = wf.modelConfig === undefined || opts.includeTop !== undefined || opts.head ? null : readKerasTopology(wf.modelConfig);
  const plan = topo ? planInceptionV3(topo, (layer) => wf.layers.find((l) => l.name === layer)?.weights.find((w) => baseWeightName(w.name) === 'kernel')?.shape) : null;
  if (plan && !('reason' in plan)) {
    const spec = inceptionV3WeightSpec({ includeTop: false, rename: plan.rename, head: plan.head });
    const size = plan.inputSize && !opts.preprocess?.size ? { size: plan.inputSize } : {};
    return buildInceptionV3(mapKerasWeights(wf, spec), {
      ...opts,
      rename: plan.rename,
      head: plan.head,
      trainable: plan.trainable,
      name,
      preprocess: { ...opts.preprocess, ...size },
    });
  }
  const pred = wf.layers.find((l) => l.name === 'predictions' && l.weights.length === 2);
  const includeTop = opts.includeTop ?? pred !== undefined;
  const classes = opts.classes ?? pred?.weights.find((w) => w.shape.length === 2)?.shape[1] ?? 1000;
  if (opts.includeTop === true && !pred) throw new FeatvisError(`${wf.source} has no 'predictions' layer (a notop file?): use includeTop: false`);
  // Report layers as the file names them (Keras 2's conv2d_1… or current Keras' conv2d…), unless told otherwise.
  const rename = opts.rename ?? (opts.naming ? undefined : kerasRenaming(inceptionV3LayerNames({ includeTop, classes }), names));
  const spec = inceptionV3WeightSpec({ includeTop, classes, naming: opts.naming ?? 'keras', ...(rename ? { rename } : {}), ...(opts.head ? { head: opts.head } : {}) });
  let weights: KerasWeights;
  try {
    weights = mapKerasWeights(wf, spec, includeTop ? {} : { ignoreFileLayers: ['predictions'] });
  } catch (err) {
    if (err instanceof FeatvisError && plan && 'reason' in plan) throw new FeatvisError(`${err.message}\n  (its topology does not fit featvis's InceptionV3 + head either: ${plan.reason})`);
    throw err;
  }
  return buildInceptionV3(weights, {
    ...opts,
    ...(rename ? { rename } : {}),
    includeTop,
    classes,
    name,
  });
}
