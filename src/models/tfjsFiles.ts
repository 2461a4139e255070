/**
 * Reads a TF.js `model.json` + weight shards from disk or a URL as plain data
 * (JSON.parse and byte copies only: nothing in the files is executed).
 * Works on every backend (no reliance on tfjs-node's file:// handler).
 *
 * The files are untrusted: the manifest is checked field by field and its
 * weight size computed first; every shard must be a regular file inside the
 * model folder (also after resolving symlinks) and is read only up to the
 * bytes the manifest needs; remote shard paths must stay under the model's
 * URL folder.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ModelArtifacts } from '../backend/tf.js';
import { FeatvisError, quoteName } from '../core/errors.js';
import { ensureCached } from '../io/cache.js';
import { openRegularFile, readTextFile } from '../io/readFile.js';
import { relativeUrlInside, resolveInsideFolder } from '../io/safePaths.js';
import { MAX_MODEL_JSON_BYTES, parseTfjsModelJson, type TfjsModelJson } from '../io/tfjsManifest.js';

/** Downloads a remote model.json and its shards into the cache; returns the cached model.json. */
async function cacheRemoteModel(source: string): Promise<string> {
  const key = crypto.createHash('sha256').update(source).digest('hex').slice(0, 16);
  const jsonPath = await ensureCached({ url: source, cacheName: `tfjs/${key}/model.json`, description: `TF.js model ${source}` });
  const j = parseTfjsModelJson(readTextFile(jsonPath, { what: 'model file', maxBytes: MAX_MODEL_JSON_BYTES }), source);
  // Check every path before downloading any.
  const urls = j.paths.map((p) => relativeUrlInside(source, p, source));
  for (const [i, p] of j.paths.entries()) {
    await ensureCached({ url: urls[i]!, cacheName: `tfjs/${key}/${p}`, description: `TF.js weights ${p}` });
  }
  return jsonPath;
}

/**
 * Reads the shards of `j` (paths relative to `dir`) into one buffer of exactly
 * the bytes the manifest needs: every shard is checked (inside the folder,
 * regular file, sizes add up) before any byte is read.
 */
export function readTfjsShards(dir: string, j: TfjsModelJson, where: string): ArrayBuffer {
  const opened: Array<{ fd: number; take: number; p: string }> = [];
  try {
    let available = 0;
    for (const p of j.paths) {
      const real = resolveInsideFolder(dir, p, { where, what: 'weight path' });
      if (real === null) throw new FeatvisError(`${where}: weight shard ${quoteName(p)} is missing (expected at ${quoteName(path.resolve(dir, p))})`);
      const { fd, stats } = openRegularFile(real, `weight shard ${quoteName(p)} of ${where}`);
      const take = Math.min(stats.size, j.weightBytes - available);
      opened.push({ fd, take, p });
      available += take;
    }
    if (available < j.weightBytes) {
      throw new FeatvisError(`${where}: weight shards hold ${available} bytes but the manifest needs ${j.weightBytes}: truncated file?`);
    }
    const out = new Uint8Array(j.weightBytes);
    let at = 0;
    for (const s of opened) {
      let got = 0;
      while (got < s.take) {
        const n = fs.readSync(s.fd, out, at + got, s.take - got, got);
        if (n === 0) throw new FeatvisError(`${where}: weight shard ${quoteName(s.p)} shrank while it was read`);
        got += n;
      }
      at += s.take;
    }
    return out.buffer;
  } finally {
    for (const s of opened) fs.closeSync(s.fd);
  }
}

/** Local path or http(s) URL of a model.json (or a folder holding one) → artifacts for tf.io.fromMemory. */
export async function readTfjsArtifacts(source: string): Promise<ModelArtifacts> {
  if (typeof source !== 'string' || source.length === 0) throw new FeatvisError('readTfjsArtifacts: source must be a non-empty string');
  let jsonPath = source;
  if (/^https?:\/\//.test(source)) {
    jsonPath = await cacheRemoteModel(source);
  } else {
    let isDir = false;
    try {
      isDir = fs.statSync(source).isDirectory();
    } catch {
      // reported below as a missing model file
    }
    if (isDir) jsonPath = path.join(source, 'model.json');
  }
  const j = parseTfjsModelJson(readTextFile(jsonPath, { what: 'model file', maxBytes: MAX_MODEL_JSON_BYTES }), jsonPath);
  const weightData = readTfjsShards(path.dirname(jsonPath), j, jsonPath);
  const artifacts: ModelArtifacts = {
    modelTopology: j.modelTopology as ModelArtifacts['modelTopology'],
    weightSpecs: j.specs,
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
