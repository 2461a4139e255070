/**
 * Read-only HDF5 access for weight files (Keras `.h5`), behind a small typed
 * wrapper around the pure-JS `jsfive` parser. The file is untrusted input: it
 * is only parsed (never executed), its size is bounded, every dataset extent is
 * checked against the file length before it is read, and every parser failure
 * (jsfive throws plain strings) becomes a FeatvisError naming the file.
 *
 * Contiguous little-endian float datasets (what Keras and h5py write) are read
 * straight from the file bytes; chunked / filtered ones go through jsfive.
 */
import { createRequire } from 'node:module';
import { FeatvisError, oneLine } from '../core/errors.js';
import { installJsfiveGuards } from './jsfiveGuards.js';
import { readRegularFile } from './readFile.js';

/** Largest file `openHdf5` reads unless told otherwise (weight files are ≤ ~600 MB). */
export const DEFAULT_MAX_HDF5_BYTES = 2 * 1024 ** 3;
/** Largest dataset (elements) `readFloat32` materialises. */
export const MAX_DATASET_ELEMENTS = 1 << 28;

/** Chunked datasets above this size must not decode to more than MAX_CHUNKED_RATIO times the file size. */
const CHUNKED_FREE_BYTES = 16 * 2 ** 20;
const MAX_CHUNKED_RATIO = 200;

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const DATA_STORAGE_MSG = 0x0008;

// ---- the part of jsfive we use, as narrow structural types ------------------

interface JsfiveNode {
  name: string;
  attrs: Record<string, unknown>;
}
interface JsfiveGroup extends JsfiveNode {
  keys: string[];
  get(path: string): unknown;
}
interface JsfiveDataObjects {
  find_msg_type(type: number): Array<Map<string, unknown>>;
  _get_data_message_properties(offset: number): [number, number, number, number];
  filter_pipeline?: unknown;
}
interface JsfiveDataset extends JsfiveNode {
  shape: unknown;
  dtype: unknown;
  value: unknown;
  _dataobjects?: JsfiveDataObjects;
}
interface JsfiveModule {
  File: new (buffer: ArrayBuffer, filename: string) => JsfiveGroup;
  Group: abstract new (...args: never[]) => JsfiveGroup;
  Dataset: abstract new (...args: never[]) => JsfiveDataset;
}

let jsfiveModule: JsfiveModule | null = null;
function jsfive(): JsfiveModule {
  if (!jsfiveModule) {
    // jsfive ships no types; createRequire keeps this file free of top-level await.
    const m = createRequire(import.meta.url)('jsfive') as JsfiveModule;
    installJsfiveGuards(m.File);
    jsfiveModule = m;
  }
  return jsfiveModule;
}

// ---- errors -----------------------------------------------------------------

function message(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : String(err);
}

interface Ctx {
  label: string;
  bytes: Uint8Array;
  buffer: ArrayBuffer;
}

/** Runs a jsfive call, turning whatever it throws into a FeatvisError. */
function guard<T>(ctx: Ctx, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FeatvisError) throw err;
    throw new FeatvisError(`${ctx.label}: cannot read ${oneLine(what, 200)} (${oneLine(message(err), 200)}); the HDF5 file is corrupt, truncated or uses an unsupported feature`);
  }
}

// ---- public API ---------------------------------------------------------------

export interface Hdf5OpenOptions {
  /** Refuse files larger than this (default 2 GiB). */
  maxBytes?: number;
}

export type Hdf5Node = Hdf5Group | Hdf5Dataset;

/** Opens an HDF5 file (read-only, whole file in memory). */
export function openHdf5(file: string, opts: Hdf5OpenOptions = {}): Hdf5Group {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_HDF5_BYTES;
  return openHdf5Bytes(readRegularFile(file, { what: 'HDF5 file', maxBytes }), file);
}

/** Parses HDF5 bytes; `label` names the source in error messages. */
export function openHdf5Bytes(bytes: Uint8Array, label: string): Hdf5Group {
  if (bytes.length < 64 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new FeatvisError(`${label} is not an HDF5 file (no HDF5 signature at its start; ${bytes.length} bytes)`);
  }
  // jsfive wants an ArrayBuffer holding exactly the file.
  // (Small Node Buffers are views into a shared pool: copy those out.)
  let buffer: ArrayBuffer;
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    buffer = bytes.buffer;
  } else {
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    buffer = copy.buffer;
  }
  const ctx: Ctx = { label, bytes: new Uint8Array(buffer), buffer };
  checkSuperblock(ctx);
  const root = guard(ctx, 'the HDF5 superblock / root group', () => new (jsfive().File)(buffer, label));
  return new Hdf5Group(ctx, root, '/');
}

/** Catches truncation early: the superblock records the file's end address. */
function checkSuperblock(ctx: Ctx): void {
  const view = new DataView(ctx.buffer);
  const version = ctx.bytes[8]!;
  let eofOffset: number;
  if (version === 0) {
    if (ctx.bytes[13] !== 8 || ctx.bytes[14] !== 8) throw new FeatvisError(`${ctx.label}: HDF5 file uses non-64-bit addressing (unsupported)`);
    eofOffset = 40;
  } else if (version === 2 || version === 3) {
    if (ctx.bytes[9] !== 8 || ctx.bytes[10] !== 8) throw new FeatvisError(`${ctx.label}: HDF5 file uses non-64-bit addressing (unsupported)`);
    eofOffset = 28;
  } else {
    throw new FeatvisError(`${ctx.label}: HDF5 superblock version ${version} is not supported (supported: 0, 2, 3)`);
  }
  const eof = view.getBigUint64(eofOffset, true);
  if (eof > BigInt(ctx.bytes.length)) {
    throw new FeatvisError(`${ctx.label} is truncated: the HDF5 header says the file is ${eof} bytes long but it has ${ctx.bytes.length}`);
  }
}

export class Hdf5Group {
  readonly kind = 'group';
  private readonly children = new Map<string, Hdf5Node | null>();
  private keyCache: string[] | null = null;
  /** @internal */
  constructor(
    private readonly ctx: Ctx,
    private readonly raw: JsfiveGroup,
    /** Absolute path inside the file. */
    readonly path: string,
  ) {}

  /** The file (or source) this group came from, for messages. */
  get fileLabel(): string {
    return this.ctx.label;
  }

  /** Child names (groups, datasets and links). */
  keys(): string[] {
    this.keyCache ??= guard(this.ctx, `the members of group ${this.path}`, () => {
      const k = this.raw.keys;
      return Array.isArray(k) ? k.filter((x): x is string => typeof x === 'string') : [];
    });
    return this.keyCache.slice();
  }

  /** The child at `relPath` (relative, may contain `/`), or null when absent. */
  get(relPath: string): Hdf5Node | null {
    const parts = relPath.split('/').filter((p) => p.length > 0 && p !== '.');
    if (parts.length === 0) return this;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let g: Hdf5Group = this;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = g.child(parts[i]!);
      if (!(next instanceof Hdf5Group)) return null;
      g = next;
    }
    return g.child(parts[parts.length - 1]!);
  }

  private child(name: string): Hdf5Node | null {
    const cached = this.children.get(name);
    if (cached !== undefined) return cached;
    let node: Hdf5Node | null = null;
    if (this.keys().includes(name)) {
      const full = joinPath(this.path, name);
      const obj = guard(this.ctx, full, () => this.raw.get(name));
      const js = jsfive();
      if (obj instanceof js.Dataset) node = new Hdf5Dataset(this.ctx, obj, full);
      else if (obj instanceof js.Group) node = new Hdf5Group(this.ctx, obj, full);
    }
    this.children.set(name, node);
    return node;
  }

  group(relPath: string): Hdf5Group {
    const n = this.get(relPath);
    if (n instanceof Hdf5Group) return n;
    throw new FeatvisError(`${this.ctx.label}: HDF5 group ${oneLine(joinPath(this.path, relPath), 200)} ${n ? 'is a dataset' : 'does not exist'}`);
  }

  dataset(relPath: string): Hdf5Dataset {
    const n = this.get(relPath);
    if (n instanceof Hdf5Dataset) return n;
    throw new FeatvisError(`${this.ctx.label}: HDF5 dataset ${oneLine(joinPath(this.path, relPath), 200)} ${n ? 'is a group' : 'does not exist'}`);
  }

  attrs(): Record<string, unknown> {
    return guard(this.ctx, `the attributes of ${this.path}`, () => ({ ...this.raw.attrs }));
  }

  /**
   * A string-list attribute (numpy `S` arrays, variable-length strings, a
   * single string), or null when absent. An empty attribute (Keras writes
   * `[]`, stored as an empty float array) gives [].
   */
  stringListAttr(name: string): string[] | null {
    const attrs = this.attrs();
    if (!Object.prototype.hasOwnProperty.call(attrs, name)) return null;
    return toStringList(attrs[name], () => new FeatvisError(`${this.ctx.label}: attribute ${name} of ${oneLine(this.path, 200)} is not a list of strings`));
  }
}

export class Hdf5Dataset {
  readonly kind = 'dataset';
  /** @internal */
  constructor(
    private readonly ctx: Ctx,
    private readonly raw: JsfiveDataset,
    readonly path: string,
  ) {}

  get shape(): number[] {
    const s = guard(this.ctx, `the shape of ${this.path}`, () => this.raw.shape);
    if (!Array.isArray(s) || !s.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
      throw new FeatvisError(`${this.ctx.label}: dataset ${oneLine(this.path, 200)} has an invalid shape`);
    }
    return s as number[];
  }

  /** numpy-style dtype string, e.g. `<f4`; compound / vlen types give a description. */
  get dtype(): string {
    const d = guard(this.ctx, `the type of ${this.path}`, () => this.raw.dtype);
    if (typeof d === 'string') return oneLine(d, 100);
    let shown: string;
    try {
      shown = JSON.stringify(d) ?? String(d);
    } catch {
      shown = typeof d;
    }
    return `unsupported(${oneLine(shown, 100)})`;
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** The data as float32 (float16/32/64 datasets), row-major. */
  readFloat32(): Float32Array {
    const shape = this.shape;
    const n = shape.reduce((a, b) => a * b, 1);
    if (n > MAX_DATASET_ELEMENTS) throw new FeatvisError(`${this.ctx.label}: dataset ${oneLine(this.path, 200)} has ${n} elements, more than the ${MAX_DATASET_ELEMENTS} limit`);
    const m = /^([<>=|]?)f([248])$/.exec(this.dtype);
    if (!m) throw new FeatvisError(`${this.ctx.label}: dataset ${oneLine(this.path, 200)} has type ${this.dtype}; expected floating point weights`);
    const bigEndian = m[1] === '>';
    const itemSize = Number(m[2]);
    const offset = this.contiguousOffset();
    if (offset !== null) {
      if (offset + n * itemSize > this.ctx.bytes.length) {
        throw new FeatvisError(
          `${this.ctx.label} is truncated: dataset ${this.path} needs bytes ${offset}–${offset + n * itemSize} but the file has ${this.ctx.bytes.length}`,
        );
      }
      return decodeFloats(this.ctx.buffer, offset, n, itemSize, bigEndian);
    }
    // Chunked / filtered data is decoded by jsfive into a JS array: refuse sizes the file cannot plausibly hold.
    if (n * itemSize > CHUNKED_FREE_BYTES && n * itemSize > MAX_CHUNKED_RATIO * this.ctx.bytes.length) {
      throw new FeatvisError(`${this.ctx.label}: chunked dataset ${oneLine(this.path, 200)} would decode to ${n * itemSize} bytes from a ${this.ctx.bytes.length}-byte file (ratio above ${MAX_CHUNKED_RATIO}:1)`);
    }
    const v = guard(this.ctx, `dataset ${this.path}`, () => this.raw.value);
    if (!isNumberArray(v) || v.length !== n) {
      throw new FeatvisError(`${this.ctx.label}: dataset ${oneLine(this.path, 200)} decoded to ${Array.isArray(v) ? v.length : 'no'} values, expected ${n}`);
    }
    return Float32Array.from(v);
  }

  /** File offset of a contiguous dataset's data, or null when it is chunked (or not recognised). */
  private contiguousOffset(): number | null {
    const dobj = this.raw._dataobjects;
    if (!dobj || typeof dobj.find_msg_type !== 'function' || typeof dobj._get_data_message_properties !== 'function') return null;
    return guard(this.ctx, `the storage layout of ${this.path}`, () => {
      const msg = dobj.find_msg_type(DATA_STORAGE_MSG)[0];
      const msgOffset = msg?.get('offset_to_message');
      if (typeof msgOffset !== 'number') return null;
      const [, , layoutClass, propertyOffset] = dobj._get_data_message_properties(msgOffset);
      if (layoutClass !== 1) return null;
      if (propertyOffset + 8 > this.ctx.bytes.length) throw new Error('layout message beyond end of file');
      const addr = new DataView(this.ctx.buffer).getBigUint64(propertyOffset, true);
      if (addr === 0xffffffffffffffffn) throw new FeatvisError(`${this.ctx.label}: dataset ${oneLine(this.path, 200)} has no data stored`);
      if (addr > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('data address out of range');
      return Number(addr);
    });
  }
}

function decodeFloats(buffer: ArrayBuffer, offset: number, n: number, itemSize: number, bigEndian: boolean): Float32Array {
  if (itemSize === 4 && !bigEndian) {
    // Copy out (also fixes alignment) so the file buffer can be collected.
    return new Float32Array(buffer.slice(offset, offset + 4 * n));
  }
  const view = new DataView(buffer, offset, n * itemSize);
  const out = new Float32Array(n);
  const le = !bigEndian;
  if (itemSize === 8) for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, le);
  else if (itemSize === 4) for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, le);
  else for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, le));
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number');
}

function toStringList(v: unknown, fail: () => FeatvisError): string[] {
  const one = (x: unknown): string => {
    if (typeof x === 'string') return x.replace(/\0+$/, '');
    if (x instanceof Uint8Array) return new TextDecoder().decode(x).replace(/\0+$/, '');
    if (x instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(x)).replace(/\0+$/, '');
    throw fail();
  };
  if (typeof v === 'string' || v instanceof Uint8Array || v instanceof ArrayBuffer) return [one(v)];
  if (Array.isArray(v)) {
    // Keras writes an empty list as an empty float64 array.
    if (v.length === 0) return [];
    return v.map(one);
  }
  if (ArrayBuffer.isView(v) && (v as { length?: number }).length === 0) return [];
  throw fail();
}

function joinPath(base: string, rel: string): string {
  if (rel.startsWith('/')) return rel;
  return `${base.replace(/\/+$/, '')}/${rel}`.replace(/\/+/g, '/');
}
