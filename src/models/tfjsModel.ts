/**
 * TF.js LayersModel / GraphModel (`model.json` + weight shards) as a FeatModel.
 * LayersModel: a sub-model per requested layer set (cached) so execution stops
 * at the deepest requested layer. GraphModel: `execute` with output node names,
 * which prunes the graph to what those outputs need.
 */
import { tf, type GraphModel, type LayersModel, type Tensor, type Tensor4D } from '../backend/tf.js';
import { unknownLayerError } from '../core/errors.js';
import { applyPreprocess } from './preprocess.js';
import type { FeatModel, LayerInfo, Preprocess } from '../core/types.js';

export interface TfjsModelOptions {
  name: string;
  preprocess: Preprocess;
  labels?: string[];
  suggestedLayer?: string;
  fingerprint?: string;
  notes?: readonly string[];
}

const SKIP_KINDS = new Set(['InputLayer', 'Dropout', 'Flatten', 'Reshape', 'ZeroPadding2D']);

export class LayersFeatModel implements FeatModel {
  readonly name: string;
  readonly fingerprint?: string;
  readonly preprocess: Preprocess;
  readonly labels?: readonly string[];
  readonly suggestedLayer?: string;
  readonly notes?: readonly string[];
  readonly layers: LayerInfo[];
  private readonly subModels = new Map<string, LayersModel>();

  constructor(private readonly model: LayersModel, opts: TfjsModelOptions) {
    this.name = opts.name;
    if (opts.fingerprint) this.fingerprint = opts.fingerprint;
    this.preprocess = opts.preprocess;
    if (opts.labels) this.labels = opts.labels;
    if (opts.suggestedLayer) this.suggestedLayer = opts.suggestedLayer;
    if (opts.notes?.length) this.notes = opts.notes;
    this.layers = model.layers
      .filter((l) => !SKIP_KINDS.has(l.getClassName()))
      .map((l) => {
        const shape = l.outputShape;
        const s = Array.isArray(shape[0]) ? (shape[0] as number[]) : (shape as number[]);
        const info: LayerInfo = { name: l.name, kind: l.getClassName(), shape: s.slice(1).map((d) => d ?? -1) };
        if (l.weights.length > 0) info.trainable = l.trainable;
        return info;
      });
  }

  activations(images: Tensor4D, layerNames: readonly string[]): Record<string, Tensor> {
    if (layerNames.length === 0) return {};
    const key = layerNames.join('\u0000');
    let sub = this.subModels.get(key);
    if (!sub) {
      const outputs = layerNames.map((n) => {
        try {
          return this.model.getLayer(n).output as ReturnType<LayersModel['getLayer']>['output'];
        } catch {
          throw unknownLayerError(n, this.model.layers.map((l) => l.name), this.name);
        }
      });
      sub = tf.model({ inputs: this.model.inputs, outputs: outputs as never });
      this.subModels.set(key, sub);
    }
    const x = applyPreprocess(images, this.preprocess);
    const out = sub.apply(x, { training: false }) as Tensor | Tensor[];
    if (x !== images) x.dispose(); // identity preprocessing returns the caller's tensor
    const list = Array.isArray(out) ? out : [out];
    return Object.fromEntries(layerNames.map((n, i) => [n, list[i]!]));
  }

  dispose(): void {
    // Sub-models share the layers (and weights) of the full model, which frees them.
    this.subModels.clear();
    this.model.dispose();
  }
}

export class GraphFeatModelTfjs implements FeatModel {
  readonly name: string;
  readonly fingerprint?: string;
  readonly preprocess: Preprocess;
  readonly labels?: readonly string[];
  readonly suggestedLayer?: string;
  readonly notes?: readonly string[];
  readonly layers: LayerInfo[];
  private readonly inputName: string;

  constructor(private readonly model: GraphModel, opts: TfjsModelOptions) {
    this.name = opts.name;
    if (opts.fingerprint) this.fingerprint = opts.fingerprint;
    this.preprocess = opts.preprocess;
    if (opts.labels) this.labels = opts.labels;
    if (opts.suggestedLayer) this.suggestedLayer = opts.suggestedLayer;
    if (opts.notes?.length) this.notes = opts.notes;
    this.inputName = model.inputs[0]?.name ?? 'input';
    const [h, w] = opts.preprocess.size;
    const nodeNames = Object.keys((model as unknown as { executor: { graph: { nodes: Record<string, { op: string }> } } }).executor.graph.nodes);
    const ops = (model as unknown as { executor: { graph: { nodes: Record<string, { op: string }> } } }).executor.graph.nodes;
    const candidates = nodeNames.filter((n) => !['Const', 'Placeholder', 'Identity'].includes(ops[n]!.op));
    this.layers = tf.tidy(() => {
      const outs = model.execute({ [this.inputName]: tf.zeros([1, h, w, 3]) }, candidates);
      const list = Array.isArray(outs) ? outs : [outs];
      return candidates.map((n, i) => ({ name: n, kind: ops[n]!.op, shape: list[i]!.shape.slice(1) }));
    });
  }

  activations(images: Tensor4D, layerNames: readonly string[]): Record<string, Tensor> {
    for (const n of layerNames) {
      if (!this.layers.some((l) => l.name === n)) throw unknownLayerError(n, this.layers.map((l) => l.name), this.name);
    }
    const x = applyPreprocess(images, this.preprocess);
    const out = this.model.execute({ [this.inputName]: x }, [...layerNames]);
    if (x !== images) x.dispose(); // identity preprocessing returns the caller's tensor
    const list = Array.isArray(out) ? out : [out];
    return Object.fromEntries(layerNames.map((n, i) => [n, list[i]!]));
  }

  dispose(): void {
    this.model.dispose();
  }
}
