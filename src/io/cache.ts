/**
 * The download cache: files fetched once from their official URL, verified,
 * stored under FEATVIS_CACHE (default ~/.cache/featvis). Offline use: place the
 * file at the path `cachePath` names (the error message says which).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FeatvisError } from '../core/errors.js';

export function cacheDir(...parts: string[]): string {
  const base = process.env.FEATVIS_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'featvis');
  return path.join(base, ...parts);
}

export interface RemoteFile {
  url: string;
  /** Path inside the cache, e.g. `keras/inception_v3_weights_tf_dim_ordering_tf_kernels.h5`. */
  cacheName: string;
  /** Hex digest: sha256 (64 hex digits) or md5 (32), as published by the source. */
  hash?: string;
  /** What the file is, for messages. */
  description: string;
}

export function cachePath(file: RemoteFile): string {
  return cacheDir(...file.cacheName.split('/'));
}

export function fileDigest(file: string, algorithm: 'sha256' | 'md5'): string {
  const h = crypto.createHash(algorithm);
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let n: number;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

function verify(file: string, spec: RemoteFile): void {
  if (!spec.hash) return;
  const algo = spec.hash.length === 32 ? 'md5' : 'sha256';
  const got = fileDigest(file, algo);
  if (got !== spec.hash.toLowerCase()) {
    throw new FeatvisError(`${spec.description}: checksum mismatch for ${file} (${algo} ${got}, expected ${spec.hash}). Delete it and retry.`);
  }
}

export type ProgressFn = (received: number, total: number | null) => void;

/** Returns the local path of `spec`, downloading it into the cache if needed. */
export async function ensureCached(spec: RemoteFile, onProgress?: ProgressFn): Promise<string> {
  const dest = cachePath(spec);
  if (fs.existsSync(dest)) {
    verify(dest, spec);
    return dest;
  }
  if (process.env.FEATVIS_OFFLINE) throw missing(spec, dest, 'FEATVIS_OFFLINE is set');
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.part-${process.pid}`;
  let res: Response;
  try {
    res = await fetch(spec.url, { signal: AbortSignal.timeout(60_000) });
  } catch (err) {
    throw missing(spec, dest, err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err));
  }
  if (!res.ok || !res.body) throw missing(spec, dest, `HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length')) || null;
  const out = fs.createWriteStream(tmp);
  let received = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      received += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      onProgress?.(received, total);
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    verify(tmp, spec);
    fs.renameSync(tmp, dest);
  } catch (err) {
    out.destroy();
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  return dest;
}

function missing(spec: RemoteFile, dest: string, why: string): FeatvisError {
  return new FeatvisError(
    `${spec.description} is not available (${why}).\n  It is downloaded from: ${spec.url}\n` +
      `  To use it offline, download it on a machine with internet and place it at:\n    ${dest}\n` +
      `  (set FEATVIS_CACHE to move the cache folder).`,
  );
}
