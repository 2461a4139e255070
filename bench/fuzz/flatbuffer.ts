/**
 * A minimal FlatBuffer writer for fuzz seeds (a small TFLite model), laid out
 * front to back: every child is written after the table or vector that
 * points to it, so all uoffsets point forward as the format requires.
 */

export type Scalar = { t: 'u8' | 'i8' | 'bool' | 'i32' | 'u32' | 'f32' | 'u64'; v: number };
export type FbNode = FbTable | FbString | FbVector | FbTableVector;
export interface FbTable { kind: 'table'; fields: Array<Scalar | FbNode | undefined> }
export interface FbString { kind: 'string'; value: string }
export interface FbVector { kind: 'vector'; elem: 'u8' | 'i32' | 'f32' | 'i64'; values: ArrayLike<number> }
export interface FbTableVector { kind: 'tables'; items: FbTable[] }

export const table = (...fields: Array<Scalar | FbNode | undefined>): FbTable => ({ kind: 'table', fields });
export const str = (value: string): FbString => ({ kind: 'string', value });
export const vec = (elem: FbVector['elem'], values: ArrayLike<number>): FbVector => ({ kind: 'vector', elem, values });
export const tables = (items: FbTable[]): FbTableVector => ({ kind: 'tables', items });
export const u8 = (v: number): Scalar => ({ t: 'u8', v });
export const i8 = (v: number): Scalar => ({ t: 'i8', v });
export const i32 = (v: number): Scalar => ({ t: 'i32', v });
export const u32 = (v: number): Scalar => ({ t: 'u32', v });
export const f32 = (v: number): Scalar => ({ t: 'f32', v });
export const u64 = (v: number): Scalar => ({ t: 'u64', v });
export const bool = (v: boolean): Scalar => ({ t: 'bool', v: v ? 1 : 0 });

const SIZE: Record<Scalar['t'], number> = { u8: 1, i8: 1, bool: 1, i32: 4, u32: 4, f32: 4, u64: 8 };
const ELEM: Record<FbVector['elem'], number> = { u8: 1, i32: 4, f32: 4, i64: 8 };

class Writer {
  buf = Buffer.alloc(1 << 16);
  len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  pad(align: number, after = 0): void {
    while ((this.len + after) % align !== 0) this.bytes([0]);
  }
  bytes(b: ArrayLike<number>): number {
    this.ensure(b.length);
    const at = this.len;
    for (let i = 0; i < b.length; i++) this.buf[at + i] = b[i]!;
    this.len += b.length;
    return at;
  }
  reserve(n: number): number {
    this.ensure(n);
    const at = this.len;
    this.len += n;
    return at;
  }
}

function isScalar(f: Scalar | FbNode): f is Scalar {
  return 't' in f;
}

function writeScalar(w: Writer, at: number, s: Scalar): void {
  switch (s.t) {
    case 'u8':
    case 'bool': w.buf.writeUInt8(s.v, at); break;
    case 'i8': w.buf.writeInt8(s.v, at); break;
    case 'i32': w.buf.writeInt32LE(s.v, at); break;
    case 'u32': w.buf.writeUInt32LE(s.v, at); break;
    case 'f32': w.buf.writeFloatLE(s.v, at); break;
    case 'u64': w.buf.writeBigUInt64LE(BigInt(s.v), at); break;
  }
}

/** Writes `node` at the current end; returns its position. */
function emit(w: Writer, node: FbNode): number {
  switch (node.kind) {
    case 'string': {
      const b = Buffer.from(node.value, 'utf8');
      w.pad(4);
      const at = w.reserve(4);
      w.buf.writeUInt32LE(b.length, at);
      w.bytes(b);
      w.bytes([0]);
      return at;
    }
    case 'vector': {
      const size = ELEM[node.elem];
      w.pad(Math.max(4, size), 4);
      const at = w.reserve(4 + size * node.values.length);
      w.buf.writeUInt32LE(node.values.length, at);
      for (let i = 0; i < node.values.length; i++) {
        const p = at + 4 + i * size;
        const v = node.values[i]!;
        if (node.elem === 'u8') w.buf.writeUInt8(v, p);
        else if (node.elem === 'i32') w.buf.writeInt32LE(v, p);
        else if (node.elem === 'f32') w.buf.writeFloatLE(v, p);
        else w.buf.writeBigInt64LE(BigInt(v), p);
      }
      return at;
    }
    case 'tables': {
      w.pad(4);
      const at = w.reserve(4 + 4 * node.items.length);
      w.buf.writeUInt32LE(node.items.length, at);
      node.items.forEach((t, i) => {
        const slot = at + 4 + 4 * i;
        const child = emit(w, t);
        w.buf.writeUInt32LE(child - slot, slot);
      });
      return at;
    }
    case 'table': {
      // vtable, then the table: soffset, then the fields (8-byte ones first, aligned), then the children.
      const n = node.fields.length;
      const layout: Array<{ i: number; size: number }> = [];
      node.fields.forEach((f, i) => {
        if (f) layout.push({ i, size: isScalar(f) ? SIZE[f.t] : 4 });
      });
      layout.sort((a, b) => b.size - a.size);
      const offsets = new Array<number>(n).fill(0);
      let inline = 4;
      for (const l of layout) {
        inline = Math.ceil(inline / l.size) * l.size;
        offsets[l.i] = inline;
        inline += l.size;
      }
      w.pad(2);
      const vt = w.reserve(4 + 2 * n);
      w.buf.writeUInt16LE(4 + 2 * n, vt);
      w.buf.writeUInt16LE(inline, vt + 2);
      offsets.forEach((o, i) => w.buf.writeUInt16LE(o, vt + 4 + 2 * i));
      w.pad(8);
      const at = w.reserve(Math.ceil(inline / 8) * 8);
      w.buf.writeInt32LE(at - vt, at);
      const children: Array<{ slot: number; node: FbNode }> = [];
      node.fields.forEach((f, i) => {
        if (!f) return;
        if (isScalar(f)) writeScalar(w, at + offsets[i]!, f);
        else children.push({ slot: at + offsets[i]!, node: f });
      });
      for (const c of children) {
        const child = emit(w, c.node);
        w.buf.writeUInt32LE(child - c.slot, c.slot);
      }
      return at;
    }
  }
}

/** Serialises `root` with a 4-character file identifier; `tail` bytes are appended after the FlatBuffer. */
export function finish(root: FbTable, identifier: string, tail: Uint8Array = new Uint8Array(0)): { bytes: Buffer; tailOffset: number } {
  const w = new Writer();
  w.reserve(4);
  w.bytes(Buffer.from(identifier, 'latin1'));
  const at = emit(w, root);
  w.buf.writeUInt32LE(at, 0);
  w.pad(16);
  const tailOffset = w.bytes(tail);
  return { bytes: Buffer.from(w.buf.subarray(0, w.len)), tailOffset };
}
