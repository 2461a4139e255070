/**
 * TF.js `ModelArtifacts` from data already in memory (a topology, a weights
 * manifest and the shard bytes), for model sources that are not a model.json
 * folder (e.g. nsfwjs's bundled JS modules). The bytes must be exactly what the
 * manifest describes.
 */
import type { ModelArtifacts, WeightsManifestEntry } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';

export interface ManifestGroup {
  paths: string[];
  weights: WeightsManifestEntry[];
}

const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
const QUANT_BYTES: Readonly<Record<string, number>> = { uint8: 1, uint16: 2, float16: 2 };

/** Bytes one weight occupies in the shards (quantised size when quantised). */
export function weightByteSize(spec: WeightsManifestEntry, where: string): number {
  if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new FeatvisError(`${where}: weight '${String(spec.name)}' has a malformed shape ${JSON.stringify(spec.shape)}`);
  }
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization?.dtype;
  const per = q !== undefined ? QUANT_BYTES[q] : DTYPE_BYTES[spec.dtype];
  if (per === undefined) throw new FeatvisError(`${where}: weight '${spec.name}' has unsupported dtype '${q ?? spec.dtype}'`);
  return n * per;
}

/** Validates a parsed `weightsManifest` (groups of {paths, weights}). */
export function checkManifest(manifest: unknown, where: string): ManifestGroup[] {
  if (!Array.isArray(manifest)) throw new FeatvisError(`${where}: weightsManifest is not a list`);
  return manifest.map((g: unknown, i) => {
    const group = g as Partial<ManifestGroup> | null;
    if (typeof group !== 'object' || group === null || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new FeatvisError(`${where}: weightsManifest group ${i} needs 'paths' and 'weights' lists`);
    }
    if (!group.paths.every((p) => typeof p === 'string')) throw new FeatvisError(`${where}: weightsManifest group ${i} has a non-string path`);
    for (const w of group.weights) {
      if (typeof w !== 'object' || w === null || typeof w.name !== 'string' || typeof w.dtype !== 'string') {
        throw new FeatvisError(`${where}: weightsManifest group ${i} has a malformed weight entry`);
      }
    }
    return { paths: group.paths, weights: group.weights };
  });
}

/**
 * Artifacts for `tf.io.fromMemory`. `shards[i]` holds the bytes of the i-th path
 * of the manifest (all groups, in order); their total must equal the manifest's.
 */
export function artifactsFromMemory(
  topology: unknown,
  manifest: readonly ManifestGroup[],
  shards: readonly Uint8Array[],
  where: string,
  format?: string,
): ModelArtifacts {
  if (typeof topology !== 'object' || topology === null) throw new FeatvisError(`${where}: modelTopology is not an object`);
  const paths = manifest.flatMap((g) => g.paths);
  if (paths.length !== shards.length) throw new FeatvisError(`${where}: ${shards.length} weight shards for ${paths.length} manifest paths`);
  const specs = manifest.flatMap((g) => g.weights);
  const expected = specs.reduce((a, s) => a + weightByteSize(s, where), 0);
  const total = shards.reduce((a, s) => a + s.byteLength, 0);
  if (total !== expected) {
    throw new FeatvisError(`${where}: weight shards hold ${total} bytes but the manifest describes ${expected}: ${total < expected ? 'truncated' : 'extra or corrupt'} weight data`);
  }
  const all = new Uint8Array(total);
  let off = 0;
  for (const s of shards) {
    all.set(s, off);
    off += s.byteLength;
  }
  const artifacts: ModelArtifacts = { modelTopology: topology as ModelArtifacts['modelTopology'], weightSpecs: specs, weightData: all.buffer };
  if (format) artifacts.format = format;
  return artifacts;
}

/** The weight bytes of artifacts as one buffer (tfjs allows a list of buffers). */
export function weightBytes(a: ModelArtifacts): Uint8Array {
  const wd = a.weightData;
  if (wd === undefined) return new Uint8Array(0);
  const list = Array.isArray(wd) ? wd : [wd];
  if (list.length === 1) return new Uint8Array(list[0]!);
  const total = list.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of list) {
    out.set(new Uint8Array(b), off);
    off += b.byteLength;
  }
  return out;
}
