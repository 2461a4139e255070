/**
 * A minimal, bounds-checked reader for zip archives held in memory: enough for
 * PyTorch's zip checkpoints (stored entries, 64-byte aligned, zip64 records for
 * large files) and ordinary deflate-compressed archives. Encrypted, multi-disk
 * and other compression methods are refused with a clear error.
 *
 * Inflation is bounded before it starts: an entry is refused when its declared
 * size exceeds what the caller expects (`maxBytes`), the archive's remaining
 * inflation budget, or a plausible compression ratio; and inflation stops at
 * the declared size, so a lying header cannot blow up either.
 */
import zlib from 'node:zlib';
import { FeatvisError, quoteName } from '../core/errors.js';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Offset of the local file header. */
  headerOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const MAX_ENTRIES = 1_000_000;

/** Total bytes one archive may inflate unless told otherwise. */
export const DEFAULT_MAX_INFLATED_BYTES = 2 ** 30;
/** Entries larger than this must not claim more than MAX_RATIO:1 compression (zip-bomb guard). */
const RATIO_FREE_BYTES = 64 * 2 ** 20;
const MAX_RATIO = 200;

export interface ZipReaderOptions {
  /** Most bytes all `read` calls together may inflate (default 1 GiB). Stored entries cost nothing. */
  maxInflatedBytes?: number;
}

export interface ZipReadOptions {
  /** Verify the CRC-32 (default true). */
  verify?: boolean;
  /** Refuse the entry, before reading it, if it declares more bytes than this. */
  maxBytes?: number;
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

export class ZipReader {
  private readonly view: DataView;
  private readonly byName = new Map<string, ZipEntry>();
  readonly entries: readonly ZipEntry[];
  readonly maxInflatedBytes: number;
  private inflated = 0;

  constructor(
    private readonly bytes: Uint8Array,
    /** File name for messages. */
    private readonly source = 'zip archive',
    opts: ZipReaderOptions = {},
  ) {
    this.maxInflatedBytes = opts.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.entries = this.readCentralDirectory();
    for (const e of this.entries) this.byName.set(e.name, e);
  }

  private fail(why: string): FeatvisError {
    return new FeatvisError(`${this.source}: corrupt or unsupported zip archive (${why})`);
  }

  private u16(off: number): number {
    if (off < 0 || off + 2 > this.bytes.length) throw this.fail(`read past the end at offset ${off}`);
    return this.view.getUint16(off, true);
  }

  private u32(off: number): number {
    if (off < 0 || off + 4 > this.bytes.length) throw this.fail(`read past the end at offset ${off}`);
    return this.view.getUint32(off, true);
  }

  private u64(off: number): number {
    if (off < 0 || off + 8 > this.bytes.length) throw this.fail(`read past the end at offset ${off}`);
    const v = this.view.getBigUint64(off, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`64-bit field too large at offset ${off}`);
    return Number(v);
  }

  private findEocd(): number {
    const min = Math.max(0, this.bytes.length - (22 + 0xffff));
    for (let off = this.bytes.length - 22; off >= min; off--) {
      if (this.view.getUint32(off, true) === SIG_EOCD) return off;
    }
    throw this.fail('end of central directory not found; the file is truncated or not a zip');
  }

  private readCentralDirectory(): ZipEntry[] {
    if (this.bytes.length < 22) throw this.fail(`file is only ${this.bytes.length} bytes; it is truncated or not a zip`);
    const eocd = this.findEocd();
    if (this.u16(eocd + 4) !== 0 || this.u16(eocd + 6) !== 0) throw this.fail('multi-disk archives are not supported');
    let count = this.u16(eocd + 10);
    let cdSize = this.u32(eocd + 12);
    let cdOffset = this.u32(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || this.u32(loc) !== SIG_EOCD64_LOCATOR) throw this.fail('zip64 locator missing');
      const rec = this.u64(loc + 8);
      if (this.u32(rec) !== SIG_EOCD64) throw this.fail('zip64 end of central directory missing');
      count = this.u64(rec + 32);
      cdSize = this.u64(rec + 40);
      cdOffset = this.u64(rec + 48);
    }
    if (count > MAX_ENTRIES) throw this.fail(`${count} entries is more than the limit of ${MAX_ENTRIES}`);
    if (cdOffset + cdSize > this.bytes.length) throw this.fail('central directory lies past the end of the file (truncated?)');
    const entries: ZipEntry[] = [];
    let off = cdOffset;
    const decoder = new TextDecoder('utf-8');
    for (let i = 0; i < count; i++) {
      if (this.u32(off) !== SIG_CENTRAL) throw this.fail(`bad central directory entry ${i}`);
      const flags = this.u16(off + 8);
      const method = this.u16(off + 10);
      const crc32 = this.u32(off + 16);
      let compressedSize = this.u32(off + 20);
      let size = this.u32(off + 24);
      const nameLen = this.u16(off + 28);
      const extraLen = this.u16(off + 30);
      const commentLen = this.u16(off + 32);
      let headerOffset = this.u32(off + 42);
      const nameStart = off + 46;
      const extraStart = nameStart + nameLen;
      const end = extraStart + extraLen + commentLen;
      if (end > this.bytes.length) throw this.fail(`central directory entry ${i} runs past the end`);
      const name = decoder.decode(this.bytes.subarray(nameStart, extraStart));
      if (flags & 1) throw this.fail(`entry ${quoteName(name)} is encrypted`);
      // zip64 extended information: only the fields whose 32-bit value is saturated are present.
      if (size === 0xffffffff || compressedSize === 0xffffffff || headerOffset === 0xffffffff) {
        let p = extraStart;
        let found = false;
        while (p + 4 <= extraStart + extraLen) {
          const id = this.u16(p);
          const len = this.u16(p + 2);
          if (p + 4 + len > extraStart + extraLen) throw this.fail(`bad extra field in ${quoteName(name)}`);
          if (id === 0x0001) {
            let q = p + 4;
            const take = (): number => {
              if (q + 8 > p + 4 + len) throw this.fail(`short zip64 field in ${quoteName(name)}`);
              const v = this.u64(q);
              q += 8;
              return v;
            };
            if (size === 0xffffffff) size = take();
            if (compressedSize === 0xffffffff) compressedSize = take();
            if (headerOffset === 0xffffffff) headerOffset = take();
            found = true;
            break;
          }
          p += 4 + len;
        }
        if (!found) throw this.fail(`zip64 sizes missing for ${quoteName(name)}`);
      }
      entries.push({ name, method, compressedSize, size, crc32, headerOffset });
      off = end;
    }
    return entries;
  }

  names(): string[] {
    return this.entries.map((e) => e.name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  entry(name: string): ZipEntry {
    const e = this.byName.get(name);
    if (!e) throw new FeatvisError(`${this.source}: the archive has no entry ${quoteName(name)}`);
    return e;
  }

  /** Bytes inflated so far by `read`. */
  get inflatedBytes(): number {
    return this.inflated;
  }

  /**
   * Throws, without reading anything, if `read(name, opts)` would be refused
   * for its declared size (see `read`).
   */
  checkReadable(name: string, opts: ZipReadOptions = {}): ZipEntry {
    const e = this.entry(name);
    if (opts.maxBytes !== undefined && e.size > opts.maxBytes) {
      throw this.fail(`entry ${quoteName(name)} declares ${e.size} bytes, more than the ${opts.maxBytes} expected`);
    }
    if (e.method === 8) {
      if (e.size > RATIO_FREE_BYTES && e.size > MAX_RATIO * e.compressedSize) {
        throw this.fail(`entry ${quoteName(name)} would inflate ${e.compressedSize} bytes to ${e.size}, a ratio above ${MAX_RATIO}:1; refusing a likely zip bomb`);
      }
      if (this.inflated + e.size > this.maxInflatedBytes) {
        throw this.fail(`inflating entry ${quoteName(name)} (${e.size} bytes) would take the archive past its limit of ${this.maxInflatedBytes} inflated bytes`);
      }
    }
    return e;
  }

  /**
   * The entry's bytes. Stored entries are returned as a view into the archive
   * (no copy); deflated ones are inflated with an output limit of their
   * declared size, after `checkReadable`'s checks. The CRC-32 is verified
   * unless `opts.verify` is false.
   */
  read(name: string, opts: ZipReadOptions = {}): Uint8Array {
    const e = this.checkReadable(name, opts);
    const h = e.headerOffset;
    if (this.u32(h) !== SIG_LOCAL) throw this.fail(`bad local header for ${quoteName(name)}`);
    const start = h + 30 + this.u16(h + 26) + this.u16(h + 28);
    const end = start + e.compressedSize;
    if (end > this.bytes.length) throw this.fail(`data of ${quoteName(name)} runs past the end of the file (truncated?)`);
    const raw = this.bytes.subarray(start, end);
    let out: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size) throw this.fail(`stored entry ${quoteName(name)} has inconsistent sizes`);
      out = raw;
    } else if (e.method === 8) {
      this.inflated += e.size;
      try {
        out = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
      } catch (err) {
        const why = (err as NodeJS.ErrnoException | null)?.code === 'ERR_BUFFER_TOO_LARGE' ? `it inflates to more than the ${e.size} bytes it declares` : err instanceof Error ? err.message : String(err);
        throw this.fail(`cannot inflate ${quoteName(name)}: ${why}`);
      }
      if (out.length !== e.size) throw this.fail(`${quoteName(name)} inflated to ${out.length} bytes, expected ${e.size}`);
    } else {
      throw this.fail(`entry ${quoteName(name)} uses compression method ${e.method} (only stored and deflate are supported)`);
    }
    if ((opts.verify ?? true) && (zlib.crc32(out) >>> 0) !== e.crc32) throw this.fail(`CRC mismatch in ${quoteName(name)}`);
    return out;
  }
}
