/**
 * Imagenette as a decoded uint8 cache: every JPEG is decoded and resized once
 * (sharp, Lanczos) into one raw file of N×S×S×3 bytes plus a JSON index, so
 * training epochs never touch a JPEG again.
 *
 * Cache files live in `<cacheDir>/imagenette-<split>-<size>.{bin,json}` and are
 * written atomically (temp file + rename); a half-written cache is never read.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { FeatvisError } from '../core/errors.js';
import { cacheDir } from '../io/cache.js';

export interface ImagenetteClass {
  wnid: string;
  /** Human-readable name (the model's label). */
  name: string;
  /** Index in the 1001-class ImageNet labels (0 = background) of TF-slim / Coral models. */
  imagenet1001: number;
}

/** The 10 Imagenette classes, in label order (sorted by wnid). */
export const IMAGENETTE_CLASSES: readonly ImagenetteClass[] = [
  { wnid: 'n01440764', name: 'tench', imagenet1001: 1 },
  { wnid: 'n02102040', name: 'English springer', imagenet1001: 218 },
  { wnid: 'n02979186', name: 'cassette player', imagenet1001: 483 },
  { wnid: 'n03000684', name: 'chain saw', imagenet1001: 492 },
  { wnid: 'n03028079', name: 'church', imagenet1001: 498 },
  { wnid: 'n03394916', name: 'French horn', imagenet1001: 567 },
  { wnid: 'n03417042', name: 'garbage truck', imagenet1001: 570 },
  { wnid: 'n03425413', name: 'gas pump', imagenet1001: 572 },
  { wnid: 'n03445777', name: 'golf ball', imagenet1001: 575 },
  { wnid: 'n03888257', name: 'parachute', imagenet1001: 702 },
];

export type Split = 'train' | 'val';

export interface SplitListing {
  /** Absolute paths, sorted by class then file name. */
  files: string[];
  labels: Uint8Array;
}

const IMAGE_EXT = /\.(jpe?g|png|webp)$/i;

/** Lists `<root>/<split>/<wnid>/*` for the 10 classes, in a fixed order. */
export function listSplit(root: string, split: Split): SplitListing {
  const dir = path.join(root, split);
  if (!fs.existsSync(dir)) {
    throw new FeatvisError(`Imagenette ${split} split not found at ${dir} (expected <root>/${split}/<wnid>/*.JPEG; pass --data <root>)`);
  }
  const files: string[] = [];
  const labels: number[] = [];
  IMAGENETTE_CLASSES.forEach((c, label) => {
    const cdir = path.join(dir, c.wnid);
    if (!fs.existsSync(cdir)) throw new FeatvisError(`Imagenette class folder missing: ${cdir}`);
    const names = fs.readdirSync(cdir).filter((f) => IMAGE_EXT.test(f)).sort();
    for (const n of names) {
      files.push(path.join(cdir, n));
      labels.push(label);
    }
  });
  if (files.length === 0) throw new FeatvisError(`no images found under ${dir}`);
  return { files, labels: Uint8Array.from(labels) };
}

export interface ImageCache {
  split: Split;
  /** Side of the square images. */
  size: number;
  count: number;
  /** count × size × size × 3 RGB bytes, HWC per image. */
  pixels: Uint8Array;
  labels: Uint8Array;
  /** Source file names relative to the data root, for reports. */
  files: string[];
}

interface CacheIndex {
  format: 'featvis-image-cache';
  version: 1;
  split: Split;
  size: number;
  count: number;
  labels: number[];
  files: string[];
}

export function defaultTrainCacheDir(): string {
  return cacheDir('train-cache');
}

function cacheStem(dir: string, split: Split, size: number): string {
  return path.join(dir, `imagenette-${split}-${size}`);
}

/** Decodes one image file to size×size RGB bytes (resize shorter side, centre crop). */
export async function decodeSquare(file: string, size: number): Promise<Buffer> {
  const { data, info } = await sharp(fs.readFileSync(file), { failOn: 'error' })
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .resize({ width: size, height: size, fit: 'cover', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== size || info.height !== size) {
    throw new FeatvisError(`${file}: decoded to ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x3`);
  }
  return data;
}

export interface CacheOptions {
  root: string;
  split: Split;
  size: number;
  dir?: string;
  /** Called every few hundred images while building. */
  onProgress?: (done: number, total: number) => void;
}

/** Loads the cache for (split, size), building it first when missing or stale. */
export async function ensureImageCache(opts: CacheOptions): Promise<ImageCache> {
  const dir = opts.dir ?? defaultTrainCacheDir();
  const stem = cacheStem(dir, opts.split, opts.size);
  const listing = listSplit(opts.root, opts.split);
  const rel = listing.files.map((f) => path.relative(opts.root, f));
  const existing = readCache(stem, opts.size);
  if (existing && existing.count === rel.length && existing.files.every((f, i) => f === rel[i])) return existing;

  const bytesPer = opts.size * opts.size * 3;
  const pixels = new Uint8Array(rel.length * bytesPer);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= listing.files.length) return;
      pixels.set(await decodeSquare(listing.files[i]!, opts.size), i * bytesPer);
      done++;
      if (opts.onProgress && (done % 500 === 0 || done === listing.files.length)) opts.onProgress(done, listing.files.length);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  const index: CacheIndex = {
    format: 'featvis-image-cache',
    version: 1,
    split: opts.split,
    size: opts.size,
    count: rel.length,
    labels: Array.from(listing.labels),
    files: rel,
  };
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${stem}.bin.tmp-${process.pid}`;
  fs.writeFileSync(tmp, pixels);
  fs.renameSync(tmp, `${stem}.bin`);
  const tmpJ = `${stem}.json.tmp-${process.pid}`;
  fs.writeFileSync(tmpJ, JSON.stringify(index));
  fs.renameSync(tmpJ, `${stem}.json`);
  return { split: opts.split, size: opts.size, count: rel.length, pixels, labels: listing.labels, files: rel };
}

function readCache(stem: string, size: number): ImageCache | null {
  if (!fs.existsSync(`${stem}.json`) || !fs.existsSync(`${stem}.bin`)) return null;
  let index: CacheIndex;
  try {
    index = JSON.parse(fs.readFileSync(`${stem}.json`, 'utf8')) as CacheIndex;
  } catch {
    return null;
  }
  if (index.format !== 'featvis-image-cache' || index.version !== 1 || index.size !== size) return null;
  const expected = index.count * size * size * 3;
  if (fs.statSync(`${stem}.bin`).size !== expected || index.labels.length !== index.count) return null;
  const buf = fs.readFileSync(`${stem}.bin`);
  return {
    split: index.split,
    size,
    count: index.count,
    pixels: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength),
    labels: Uint8Array.from(index.labels),
    files: index.files,
  };
}

/** Every `step`-th index of 0..count-1 (a fixed, class-balanced-ish subset of a sorted split). */
export function strideSubset(count: number, n: number): number[] {
  const step = count / n;
  return Array.from({ length: n }, (_, i) => Math.floor(i * step));
}
