/**
 * Image folders and image lists: what a dataset is for exemplar mining.
 *
 * A folder is walked recursively; every file whose extension is jpg, jpeg, png,
 * bmp or webp (any case) is an image. Order is stable (plain code-unit order of
 * the relative path, '/'-separated on every OS) and an image's id is that
 * relative path, so ids survive moving the dataset to another folder.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FeatvisError } from '../core/errors.js';

export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.bmp', '.webp'];

export interface ImageEntry {
  /** Stable id: path relative to the dataset root, '/'-separated. */
  id: string;
  /** Absolute path on disk. */
  path: string;
}

/**
 * Where images come from:
 * - a folder path (every image below it),
 * - a list of file paths (ids relative to their common folder),
 * - `{ root, files?, limit? }`: a folder, optionally restricted to `files`
 *   (absolute or relative to root) and/or to the first `limit` images in sorted order.
 */
export type ImageSource = string | readonly string[] | { root: string; files?: readonly string[]; limit?: number };

export interface Dataset {
  /** Absolute folder the ids are relative to. */
  root: string;
  /**
   * Identifies the dataset in stores: the root for a whole folder, else the root
   * plus a hash of the id list (so a subset never shares a run with the full folder).
   */
  key: string;
  entries: ImageEntry[];
}

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/** Code-unit order: identical on every machine and locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Lists every image below `root` (recursively, following symlinks once), sorted by id. */
export function listImages(root: string): ImageEntry[] {
  const abs = path.resolve(root);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new FeatvisError(`image folder not found: ${root}`);
  }
  if (!st.isDirectory()) throw new FeatvisError(`not a folder: ${root} (pass a folder of images or a list of image files)`);
  const out: ImageEntry[] = [];
  const seen = new Set<string>();
  const walk = (dir: string, rel: string): void => {
    const real = fs.realpathSync(dir);
    if (seen.has(real)) return; // symlink loop
    seen.add(real);
    let items: fs.Dirent[];
    try {
      items = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // unreadable sub-folder: not part of the dataset
    }
    for (const it of items) {
      if (it.name.startsWith('.')) continue; // hidden files, .DS_Store, ._resource forks
      const full = path.join(dir, it.name);
      const id = rel ? `${rel}/${it.name}` : it.name;
      let isDir = it.isDirectory();
      let isFile = it.isFile();
      if (it.isSymbolicLink()) {
        try {
          const t = fs.statSync(full);
          isDir = t.isDirectory();
          isFile = t.isFile();
        } catch {
          continue; // dangling link
        }
      }
      if (isDir) walk(full, id);
      else if (isFile && isImageFile(it.name)) out.push({ id, path: full });
    }
  };
  walk(abs, '');
  return out.sort((a, b) => compareIds(a.id, b.id));
}

function commonDir(files: readonly string[]): string {
  const dirs = files.map((f) => path.dirname(path.resolve(f)).split(path.sep));
  const first = dirs[0] ?? [];
  let n = first.length;
  for (const d of dirs) {
    let i = 0;
    while (i < n && i < d.length && d[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join(path.sep) || path.sep;
}

function listKey(root: string, entries: readonly ImageEntry[]): string {
  const h = crypto.createHash('sha256');
  for (const e of entries) h.update(`${e.id}\n`);
  return `${root}#${h.digest('hex').slice(0, 16)}`;
}

function toEntries(root: string, files: readonly string[]): ImageEntry[] {
  const byId = new Map<string, ImageEntry>();
  for (const f of files) {
    const p = path.resolve(root, f);
    const id = path.relative(root, p).split(path.sep).join('/');
    if (id.startsWith('..')) throw new FeatvisError(`image ${f} is outside the dataset root ${root}`);
    byId.set(id, { id, path: p });
  }
  return [...byId.values()].sort((a, b) => compareIds(a.id, b.id));
}

/** Turns an ImageSource into a sorted, de-duplicated list of entries and a dataset key. */
export function resolveImageSource(src: ImageSource): Dataset {
  if (typeof src === 'string') {
    const root = path.resolve(src);
    return { root, key: root, entries: listImages(root) };
  }
  if (Array.isArray(src)) {
    const files = src as readonly string[];
    if (files.length === 0) throw new FeatvisError('empty image list');
    const root = commonDir(files);
    const entries = toEntries(root, files);
    return { root, key: listKey(root, entries), entries };
  }
  const obj = src as { root: string; files?: readonly string[]; limit?: number };
  const root = path.resolve(obj.root);
  let entries = obj.files ? toEntries(root, obj.files) : listImages(root);
  const whole = !obj.files && (obj.limit === undefined || obj.limit >= entries.length);
  if (obj.limit !== undefined) {
    if (!Number.isInteger(obj.limit) || obj.limit < 1) throw new FeatvisError(`limit must be a positive integer, got ${obj.limit}`);
    entries = entries.slice(0, obj.limit);
  }
  return { root, key: whole ? root : listKey(root, entries), entries };
}
