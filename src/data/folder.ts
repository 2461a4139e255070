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
  /** Folder entries the walk did not use, with reasons (empty for explicit file lists). */
  skipped: SkippedEntry[];
}

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/** Code-unit order: identical on every machine and locale. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An entry of an image folder that is not used, and why. */
export interface SkippedEntry {
  /** Path relative to the dataset root, '/'-separated. */
  id: string;
  path: string;
  reason: string;
}

export interface ImageListing {
  /** Every image, sorted by id. */
  entries: ImageEntry[];
  /**
   * Entries that are not used, sorted by id: image-named files that are not
   * regular files (FIFOs, sockets, devices), broken or looping symlinks,
   * folders reached a second time (symlink cycles), unreadable folders,
   * hidden image files and folders, and folders below the depth limit.
   * Other files (not named like images) are not listed.
   */
  skipped: SkippedEntry[];
}

export interface WalkOptions {
  /** Deepest folder level searched below the root (default MAX_FOLDER_DEPTH). */
  maxDepth?: number;
}

/** Folders deeper than this below a dataset root are not searched (and are listed as skipped). */
export const MAX_FOLDER_DEPTH = 64;

function kindOf(st: fs.Stats | fs.Dirent): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function errno(err: unknown): string {
  return (err as NodeJS.ErrnoException | null)?.code ?? (err instanceof Error ? err.message : String(err));
}

/**
 * Walks `root` once (breadth first, following symlinks, each real folder
 * visited at most once) and returns its images and every entry it skipped
 * with the reason. Which of two paths to the same folder is used does not
 * depend on the file system's listing order: the shallower one, then real
 * folders before symlinks, then code-unit order.
 */
export function walkImages(root: string, opts: WalkOptions = {}): ImageListing {
  if (typeof root !== 'string' || root.length === 0) throw new FeatvisError('image folder must be a non-empty path string');
  const maxDepth = opts.maxDepth ?? MAX_FOLDER_DEPTH;
  const abs = path.resolve(root);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new FeatvisError(`image folder not found: ${root}`);
  }
  if (!st.isDirectory()) throw new FeatvisError(`not a folder: ${root} (pass a folder of images or a list of image files)`);
  const entries: ImageEntry[] = [];
  const skipped: SkippedEntry[] = [];
  // Real folders already walked, by device and inode: a second visit is a symlink cycle or an alias.
  const seen = new Map<string, string>([[`${st.dev}:${st.ino}`, '.']]);
  const queue: Array<{ dir: string; id: string; depth: number }> = [{ dir: abs, id: '', depth: 0 }];
  for (let q = 0; q < queue.length; q++) {
    const { dir, id: dirId, depth } = queue[q]!;
    let items: fs.Dirent[];
    try {
      items = fs.readdirSync(dir, { withFileTypes: true });
      // Real entries before symlinks, each group in code-unit order.
      items.sort((a, b) => Number(a.isSymbolicLink()) - Number(b.isSymbolicLink()) || compareIds(a.name, b.name));
    } catch (err) {
      skipped.push({ id: dirId || '.', path: dir, reason: `folder cannot be read (${errno(err)})` });
      continue;
    }
    for (const it of items) {
      const full = path.join(dir, it.name);
      const id = dirId ? `${dirId}/${it.name}` : it.name;
      const imageName = isImageFile(it.name);
      let type: fs.Stats | fs.Dirent = it;
      if (it.isSymbolicLink()) {
        try {
          type = fs.statSync(full);
        } catch (err) {
          const code = errno(err);
          skipped.push({ id, path: full, reason: code === 'ELOOP' ? 'symbolic link loop' : code === 'ENOENT' ? 'broken symbolic link (its target does not exist)' : `symbolic link cannot be followed (${code})` });
          continue;
        }
      }
      if (type.isDirectory()) {
        if (it.name.startsWith('.')) {
          skipped.push({ id, path: full, reason: 'hidden folder (name starts with a dot)' });
          continue;
        }
        let real: fs.Stats;
        try {
          real = type instanceof fs.Stats ? type : fs.statSync(full);
        } catch (err) {
          skipped.push({ id, path: full, reason: `folder cannot be read (${errno(err)})` });
          continue;
        }
        const key = `${real.dev}:${real.ino}`;
        const earlier = seen.get(key);
        if (earlier !== undefined) {
          skipped.push({ id, path: full, reason: `symbolic link to a folder already listed (${earlier === '.' ? 'the dataset root' : earlier}): a cycle or an alias` });
          continue;
        }
        if (depth + 1 > maxDepth) {
          skipped.push({ id, path: full, reason: `folder nested more than ${maxDepth} levels below the dataset root: not searched (depth limit)` });
          continue;
        }
        seen.set(key, id);
        queue.push({ dir: full, id, depth: depth + 1 });
      } else if (imageName) {
        if (it.name.startsWith('.')) skipped.push({ id, path: full, reason: 'hidden file (name starts with a dot)' });
        else if (!type.isFile()) skipped.push({ id, path: full, reason: `${kindOf(type)}, not a regular file` });
        else entries.push({ id, path: full });
      } else if (!type.isFile() && !it.name.startsWith('.')) {
        skipped.push({ id, path: full, reason: `${kindOf(type)}, not a regular file` });
      }
    }
  }
  const byId = (a: { id: string }, b: { id: string }) => compareIds(a.id, b.id);
  return { entries: entries.sort(byId), skipped: skipped.sort(byId) };
}

/** Lists every image below `root` (recursively, following symlinks, each folder once), sorted by id. See `walkImages` for what is skipped. */
export function listImages(root: string): ImageEntry[] {
  return walkImages(root).entries;
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
    return { root, key: root, ...walkImages(root) };
  }
  if (Array.isArray(src)) {
    const files = src as readonly string[];
    if (files.length === 0) throw new FeatvisError('empty image list');
    const root = commonDir(files);
    const entries = toEntries(root, files);
    return { root, key: listKey(root, entries), entries, skipped: [] };
  }
  if (typeof src !== 'object' || src === null || typeof (src as { root?: unknown }).root !== 'string') {
    throw new FeatvisError('images must be a folder path, a list of image paths or { root, files?, limit? }');
  }
  const obj = src as { root: string; files?: readonly string[]; limit?: number };
  const root = path.resolve(obj.root);
  const walked = obj.files ? { entries: toEntries(root, obj.files), skipped: [] } : walkImages(root);
  let entries = walked.entries;
  const whole = !obj.files && (obj.limit === undefined || obj.limit >= entries.length);
  if (obj.limit !== undefined) {
    if (!Number.isInteger(obj.limit) || obj.limit < 1) throw new FeatvisError(`limit must be a positive integer, got ${obj.limit}`);
    entries = entries.slice(0, obj.limit);
  }
  return { root, key: whole ? root : listKey(root, entries), entries, skipped: walked.skipped };
}
