/**
 * BMP decoder (sharp/libvips has none): uncompressed 24- and 32-bit
 * BITMAPINFOHEADER files and later header versions, bottom-up or top-down.
 * Returns packed RGB bytes. Bounds-checked: a malformed file is a FeatvisError.
 */
import { FeatvisError } from '../core/errors.js';

export interface RawRgb {
  width: number;
  height: number;
  /** HWC RGB, 8-bit. */
  data: Uint8Array;
}

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length > 26 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

export function decodeBmp(bytes: Uint8Array): RawRgb {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isBmp(bytes) || bytes.length < 54) throw new FeatvisError('not a BMP file');
  const offset = v.getUint32(10, true);
  const headerSize = v.getUint32(14, true);
  if (headerSize < 40) throw new FeatvisError(`unsupported BMP header size ${headerSize}`);
  const width = v.getInt32(18, true);
  const rawHeight = v.getInt32(22, true);
  const bpp = v.getUint16(28, true);
  const compression = v.getUint32(30, true);
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0 || width > 1 << 15 || height > 1 << 15) throw new FeatvisError(`bad BMP size ${width}x${height}`);
  if (bpp !== 24 && bpp !== 32) throw new FeatvisError(`unsupported BMP bit depth ${bpp} (24 and 32 are supported)`);
  if (compression !== 0 && !(compression === 3 && bpp === 32)) throw new FeatvisError(`unsupported BMP compression ${compression}`);
  const bytesPerPixel = bpp / 8;
  const stride = Math.ceil((width * bytesPerPixel) / 4) * 4;
  if (offset + stride * height > bytes.length) throw new FeatvisError('truncated BMP file');
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const srcRow = rawHeight > 0 ? height - 1 - y : y;
    let s = offset + srcRow * stride;
    let d = y * width * 3;
    for (let x = 0; x < width; x++, s += bytesPerPixel, d += 3) {
      out[d] = bytes[s + 2]!;
      out[d + 1] = bytes[s + 1]!;
      out[d + 2] = bytes[s]!;
    }
  }
  return { width, height, data: out };
}
