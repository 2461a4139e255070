/**
 * A differentiable feed-forward graph of named tfjs ops: the common runtime for
 * imported models (TFLite, Keras HDF5, …). Nodes are kept in topological order;
 * `activations` executes only the prefix needed for the requested layers and
 * frees intermediate tensors as soon as no later node needs them.
 */
import { tf, type Tensor, type Tensor4D } from '../backend/tf.js';
import { applyPreprocess } from './preprocess.js';
import type { FeatModel, LayerInfo, Preprocess } from '../core/types.js';
import { unknownLayerError } from '../core/errors.js';

export interface GraphNode {
  name: string;
  /** Names of input nodes; the network input is `input`. */
  inputs: string[];
  kind: string;
  run(inputs: Tensor[]): Tensor;
}

export interface GraphModelSpec {
  name: string;
  nodes: GraphNode[];
  preprocess: Preprocess;
  labels?: string[];
  /** Names shown in `layers` (default: every node). Others stay addressable. */
  visibleLayers?: (node: GraphNode) => boolean;
  /** Releases weights (tensors captured by node closures). */
  dispose?: () => void;
  suggestedLayer?: string;
  notes?: readonly string[];
  /** `trainable` flags from the model file, by node name (see LayerInfo.trainable). */
  trainable?: ReadonlyMap<string, boolean>;
}

export const INPUT = 'input';

export class GraphFeatModel implements FeatModel {
  readonly name: string;
  readonly preprocess: Preprocess;
  readonly labels?: readonly string[];
  readonly suggestedLayer?: string;
  readonly notes?: readonly string[];
  readonly layers: LayerInfo[];
  private readonly nodes: GraphNode[];
  private readonly index = new Map<string, number>();
  private readonly disposeFn?: () => void;

  constructor(spec: GraphModelSpec) {
    this.name = spec.name;
    this.nodes = spec.nodes;
    this.preprocess = spec.preprocess;
    if (spec.labels) this.labels = spec.labels;
    if (spec.dispose) this.disposeFn = spec.dispose;
    if (spec.suggestedLayer) this.suggestedLayer = spec.suggestedLayer;
    if (spec.notes?.length) this.notes = spec.notes;
    spec.nodes.forEach((n, i) => {
      if (n.name === INPUT || this.index.has(n.name)) throw new Error(`duplicate node name '${n.name}'`);
      for (const src of n.inputs) {
        if (src !== INPUT && !this.index.has(src)) throw new Error(`node '${n.name}' reads '${src}' before it is defined`);
      }
      this.index.set(n.name, i);
    });
    this.layers = this.inferShapes(spec.visibleLayers ?? (() => true), spec.trainable);
  }

  private inferShapes(visible: (n: GraphNode) => boolean, trainable?: ReadonlyMap<string, boolean>): LayerInfo[] {
    const [h, w] = this.preprocess.size;
    const names = this.nodes.map((n) => n.name);
    const shapes = tf.tidy(() => {
      const out = this.activations(tf.zeros([1, h, w, 3]) as Tensor4D, names);
      const s: Record<string, number[]> = {};
      for (const [k, v] of Object.entries(out)) s[k] = v.shape.slice(1);
      return s;
    });
    return this.nodes.filter(visible).map((n) => {
      const t = trainable?.get(n.name);
      return { name: n.name, kind: n.kind, shape: shapes[n.name] ?? [], ...(t === undefined ? {} : { trainable: t }) };
    });
  }

  nodeIndex(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw unknownLayerError(name, this.nodes.map((n) => n.name), this.name);
    return i;
  }

  activations(images: Tensor4D, layerNames: readonly string[]): Record<string, Tensor> {
    if (layerNames.length === 0) return {};
    const wanted = new Set(layerNames);
    const last = Math.max(...layerNames.map((n) => this.nodeIndex(n)));
    // lastUse[i] = index of the last node (≤ last) that reads node i's output.
    const lastUse = new Map<string, number>();
    for (let i = 0; i <= last; i++) for (const src of this.nodes[i]!.inputs) lastUse.set(src, i);
    const values = new Map<string, Tensor>();
    const result: Record<string, Tensor> = {};
    const keep = new Set<Tensor>([images]);
    values.set(INPUT, applyPreprocess(images, this.preprocess));
    for (let i = 0; i <= last; i++) {
      const node = this.nodes[i]!;
      const y = node.run(node.inputs.map((s) => values.get(s)!));
      values.set(node.name, y);
      if (wanted.has(node.name)) {
        result[node.name] = y;
        keep.add(y);
      }
      // Free inputs whose last consumer was this node: keeps peak memory at one
      // "frontier" of activations (the gradient tape holds its own references).
      for (const s of new Set(node.inputs)) {
        if (lastUse.get(s) === i) release(values, s, keep);
      }
    }
    for (const name of [...values.keys()]) release(values, name, keep);
    return result;
  }

  dispose(): void {
    this.disposeFn?.();
  }
}

function release(values: Map<string, Tensor>, name: string, keep: Set<Tensor>): void {
  const t = values.get(name);
  values.delete(name);
  if (!t || keep.has(t) || t.isDisposed) return;
  // Identity-like ops may return one tensor under two names.
  for (const v of values.values()) if (v === t) return;
  t.dispose();
}
