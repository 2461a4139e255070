/**
 * Paths and URLs named inside untrusted files (a model.json's shard paths)
 * must stay inside the model's folder. Local paths are checked twice: as
 * written (no absolute paths, no '..' that climbs out) and after resolving
 * symlinks (a link inside the folder that points outside is refused). URLs
 * must be relative, and stay under the model's URL folder after
 * percent-decoding and normalisation (no other host, no '%2e%2e/').
 */
import fs from 'node:fs';
import path from 'node:path';
import { FeatvisError, quoteName } from '../core/errors.js';

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

export interface InsideFolderOptions {
  /** Names the file that names `rel`, for messages. */
  where: string;
  /** What `rel` is, for messages (default 'weight path'). */
  what?: string;
}

/**
 * The real path of `rel` (a relative path from an untrusted file) below
 * `dir`, after checking that both the written path and its real path (symlinks
 * resolved) stay inside `dir`'s real path. Missing files give null.
 */
export function resolveInsideFolder(dir: string, rel: string, opts: InsideFolderOptions): string | null {
  const what = opts.what ?? 'weight path';
  const escapes = (detail: string) => new FeatvisError(`${opts.where}: ${what} ${quoteName(rel)} escapes the model folder${detail}`);
  if (rel.includes('\0') || path.isAbsolute(rel) || /^[a-zA-Z]:/.test(rel) || rel.startsWith('\\')) throw escapes(' (absolute paths are not allowed)');
  const written = path.resolve(dir, rel);
  if (!inside(path.resolve(dir), written)) throw escapes('');
  let realDir: string;
  try {
    realDir = fs.realpathSync(dir);
  } catch {
    throw new FeatvisError(`${opts.where}: model folder ${dir} cannot be read`);
  }
  let real: string;
  try {
    real = fs.realpathSync(written);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | null)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'ELOOP') throw new FeatvisError(`${opts.where}: ${what} ${quoteName(rel)} is a symbolic link loop`);
    throw new FeatvisError(`${opts.where}: ${what} ${quoteName(rel)} cannot be resolved (${code ?? String(err)})`);
  }
  if (!inside(realDir, real)) throw escapes(` (it resolves to ${quoteName(real)}, outside ${quoteName(realDir)})`);
  return real;
}

/** Decodes %XX escapes until nothing changes (at most 4 rounds); null when an escape is malformed. */
function fullyDecoded(s: string): string | null {
  let cur = s;
  for (let i = 0; i < 4; i++) {
    let next: string;
    try {
      next = decodeURIComponent(cur);
    } catch {
      return null;
    }
    if (next === cur) return cur;
    cur = next;
  }
  return /%[0-9a-fA-F]{2}/.test(cur) ? null : cur;
}

/**
 * The absolute URL of `rel` (a shard path from a remote model.json) under the
 * folder of `modelUrl`. Only plain relative paths are accepted: no scheme, no
 * host, no leading '/', no backslash, query or fragment, and no '..' segment
 * even when percent-encoded (once or several times); the resolved URL must
 * keep the model's origin and folder.
 */
export function relativeUrlInside(modelUrl: string, rel: string, where: string): string {
  const refuse = (why: string) => new FeatvisError(`${where}: weight path ${quoteName(rel)} ${why}`);
  const base = new URL('.', modelUrl);
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(rel) || rel.startsWith('//')) throw refuse('is an absolute URL; only paths relative to the model.json are allowed');
  if (rel.startsWith('/')) throw refuse('is an absolute path; only paths relative to the model.json are allowed');
  if (/[\\?#\u0000-\u001f\u007f]/.test(rel)) throw refuse('contains a backslash, query, fragment or control character');
  const decoded = fullyDecoded(rel);
  if (decoded === null) throw refuse('has malformed percent-escapes');
  if (/[\\\u0000-\u001f\u007f]/.test(decoded) || decoded.startsWith('/')) throw refuse('decodes to an absolute path or one with a backslash or control character');
  if (decoded.split('/').some((seg) => seg === '..')) throw refuse('escapes the model folder');
  const url = new URL(rel, base);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname) || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw refuse(`resolves to ${quoteName(url.href)}, outside ${quoteName(base.href)}`);
  }
  return url.href;
}
