/**
 * A TF.js `model.json` as untrusted data: parsed with JSON.parse and checked
 * field by field (shard paths are strings, weight specs have integer shapes
 * and known dtypes), and the number of weight bytes the manifest needs is
 * computed (bounded) before any shard is read.
 */
import type { WeightsManifestEntry } from '../backend/tf.js';
import { FeatvisError, oneLine, quoteName } from '../core/errors.js';

export interface TfjsModelJson {
  format?: string;
  modelTopology: unknown;
  /** Shard paths of all groups, in order. */
  paths: string[];
  /** Weight specs of all groups, in order (their bytes are the shards concatenated). */
  specs: WeightsManifestEntry[];
  /** Bytes the specs need. */
  weightBytes: number;
}

/** Largest model.json read. */
export const MAX_MODEL_JSON_BYTES = 64 << 20;
/** Most weight bytes a manifest may declare (4 GiB). */
export const MAX_WEIGHT_BYTES = 2 ** 32;
const MAX_RANK = 16;
const MAX_SHARDS = 100_000;

const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, float16: 2 };
const QUANT_BYTES: Readonly<Record<string, number>> = { uint8: 1, uint16: 2, float16: 2 };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function specBytes(raw: unknown, where: string, i: number): { spec: WeightsManifestEntry; bytes: number } {
  const bad = (why: string) => new FeatvisError(`${where}: weight spec ${i} ${why}`);
  if (!isRecord(raw)) throw bad('is not an object');
  const { name, shape, dtype, quantization } = raw;
  if (typeof name !== 'string') throw bad('has no name');
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw bad(`(${quoteName(name)}) has an invalid shape (a list of at most ${MAX_RANK} integers ≥ 0 is expected)`);
  }
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) throw bad(`(${quoteName(name)}) has unsupported dtype ${JSON.stringify(dtype)?.slice(0, 40)}`);
  let elementBytes = DTYPE_BYTES[dtype]!;
  if (quantization !== undefined) {
    if (!isRecord(quantization) || typeof quantization.dtype !== 'string' || !(quantization.dtype in QUANT_BYTES)) {
      throw bad(`(${quoteName(name)}) has an unsupported quantization (uint8, uint16 or float16)`);
    }
    elementBytes = QUANT_BYTES[quantization.dtype]!;
  }
  let n = 1;
  for (const d of shape as number[]) {
    n *= d;
    if (n * elementBytes > MAX_WEIGHT_BYTES) throw bad(`(${quoteName(name)}) is larger than ${MAX_WEIGHT_BYTES} bytes`);
  }
  return { spec: raw as unknown as WeightsManifestEntry, bytes: n * elementBytes };
}

/** Parses and checks a model.json; `where` names it in messages. */
export function parseTfjsModelJson(text: string, where: string): TfjsModelJson {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (err) {
    throw new FeatvisError(`${where} is not valid JSON (${oneLine(err instanceof Error ? err.message : String(err), 160)}): is it a TF.js model.json?`);
  }
  if (!isRecord(j) || !('modelTopology' in j) || !('weightsManifest' in j)) {
    throw new FeatvisError(`${where} is not a TF.js model.json (it needs "modelTopology" and "weightsManifest").`);
  }
  const manifest = j.weightsManifest;
  if (!Array.isArray(manifest)) throw new FeatvisError(`${where}: malformed weightsManifest (expected a list of groups)`);
  const paths: string[] = [];
  const specs: WeightsManifestEntry[] = [];
  let weightBytes = 0;
  manifest.forEach((group: unknown, g) => {
    if (!isRecord(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new FeatvisError(`${where}: malformed weightsManifest (group ${g} needs "paths" and "weights" lists)`);
    }
    for (const p of group.paths as unknown[]) {
      if (typeof p !== 'string' || p.length === 0 || p.length > 1024) throw new FeatvisError(`${where}: weightsManifest group ${g} has an invalid shard path`);
      paths.push(p);
    }
    if (paths.length > MAX_SHARDS) throw new FeatvisError(`${where}: more than ${MAX_SHARDS} weight shards`);
    for (const w of group.weights as unknown[]) {
      const { spec, bytes } = specBytes(w, where, specs.length);
      specs.push(spec);
      weightBytes += bytes;
      if (weightBytes > MAX_WEIGHT_BYTES) throw new FeatvisError(`${where}: the weights need more than ${MAX_WEIGHT_BYTES} bytes`);
    }
  });
  const format = typeof j.format === 'string' ? j.format : undefined;
  return { ...(format === undefined ? {} : { format }), modelTopology: j.modelTopology, paths, specs, weightBytes };
}
