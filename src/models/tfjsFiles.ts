/**
 * Reads a TF.js `model.json` + weight shards from disk or a URL as plain data
 * (JSON.parse and byte copies only: nothing in the files is executed).
 * Works on every backend (no reliance on tfjs-node's file:// handler).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ModelArtifacts as TfModelArtifacts, WeightsManifestEntry } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import { ensureCached } from '../io/cache.js';
import crypto from 'node:crypto';

type ModelArtifacts = TfModelArtifacts;

interface ModelJson {
  format?: string;
  modelTopology?: unknown;
  weightsManifest?: Array<{ paths: string[]; weights: unknown[] }>;
  [k: string]: unknown;
}

const MAX_JSON_BYTES = 64 << 20;

function parseModelJson(text: string, where: string): ModelJson {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (err) {
    throw new FeatvisError(`${where} is not valid JSON (${err instanceof Error ? err.message : String(err)}): is it a TF.js model.json?`);
  }
  if (typeof j !== 'object' || j === null || !('modelTopology' in j) || !('weightsManifest' in j)) {
    throw new FeatvisError(`${where} is not a TF.js model.json (it needs "modelTopology" and "weightsManifest").`);
  }
  return j as ModelJson;
}

function safeJoin(dir: string, rel: string, where: string): string {
  const p = path.resolve(dir, rel);
  if (!p.startsWith(path.resolve(dir) + path.sep)) throw new FeatvisError(`${where}: weight path '${rel}' escapes the model folder`);
  return p;
}

/** Local path or http(s) URL of a model.json → artifacts for tf.io.fromMemory. */
export async function readTfjsArtifacts(source: string): Promise<ModelArtifacts> {
  let jsonPath = source;
  if (/^https?:\/\//.test(source)) {
    const key = crypto.createHash('sha256').update(source).digest('hex').slice(0, 16);
    jsonPath = await ensureCached({ url: source, cacheName: `tfjs/${key}/model.json`, description: `TF.js model ${source}` });
    const j = parseModelJson(fs.readFileSync(jsonPath, 'utf8'), source);
    const base = source.slice(0, source.lastIndexOf('/') + 1);
    for (const group of j.weightsManifest ?? []) {
      for (const p of group.paths) {
        if (p.includes('..') || p.startsWith('/')) throw new FeatvisError(`${source}: weight path '${p}' escapes the model folder`);
        await ensureCached({ url: new URL(p, base).toString(), cacheName: `tfjs/${key}/${p}`, description: `TF.js weights ${p}` });
      }
    }
  } else if (fs.existsSync(source) && fs.statSync(source).isDirectory()) {
    jsonPath = path.join(source, 'model.json');
  }
  if (!fs.existsSync(jsonPath)) throw new FeatvisError(`model file not found: ${jsonPath}`);
  const size = fs.statSync(jsonPath).size;
  if (size > MAX_JSON_BYTES) throw new FeatvisError(`${jsonPath} is ${size} bytes: too large for a model.json`);
  const j = parseModelJson(fs.readFileSync(jsonPath, 'utf8'), jsonPath);
  const dir = path.dirname(jsonPath);
  const specs: unknown[] = [];
  const buffers: Buffer[] = [];
  for (const group of j.weightsManifest ?? []) {
    if (!Array.isArray(group.paths) || !Array.isArray(group.weights)) throw new FeatvisError(`${jsonPath}: malformed weightsManifest`);
    for (const p of group.paths) {
      const f = safeJoin(dir, p, jsonPath);
      if (!fs.existsSync(f)) throw new FeatvisError(`${jsonPath}: weight shard '${p}' is missing (expected at ${f})`);
      buffers.push(fs.readFileSync(f));
    }
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const expected = (specs as Array<{ shape: number[]; dtype?: string; quantization?: { dtype: string } }>).reduce((acc, s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const bytes = s.quantization ? (s.quantization.dtype === 'uint8' ? 1 : 2) : 4;
    return acc + n * bytes;
  }, 0);
  if (expected > all.byteLength) {
    throw new FeatvisError(`${jsonPath}: weight shards hold ${all.byteLength} bytes but the manifest needs ${expected}: truncated file?`);
  }
  const artifacts: ModelArtifacts = {
    modelTopology: j.modelTopology as ModelArtifacts['modelTopology'],
    weightSpecs: specs as WeightsManifestEntry[],
    weightData,
  };
  if (j.format) artifacts.format = j.format;
  return artifacts;
}

export function isGraphModelArtifacts(a: ModelArtifacts): boolean {
  if (a.format === 'graph-model') return true;
  const topo = a.modelTopology as { node?: unknown } | undefined;
  return !!topo && Array.isArray(topo.node);
}
