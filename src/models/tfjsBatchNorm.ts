/**
 * Makes BatchNormalization layers with `scale: false` / `center: false`
 * differentiable in TF.js. tfjs-core's batchNorm gradient reads gamma
 * unconditionally, so any backward pass through a BN layer without gamma
 * crashes (`Cannot read properties of undefined (reading 'dataId')`). Keras
 * InceptionV3 uses `scale=False` everywhere.
 *
 * Fix at load time: such layers get `scale: true` / `center: true` in the
 * topology and a gamma of ones / beta of zeros in the weights, which computes
 * exactly the same function (x·1 + 0) through tfjs's normal, differentiable path.
 */
import type { ModelArtifacts, WeightsManifestEntry } from '../backend/tf.js';
import { weightByteSize, weightBytes } from './tfjsArtifacts.js';

interface KerasLayerJson {
  class_name?: unknown;
  name?: unknown;
  config?: unknown;
}

/** Every layer config in a Keras/TF.js topology, nested models included. */
function* layerJsons(node: unknown, depth = 0): Generator<KerasLayerJson> {
  if (depth > 32 || typeof node !== 'object' || node === null) return;
  const n = node as { model_config?: unknown; config?: unknown; layers?: unknown };
  if (n.model_config !== undefined) {
    yield* layerJsons(n.model_config, depth + 1);
    return;
  }
  const cfg = n.config;
  const layers = Array.isArray(cfg) ? cfg : typeof cfg === 'object' && cfg !== null ? (cfg as { layers?: unknown }).layers : n.layers;
  if (!Array.isArray(layers)) return;
  for (const l of layers as unknown[]) {
    if (typeof l !== 'object' || l === null) continue;
    yield l as KerasLayerJson;
    yield* layerJsons(l, depth + 1);
  }
}

export interface BatchNormFix {
  artifacts: ModelArtifacts;
  /** Names of the BatchNormalization layers that were completed. */
  layers: string[];
}

/** Returns artifacts whose BN layers all have gamma and beta (unchanged artifacts when none lacked them). */
export function completeBatchNorm(artifacts: ModelArtifacts): BatchNormFix {
  const specs = artifacts.weightSpecs ?? [];
  const topology = structuredClone(artifacts.modelTopology) as unknown;
  const added: WeightsManifestEntry[] = [];
  const values: number[] = [];
  const layers: string[] = [];
  for (const l of layerJsons(topology)) {
    if (l.class_name !== 'BatchNormalization' || typeof l.config !== 'object' || l.config === null) continue;
    const cfg = l.config as { name?: unknown; scale?: unknown; center?: unknown };
    const name = typeof cfg.name === 'string' ? cfg.name : typeof l.name === 'string' ? l.name : null;
    if (name === null || (cfg.scale !== false && cfg.center !== false)) continue;
    const mean = specs.filter((s) => s.name === `${name}/moving_mean` || s.name.endsWith(`/${name}/moving_mean`));
    if (mean.length !== 1) continue; // weights we cannot place: leave the layer as it is
    const prefix = mean[0]!.name.slice(0, -'moving_mean'.length);
    const channels = mean[0]!.shape.reduce((a, b) => a * b, 1);
    for (const [flag, weight, value] of [['scale', 'gamma', 1], ['center', 'beta', 0]] as const) {
      if (cfg[flag] !== false) continue;
      cfg[flag] = true;
      added.push({ name: `${prefix}${weight}`, shape: [...mean[0]!.shape], dtype: 'float32' });
      for (let i = 0; i < channels; i++) values.push(value);
    }
    layers.push(name);
  }
  if (layers.length === 0) return { artifacts, layers };
  // Specs are read in order from the start of the data: the new weights go right after the old ones.
  const used = specs.reduce((a, s) => a + weightByteSize(s, 'TF.js weights manifest'), 0);
  const old = weightBytes(artifacts).subarray(0, used);
  const extra = new Uint8Array(Float32Array.from(values).buffer);
  const data = new Uint8Array(old.byteLength + extra.byteLength);
  data.set(old, 0);
  data.set(extra, old.byteLength);
  return {
    artifacts: { ...artifacts, modelTopology: topology as ModelArtifacts['modelTopology'], weightSpecs: [...specs, ...added], weightData: data.buffer },
    layers,
  };
}
