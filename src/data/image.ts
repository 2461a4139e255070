/**
 * Image decoding and encoding (sharp). Everything in featvis that touches image
 * files goes through here: RGB, float32 in [0, 1], HWC.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { tf, type Tensor3D, type Tensor4D } from '../backend/tf.js';
import { decodeBmp, isBmp } from './bmp.js';
import { readRegularFile } from '../io/readFile.js';

/** Largest image file read (decoded size limits are sharp's). */
export const MAX_IMAGE_FILE_BYTES = 1024 * 2 ** 20;

export interface RgbImage {
  width: number;
  height: number;
  /** HWC RGB, float32 in [0, 1]. */
  data: Float32Array;
}

export type ResizeFit = 'cover' | 'fill' | 'contain';

/** An image as 8-bit RGB, HWC. */
export interface Rgb8Image {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes an image file (jpg, png, bmp, webp, gif, tiff) to 8-bit RGB, optionally resized (what readImage scales to [0,1]). */
export async function readImageRgb8(file: string, size?: [number, number], fit: ResizeFit = 'cover'): Promise<Rgb8Image> {
  const bytes = readRegularFile(file, { what: 'image', maxBytes: MAX_IMAGE_FILE_BYTES });
  if (bytes.length === 0) throw new Error(`${file}: empty file`);
  let img = isBmp(bytes)
    ? (() => {
        const raw = decodeBmp(bytes);
        return sharp(Buffer.from(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength), { raw: { width: raw.width, height: raw.height, channels: 3 } });
      })()
    : sharp(bytes, { failOn: 'error' }).rotate().removeAlpha().toColourspace('srgb');
  if (size) img = img.resize({ width: size[1], height: size[0], fit, kernel: 'lanczos3' });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${file}: expected 3 channels after decoding, got ${info.channels}`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** v / 255 in float32 for every byte value (the same numbers as dividing one by one). */
const UNIT = new Float32Array(256).map((_, v) => v / 255);

/** 8-bit values → float32 in [0,1] (x / 255). */
export function bytesToUnit(data: Uint8Array): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = UNIT[data[i]!]!;
  return out;
}

/** Decodes an image file (jpg, png, bmp, webp, gif, tiff) to RGB [0,1], optionally resized. */
export async function readImage(file: string, size?: [number, number], fit: ResizeFit = 'cover'): Promise<RgbImage> {
  const img = await readImageRgb8(file, size, fit);
  return { width: img.width, height: img.height, data: bytesToUnit(img.data) };
}

export function imageToTensor(img: RgbImage): Tensor3D {
  return tf.tensor3d(img.data, [img.height, img.width, 3]);
}

/** Reads several images into one NHWC batch of the given size. */
export async function readImageBatch(files: readonly string[], size: [number, number], fit: ResizeFit = 'cover'): Promise<Tensor4D> {
  const imgs = await Promise.all(files.map((f) => readImage(f, size, fit)));
  const [h, w] = size;
  const buf = new Float32Array(imgs.length * h * w * 3);
  imgs.forEach((im, i) => buf.set(im.data, i * h * w * 3));
  return tf.tensor4d(buf, [imgs.length, h, w, 3]);
}

/** Float [0,1] HWC (tensor or array) → 8-bit RGB bytes. */
export function toUint8(data: Float32Array | Uint8Array | number[]): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(Number(data[i]) * 255)));
  return out;
}

/** Encodes one HWC RGB image in [0,1] as PNG bytes. */
export async function encodePng(img: Tensor3D | RgbImage): Promise<Buffer> {
  const { data, height, width } =
    'data' in img && 'width' in img ? img : { data: await (img as Tensor3D).data(), height: (img as Tensor3D).shape[0], width: (img as Tensor3D).shape[1] };
  return sharp(Buffer.from(toUint8(data as Float32Array)), { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Writes a file atomically (temp file + rename), creating folders. */
export function writeFileAtomic(file: string, bytes: Buffer | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  fs.writeFileSync(tmp, bytes);
  fs.renameSync(tmp, file);
}

const TEMP_NAME = /\.tmp-(\d+)-\d+$/;

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files that writeFileAtomic leaves behind when its process is
 * killed mid-write (`<name>.tmp-<pid>-<ms>` of a process that no longer runs),
 * under `root`, `depth` folders deep. Resumable jobs call it on their own folder.
 * Returns how many it removed.
 */
export function removeStaleTemps(root: string, depth = 4): number {
  let removed = 0;
  const walk = (dir: string, left: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && left > 0) walk(p, left - 1);
      else if (e.isFile()) {
        const m = TEMP_NAME.exec(e.name);
        if (m && !processAlive(Number(m[1]))) {
          fs.rmSync(p, { force: true });
          removed++;
        }
      }
    }
  };
  walk(root, depth);
  return removed;
}

export async function savePng(file: string, img: Tensor3D | RgbImage): Promise<void> {
  writeFileAtomic(file, await encodePng(img));
}

/** Splits an NHWC batch into RgbImages (host copy). */
export async function batchToImages(batch: Tensor4D): Promise<RgbImage[]> {
  const [n, h, w] = batch.shape;
  const data = (await batch.data()) as Float32Array;
  return Array.from({ length: n }, (_, i) => ({ width: w, height: h, data: data.slice(i * h * w * 3, (i + 1) * h * w * 3) }));
}
