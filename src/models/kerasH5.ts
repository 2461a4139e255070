/**
 * Keras HDF5 weight files → named weight arrays for an architecture defined in
 * featvis. Reads (never executes) the three layouts Keras writes:
 *
 *  - legacy `save_weights('x.h5')` (Keras 1/2, tf.keras, and the official
 *    keras-applications files): root attr `layer_names`, one group per layer with
 *    attr `weight_names`, datasets at `<layer>/<weight_name>` (e.g.
 *    `conv2d_1/conv2d_1/kernel:0`);
 *  - legacy full model `model.save('x.h5')`: the same under a `model_weights` group;
 *  - Keras 3 `save_weights('x.weights.h5')`: `layers/<key>/vars/<i>`, where
 *    the key is structural (class name + index) and the layer's name is the
 *    `name` attribute of the `vars` group.
 *
 * Layers are matched by name. Keras 2.0-era files number auto-named layers from
 * 1 (`conv2d_1` is the first convolution) where current Keras numbers from 0
 * (`conv2d`), and a model built after others in one session is offset further;
 * when exact names leave layers unpaired, names are renumbered per family by a
 * constant offset (creation order is what the numbers encode), and whatever is
 * still unpaired or mis-shaped is reported.
 */
import { FeatvisError } from '../core/errors.js';
import { openHdf5, type Hdf5Group } from '../io/hdf5.js';
import { kerasFamily as family } from './kerasNames.js';

export interface KerasWeightSpec {
  /** Keras weight name, e.g. `kernel`, `bias`, `beta`, `moving_mean`. */
  name: string;
  shape: number[];
}

export interface KerasLayerSpec {
  /** Keras layer name, e.g. `conv2d_5`. */
  name: string;
  /** In Keras' own order (trainable then non-trainable, as `layer.weights`). */
  weights: KerasWeightSpec[];
}

export type KerasH5Layout = 'legacy-weights' | 'legacy-model' | 'keras3-weights';

export interface KerasFileWeight {
  /** Name as stored (`conv2d_1/kernel:0`, or the index `0` in Keras 3 files). */
  name: string;
  shape: number[];
  read(): Float32Array;
}

export interface KerasFileLayer {
  name: string;
  weights: KerasFileWeight[];
}

export interface KerasWeightsFile {
  source: string;
  layout: KerasH5Layout;
  /** Every layer in the file (with or without weights), in file order. */
  layers: KerasFileLayer[];
  /** The model's topology (`model_config` of a full-model `model.save` .h5), parsed JSON, when the file has one. */
  modelConfig?: unknown;
}

/** Max layers / weights per layer accepted from a file (sanity bounds). */
const MAX_LAYERS = 10_000;
const MAX_WEIGHTS_PER_LAYER = 64;

/** Opens a Keras weights file and lists its layers and weights (data is read lazily). */
export function readKerasWeightsFile(source: string | Hdf5Group): KerasWeightsFile {
  const root = typeof source === 'string' ? openHdf5(source) : source;
  const label = root.fileLabel;
  const keys = root.keys();
  if (keys.includes('model_weights') && root.get('model_weights')?.kind === 'group') {
    const modelConfig = readModelConfig(root, label);
    return { source: label, layout: 'legacy-model', layers: legacyLayers(root.group('model_weights'), label), ...(modelConfig === undefined ? {} : { modelConfig }) };
  }
  if (root.stringListAttr('layer_names') !== null || root.stringListAttr('layer_names0') !== null) {
    return { source: label, layout: 'legacy-weights', layers: legacyLayers(root, label) };
  }
  for (const k of ['layers', '_layer_checkpoint_dependencies']) {
    const g = keys.includes(k) ? root.get(k) : null;
    if (g?.kind === 'group') return { source: label, layout: 'keras3-weights', layers: keras3Layers(g) };
  }
  throw new FeatvisError(
    `${label} is an HDF5 file but not a Keras weights file: expected a root attribute 'layer_names' (Keras save_weights .h5), ` +
      `a 'model_weights' group (Keras model.save .h5) or a 'layers' group (Keras 3 .weights.h5); found members: ${keys.slice(0, 10).join(', ') || '(none)'}`,
  );
}

const MAX_MODEL_CONFIG_CHARS = 64 << 20;

/** The `model_config` JSON attribute of a legacy full-model file, parsed (data only), or undefined. */
function readModelConfig(root: Hdf5Group, label: string): unknown {
  const raw = root.stringListAttr('model_config');
  if (raw === null || raw.length !== 1) return undefined;
  const text = raw[0]!;
  if (text.length > MAX_MODEL_CONFIG_CHARS) throw new FeatvisError(`${label}: model_config is ${text.length} characters, over the ${MAX_MODEL_CONFIG_CHARS} accepted`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new FeatvisError(`${label}: model_config is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Keras' `load_attributes_from_hdf5_group`: attributes over 64 KB are split into name0, name1, … */
function chunkedStrings(g: Hdf5Group, name: string): string[] | null {
  const whole = g.stringListAttr(name);
  if (whole !== null) return whole;
  const out: string[] = [];
  let found = false;
  for (let i = 0; ; i++) {
    const part = g.stringListAttr(`${name}${i}`);
    if (part === null) break;
    found = true;
    out.push(...part);
  }
  return found ? out : null;
}

function legacyLayers(g: Hdf5Group, label: string): KerasFileLayer[] {
  const names = chunkedStrings(g, 'layer_names');
  if (names === null) throw new FeatvisError(`${label}: Keras weights group ${g.path} has no 'layer_names' attribute`);
  if (names.length > MAX_LAYERS) throw new FeatvisError(`${label}: ${names.length} layers is more than the ${MAX_LAYERS} accepted`);
  return names.map((name) => {
    const lg = g.get(name);
    if (lg?.kind !== 'group') throw new FeatvisError(`${label}: layer '${name}' is listed in layer_names but has no group ${g.path}/${name}`);
    const wnames = chunkedStrings(lg, 'weight_names') ?? [];
    if (wnames.length > MAX_WEIGHTS_PER_LAYER) throw new FeatvisError(`${label}: layer '${name}' lists ${wnames.length} weights`);
    return {
      name,
      weights: wnames.map((wn) => {
        const ds = lg.get(wn);
        if (ds?.kind !== 'dataset') throw new FeatvisError(`${label}: weight '${wn}' of layer '${name}' is listed in weight_names but missing`);
        return { name: wn, shape: ds.shape, read: () => ds.readFloat32() };
      }),
    };
  });
}

function keras3Layers(g: Hdf5Group): KerasFileLayer[] {
  const names = g.keys();
  if (names.length > MAX_LAYERS) throw new FeatvisError(`${g.fileLabel}: ${names.length} layers is more than the ${MAX_LAYERS} accepted`);
  return names.map((key) => {
    // Keras 3 keys layers structurally (`conv2d_5` = the 6th Conv2D in model
    // order); the layer's own name is the `name` attribute of its vars group.
    const vars = g.get(`${key}/vars`);
    const weights: KerasFileWeight[] = [];
    let name = key;
    if (vars?.kind === 'group') {
      const own = vars.stringListAttr('name');
      if (own?.length === 1 && own[0]) name = own[0];
      const idx = vars.keys().filter((k) => /^\d+$/.test(k));
      if (idx.length > MAX_WEIGHTS_PER_LAYER) throw new FeatvisError(`${g.fileLabel}: layer '${name}' has ${idx.length} weights`);
      for (const k of idx.sort((a, b) => Number(a) - Number(b))) {
        const ds = vars.get(k);
        if (ds?.kind === 'dataset') weights.push({ name: k, shape: ds.shape, read: () => ds.readFloat32() });
      }
    }
    return { name, weights };
  });
}

/** All layer names in a Keras weights file (for recognising the architecture). */
export function kerasLayerNames(file: KerasWeightsFile): string[] {
  return file.layers.map((l) => l.name);
}

// ---- mapping onto an architecture ---------------------------------------------

export interface KerasWeights {
  /** How file layers were paired with the architecture's. */
  matchedBy: 'name' | 'renumbered';
  /** Architecture layer name → file layer name (differs only when renumbered). */
  fileLayerOf: ReadonlyMap<string, string>;
  /** The weight data (float32, row-major, Keras layout) of `layer`'s weight `weight`. */
  get(layer: string, weight: string): Float32Array;
}

export interface MapKerasOptions {
  /** File layers to leave unused (e.g. `predictions` when building without the classifier). */
  ignoreFileLayers?: readonly string[];
}

/**
 * Maps a Keras weights file onto `spec` (every layer that has weights, in any
 * order). Throws a FeatvisError listing missing, extra and shape-mismatched
 * weights when the file does not fit.
 */
export function mapKerasWeights(file: KerasWeightsFile, spec: readonly KerasLayerSpec[], opts: MapKerasOptions = {}): KerasWeights {
  const ignored = new Set(opts.ignoreFileLayers ?? []);
  const weighted = spec.filter((l) => l.weights.length > 0);
  const fileWeighted = file.layers.filter((l) => l.weights.length > 0 && !ignored.has(l.name));
  const byName = new Map(fileWeighted.map((l) => [l.name, l]));
  let matchedBy: KerasWeights['matchedBy'] = 'name';
  let pairing = new Map<string, KerasFileLayer>();
  for (const l of weighted) {
    const f = byName.get(l.name);
    if (f) pairing.set(l.name, f);
  }
  if (pairing.size !== weighted.length) {
    const renum = renumbered(weighted.map((l) => l.name), fileWeighted.map((l) => l.name));
    if (renum.size > pairing.size) {
      matchedBy = 'renumbered';
      pairing = new Map([...renum].map(([a, f]) => [a, byName.get(f)!]));
    }
  }

  const problems: string[] = [];
  const missing = weighted.filter((l) => !pairing.has(l.name)).map((l) => l.name);
  const used = new Set([...pairing.values()].map((f) => f.name));
  const extra = fileWeighted.filter((f) => !used.has(f.name)).map((f) => f.name);
  if (missing.length) problems.push(`missing layers (${missing.length}): ${abbreviate(missing)}`);
  if (extra.length) problems.push(`layers in the file that the architecture does not have (${extra.length}): ${abbreviate(extra)}`);

  const table = new Map<string, Map<string, KerasFileWeight>>();
  const mismatched: string[] = [];
  for (const l of weighted) {
    const f = pairing.get(l.name);
    if (!f) continue;
    const ws = pairWeights(l, f);
    if (typeof ws === 'string') {
      mismatched.push(ws);
      continue;
    }
    for (const w of l.weights) {
      const fw = ws.get(w.name)!;
      if (!sameShape(fw.shape, w.shape)) mismatched.push(`${l.name}/${w.name}: file ${fmt(fw.shape)} (${f.name}/${fw.name}), expected ${fmt(w.shape)}`);
    }
    table.set(l.name, ws);
  }
  if (mismatched.length) problems.push(`mismatched weights (${mismatched.length}): ${abbreviate(mismatched, 8, '; ')}`);
  if (problems.length) {
    throw new FeatvisError(`${file.source} (${file.layout}) does not fit the architecture:\n  ${problems.join('\n  ')}`);
  }
  return {
    matchedBy,
    fileLayerOf: new Map([...pairing].map(([a, f]) => [a, f.name])),
    get(layer: string, weight: string): Float32Array {
      const w = table.get(layer)?.get(weight);
      if (!w) throw new FeatvisError(`${file.source}: no weight '${weight}' for layer '${layer}'`);
      const data = w.read();
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (data.length !== n) throw new FeatvisError(`${file.source}: weight ${layer}/${weight} has ${data.length} values, expected ${n}`);
      return data;
    },
  };
}

/** Pairs a layer's weights by their stored names when recognisable, else by order (Keras' rule). */
function pairWeights(l: KerasLayerSpec, f: KerasFileLayer): Map<string, KerasFileWeight> | string {
  if (f.weights.length !== l.weights.length) {
    return `${l.name}: file layer ${f.name} has ${f.weights.length} weights [${f.weights.map((w) => baseWeightName(w.name)).join(', ')}], expected ${l.weights.length} [${l.weights.map((w) => w.name).join(', ')}]`;
  }
  const byBase = new Map(f.weights.map((w) => [baseWeightName(w.name), w]));
  if (byBase.size === f.weights.length && l.weights.every((w) => byBase.has(w.name))) {
    return new Map(l.weights.map((w) => [w.name, byBase.get(w.name)!]));
  }
  return new Map(l.weights.map((w, i) => [w.name, f.weights[i]!]));
}

/** `conv2d_1/kernel:0` → `kernel`. */
export function baseWeightName(stored: string): string {
  const last = stored.split('/').pop() ?? stored;
  return last.replace(/:\d+$/, '');
}

/**
 * Pairs architecture names with file names that differ by a constant number per
 * family (Keras 2.0 one-based numbering, or a model built later in a session):
 * the offset of a family is the difference of its smallest numbers. Names
 * without a counterpart stay unpaired (reported by the caller).
 */
function renumbered(arch: string[], inFile: string[]): Map<string, string> {
  const minIndex = (names: string[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const n of names) {
      const [fam, i] = family(n);
      m.set(fam, Math.min(i, m.get(fam) ?? Infinity));
    }
    return m;
  };
  const archMin = minIndex(arch);
  const fileMin = minIndex(inFile);
  const present = new Set(inFile);
  const out = new Map<string, string>();
  for (const n of arch) {
    const [fam, i] = family(n);
    const fm = fileMin.get(fam);
    if (fm === undefined) continue;
    const j = i + fm - archMin.get(fam)!;
    const target = j === 0 ? fam : `${fam}_${j}`;
    if (present.has(target)) out.set(n, target);
  }
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function fmt(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}

function abbreviate(items: string[], n = 12, sep = ', '): string {
  return items.length <= n ? items.join(sep) : `${items.slice(0, n).join(sep)}${sep}… (+${items.length - n} more)`;
}
