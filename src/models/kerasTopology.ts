/**
 * A Keras functional-model topology (`model_config` of a TF.js LayersModel
 * model.json, or Keras' `model.to_json()`) as a plain layer list: name, class,
 * config and the names of the layers feeding it. Reads both Keras 2
 * (`inbound_nodes: [[["conv2d_1", 0, 0, {}]]]`) and Keras 3
 * (`inbound_nodes: [{args: [{class_name: "__keras_tensor__", config: {keras_history: [...]}}]}]`).
 */

export interface KerasTopoLayer {
  name: string;
  className: string;
  config: Readonly<Record<string, unknown>>;
  /** Layers whose outputs this layer reads, in order. */
  inbound: string[];
}

export interface KerasTopology {
  layers: KerasTopoLayer[];
  inputs: string[];
  outputs: string[];
  kerasVersion?: string;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Layer names referenced by one Keras 3 call argument (tensors, possibly nested in lists). */
function historyNames(arg: unknown, out: string[], depth = 0): void {
  if (depth > 8) return;
  if (Array.isArray(arg)) {
    for (const a of arg) historyNames(a, out, depth + 1);
    return;
  }
  if (!isObj(arg) || arg.class_name !== '__keras_tensor__' || !isObj(arg.config)) return;
  const h = arg.config.keras_history;
  if (Array.isArray(h) && typeof h[0] === 'string') out.push(h[0]);
}

/** Inbound layer names, or null when the layer is called more than once (shared layers are not a plain graph). */
function inboundOf(nodes: unknown): string[] | null {
  if (!Array.isArray(nodes) || nodes.length === 0) return [];
  if (nodes.length > 1) return null;
  const node: unknown = nodes[0];
  const out: string[] = [];
  if (Array.isArray(node)) {
    for (const t of node) if (Array.isArray(t) && typeof t[0] === 'string') out.push(t[0]);
  } else if (isObj(node)) {
    historyNames(node.args, out);
  }
  return out;
}

function endpointNames(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  // [[name, 0, 0], …] or a single [name, 0, 0]
  if (typeof v[0] === 'string') return [v[0]];
  return v.filter((e): e is unknown[] => Array.isArray(e) && typeof e[0] === 'string').map((e) => e[0] as string);
}

/**
 * The layer list of a functional Keras model, or null when the topology is not
 * one (Sequential, subclassed, shared layers, GraphModel).
 */
export function readKerasTopology(modelTopology: unknown): KerasTopology | null {
  if (!isObj(modelTopology)) return null;
  const mc = isObj(modelTopology.model_config) ? modelTopology.model_config : modelTopology;
  if (!isObj(mc.config) || !['Model', 'Functional'].includes(String(mc.class_name))) return null;
  const layersJson = mc.config.layers;
  if (!Array.isArray(layersJson)) return null;
  const layers: KerasTopoLayer[] = [];
  for (const l of layersJson as unknown[]) {
    if (!isObj(l) || !isObj(l.config)) return null;
    const name = typeof l.name === 'string' ? l.name : typeof l.config.name === 'string' ? l.config.name : null;
    if (name === null || typeof l.class_name !== 'string') return null;
    const inbound = inboundOf(l.inbound_nodes);
    if (inbound === null) return null;
    layers.push({ name, className: l.class_name, config: l.config, inbound });
  }
  const kv = modelTopology.keras_version;
  return {
    layers,
    inputs: endpointNames(mc.config.input_layers),
    outputs: endpointNames(mc.config.output_layers),
    ...(typeof kv === 'string' ? { kerasVersion: kv } : {}),
  };
}

/** [height, width] of an InputLayer (`batch_input_shape` in Keras 2, `batch_shape` in Keras 3), when fixed. */
export function inputLayerSize(layer: KerasTopoLayer): [number, number] | null {
  const s = layer.config.batch_input_shape ?? layer.config.batch_shape;
  if (!Array.isArray(s) || s.length !== 4) return null;
  const [, h, w] = s as unknown[];
  return typeof h === 'number' && typeof w === 'number' ? [h, w] : null;
}
