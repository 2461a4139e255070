/**
 * A minimal, defensive FlatBuffer reader (tables, scalars, strings, vectors).
 *
 * FlatBuffers are read in place: every field is reached through offsets stored
 * in the file, so a truncated or hostile file could point anywhere. Every read
 * here is bounds-checked and failures become a FeatvisError that names the
 * file and the byte position; nothing recurses on file data, so a malformed
 * file can neither hang the reader nor surface a raw RangeError.
 */
import { FeatvisError } from '../core/errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: false });

export class FlatBuffer {
  readonly bytes: Uint8Array;
  /** Label used in error messages (usually the file name). */
  readonly what: string;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, what: string) {
    this.bytes = bytes;
    this.what = what;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  fail(problem: string, pos?: number): FeatvisError {
    const at = pos === undefined ? '' : ` at byte ${pos}`;
    return new FeatvisError(`${this.what}: malformed FlatBuffer: ${problem}${at} (file is ${this.bytes.length} bytes; truncated or corrupt?)`);
  }

  /** Throws unless [pos, pos + size) lies inside the buffer. */
  check(pos: number, size: number, what: string): void {
    if (!Number.isSafeInteger(pos) || !Number.isSafeInteger(size) || pos < 0 || size < 0 || pos + size > this.bytes.length) {
      throw this.fail(`${what} (${size} bytes) runs past the end of the buffer`, pos);
    }
  }

  u8(pos: number): number {
    this.check(pos, 1, 'uint8');
    return this.view.getUint8(pos);
  }
  i8(pos: number): number {
    this.check(pos, 1, 'int8');
    return this.view.getInt8(pos);
  }
  u16(pos: number): number {
    this.check(pos, 2, 'uint16');
    return this.view.getUint16(pos, true);
  }
  i32(pos: number): number {
    this.check(pos, 4, 'int32');
    return this.view.getInt32(pos, true);
  }
  u32(pos: number): number {
    this.check(pos, 4, 'uint32');
    return this.view.getUint32(pos, true);
  }
  f32(pos: number): number {
    this.check(pos, 4, 'float32');
    return this.view.getFloat32(pos, true);
  }
  /** uint64 as a number; throws above 2^53. */
  u64(pos: number): number {
    this.check(pos, 8, 'uint64');
    const v = this.view.getBigUint64(pos, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`uint64 value ${v} is too large`, pos);
    return Number(v);
  }
  i64(pos: number): number {
    this.check(pos, 8, 'int64');
    const v = this.view.getBigInt64(pos, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(-Number.MAX_SAFE_INTEGER)) throw this.fail(`int64 value ${v} is out of range`, pos);
    return Number(v);
  }

  /** Follows the uoffset stored at `pos` (relative to `pos`). */
  deref(pos: number): number {
    const target = pos + this.u32(pos);
    this.check(target, 1, 'offset target');
    return target;
  }

  /** The 4-character file identifier (bytes 4–8), or '' when the file is too short. */
  identifier(): string {
    if (this.bytes.length < 8) return '';
    return String.fromCharCode(...this.bytes.subarray(4, 8));
  }

  root(): Table {
    if (this.bytes.length < 8) throw this.fail('file too short to hold a FlatBuffer header', 0);
    return new Table(this, this.deref(0), 'root');
  }
}

/** One table: a position and its vtable. Field accessors take the field index (declaration order in the schema). */
export class Table {
  readonly fb: FlatBuffer;
  readonly pos: number;
  /** Schema type name, for error messages. */
  readonly type: string;
  private readonly vtable: number;
  private readonly vtableSize: number;

  constructor(fb: FlatBuffer, pos: number, type: string) {
    this.fb = fb;
    this.pos = pos;
    this.type = type;
    const vt = pos - fb.i32(pos);
    fb.check(vt, 4, `${type} vtable header`);
    const size = fb.u16(vt);
    if (size < 4 || size % 2 !== 0) throw fb.fail(`${type} vtable has invalid size ${size}`, vt);
    fb.check(vt, size, `${type} vtable`);
    this.vtable = vt;
    this.vtableSize = size;
  }

  /** Absolute position of field `i`, or 0 when absent. */
  field(i: number): number {
    const slot = 4 + 2 * i;
    if (slot + 2 > this.vtableSize) return 0;
    const off = this.fb.u16(this.vtable + slot);
    return off === 0 ? 0 : this.pos + off;
  }

  has(i: number): boolean {
    return this.field(i) !== 0;
  }

  i8(i: number, dflt: number): number {
    const p = this.field(i);
    return p ? this.fb.i8(p) : dflt;
  }
  u8(i: number, dflt: number): number {
    const p = this.field(i);
    return p ? this.fb.u8(p) : dflt;
  }
  bool(i: number, dflt: boolean): boolean {
    const p = this.field(i);
    return p ? this.fb.u8(p) !== 0 : dflt;
  }
  i32(i: number, dflt: number): number {
    const p = this.field(i);
    return p ? this.fb.i32(p) : dflt;
  }
  u32(i: number, dflt: number): number {
    const p = this.field(i);
    return p ? this.fb.u32(p) : dflt;
  }
  f32(i: number, dflt: number): number {
    const p = this.field(i);
    return p ? this.fb.f32(p) : dflt;
  }
  u64(i: number, dflt: number): number {
    const p = this.field(i);
    return p ? this.fb.u64(p) : dflt;
  }

  table(i: number, type: string): Table | null {
    const p = this.field(i);
    return p ? new Table(this.fb, this.fb.deref(p), type) : null;
  }

  string(i: number): string | null {
    const p = this.field(i);
    if (!p) return null;
    const s = this.fb.deref(p);
    const n = this.fb.u32(s);
    this.fb.check(s + 4, n, `${this.type} string`);
    return utf8.decode(this.fb.bytes.subarray(s + 4, s + 4 + n));
  }

  /** Start (first element) and length of vector field `i`, checked for `elemSize`-byte elements; null when absent. */
  vector(i: number, elemSize: number): { start: number; length: number } | null {
    const p = this.field(i);
    if (!p) return null;
    const v = this.fb.deref(p);
    const length = this.fb.u32(v);
    this.fb.check(v + 4, length * elemSize, `${this.type} vector of ${length} elements`);
    return { start: v + 4, length };
  }

  tables(i: number, type: string): Table[] {
    const v = this.vector(i, 4);
    if (!v) return [];
    const out: Table[] = [];
    for (let k = 0; k < v.length; k++) out.push(new Table(this.fb, this.fb.deref(v.start + 4 * k), type));
    return out;
  }

  i32s(i: number): number[] {
    const v = this.vector(i, 4);
    if (!v) return [];
    const out: number[] = new Array<number>(v.length);
    for (let k = 0; k < v.length; k++) out[k] = this.fb.i32(v.start + 4 * k);
    return out;
  }

  f32s(i: number): number[] {
    const v = this.vector(i, 4);
    if (!v) return [];
    const out: number[] = new Array<number>(v.length);
    for (let k = 0; k < v.length; k++) out[k] = this.fb.f32(v.start + 4 * k);
    return out;
  }

  i64s(i: number): number[] {
    const v = this.vector(i, 8);
    if (!v) return [];
    const out: number[] = new Array<number>(v.length);
    for (let k = 0; k < v.length; k++) out[k] = this.fb.i64(v.start + 8 * k);
    return out;
  }

  /** A byte vector as a view into the file (no copy); null when absent. */
  bytes(i: number): Uint8Array | null {
    const v = this.vector(i, 1);
    return v ? this.fb.bytes.subarray(v.start, v.start + v.length) : null;
  }
}
