/**
 * A restricted Python unpickler for PyTorch state dicts.
 *
 * It interprets the pickle opcode stream as data only: nothing is ever imported
 * or executed. GLOBAL / STACK_GLOBAL may name only the handful of globals a
 * state dict needs (OrderedDict, the tensor-rebuild functions, the torch
 * storage types); REDUCE may "call" only the rebuild functions, which this file
 * re-implements as plain data constructors. Anything else is refused with a
 * FeatvisError that names the offending global or opcode. Every read is bounds
 * checked and the memo, stack and mark stack have size limits.
 */
import { FeatvisError, quoteName } from '../core/errors.js';

// ---------------------------------------------------------------- values

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export type DictKey = string | number | bigint | boolean | null;

export class PyDict {
  readonly map = new Map<DictKey, PyValue>();
  /** Attribute state set by BUILD (e.g. a state dict's `_metadata`); kept, never interpreted. */
  state: PyValue | undefined;
  constructor(readonly ordered = false) {}
}

/** A reference to an allow-listed global (a type marker or a rebuild function). */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

export type TorchDtype = 'float64' | 'float32' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** Storage type name (as in `torch.FloatStorage`) → dtype and element size in bytes. */
export const TORCH_STORAGE_TYPES: Readonly<Record<string, { dtype: TorchDtype; itemSize: number }>> = {
  DoubleStorage: { dtype: 'float64', itemSize: 8 },
  FloatStorage: { dtype: 'float32', itemSize: 4 },
  HalfStorage: { dtype: 'float16', itemSize: 2 },
  BFloat16Storage: { dtype: 'bfloat16', itemSize: 2 },
  LongStorage: { dtype: 'int64', itemSize: 8 },
  IntStorage: { dtype: 'int32', itemSize: 4 },
  ShortStorage: { dtype: 'int16', itemSize: 2 },
  CharStorage: { dtype: 'int8', itemSize: 1 },
  ByteStorage: { dtype: 'uint8', itemSize: 1 },
  BoolStorage: { dtype: 'bool', itemSize: 1 },
};

/** A storage named by a persistent id; its bytes are resolved by the container reader. */
export class TorchStorageRef {
  constructor(
    readonly dtype: TorchDtype,
    readonly itemSize: number,
    readonly key: string,
    readonly location: string,
    /** Number of elements in the storage. */
    readonly numel: number,
    /** Legacy storage views: an element offset into the root storage `key`. */
    readonly viewOffset = 0,
  ) {}
}

/** What `_rebuild_tensor(_v2)` would have built: a strided view of a storage. */
export class TorchTensorRef {
  constructor(
    readonly storage: TorchStorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
  get dtype(): TorchDtype {
    return this.storage.dtype;
  }
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PyGlobal
  | TorchStorageRef
  | TorchTensorRef;

// ---------------------------------------------------------------- allow-list

type Rebuild = (args: readonly PyValue[], ctx: string) => PyValue;

const REBUILDERS: Readonly<Record<string, Rebuild>> = {
  'collections.OrderedDict': (args, ctx) => {
    const d = new PyDict(true);
    if (args.length === 0) return d;
    if (args.length !== 1) throw new FeatvisError(`${ctx}: OrderedDict takes at most one argument`);
    const src = args[0]!;
    const pairs = Array.isArray(src) ? src : src instanceof PyTuple ? src.items : null;
    if (!pairs) throw new FeatvisError(`${ctx}: OrderedDict argument must be a list of pairs`);
    for (const p of pairs) {
      const kv = Array.isArray(p) ? p : p instanceof PyTuple ? p.items : null;
      if (!kv || kv.length !== 2) throw new FeatvisError(`${ctx}: OrderedDict items must be (key, value) pairs`);
      d.map.set(dictKey(kv[0]!, ctx), kv[1]!);
    }
    return d;
  },
  'torch._utils._rebuild_tensor': (args, ctx) => {
    if (args.length !== 4) throw new FeatvisError(`${ctx}: _rebuild_tensor expects 4 arguments, got ${args.length}`);
    return tensorRef(args, ctx);
  },
  'torch._utils._rebuild_tensor_v2': (args, ctx) => {
    if (args.length < 6 || args.length > 7) throw new FeatvisError(`${ctx}: _rebuild_tensor_v2 expects 6 or 7 arguments, got ${args.length}`);
    return tensorRef(args, ctx);
  },
  'torch._utils._rebuild_parameter': (args, ctx) => parameter(args, 3, ctx),
  'torch._utils._rebuild_parameter_with_state': (args, ctx) => parameter(args, 4, ctx),
  'torch._tensor._rebuild_from_type_v2': (args, ctx) => {
    // (func, new_type, args, state): only plain tensors / parameters rebuilt by an allowed function.
    if (args.length !== 4) throw new FeatvisError(`${ctx}: _rebuild_from_type_v2 expects 4 arguments`);
    const [fn, type, inner] = args;
    if (!(type instanceof PyGlobal) || !TENSOR_TYPES.has(type.qualname)) {
      throw new FeatvisError(`${ctx}: tensor subclass ${type instanceof PyGlobal ? type.qualname : typeof type} is not allowed`);
    }
    if (!(fn instanceof PyGlobal) || !TENSOR_REBUILDERS.has(fn.qualname)) {
      throw new FeatvisError(`${ctx}: rebuild function ${fn instanceof PyGlobal ? fn.qualname : typeof fn} is not allowed`);
    }
    if (!(inner instanceof PyTuple)) throw new FeatvisError(`${ctx}: _rebuild_from_type_v2 arguments must be a tuple`);
    return REBUILDERS[fn.qualname]!(inner.items, ctx);
  },
};

const TENSOR_REBUILDERS = new Set(['torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter']);
const TENSOR_TYPES = new Set(['torch.Tensor', 'torch.nn.parameter.Parameter']);

/** Globals that may appear as data (type markers) but may not be called. */
const MARKERS = new Set<string>([...TENSOR_TYPES, ...Object.keys(TORCH_STORAGE_TYPES).map((n) => `torch.${n}`)]);

/** Every global this unpickler accepts, for messages and tests. */
export const ALLOWED_GLOBALS: readonly string[] = [...Object.keys(REBUILDERS), ...MARKERS].sort();

function isInt(v: PyValue | undefined): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function intTuple(v: PyValue | undefined, what: string, ctx: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items || items.length > 64) throw new FeatvisError(`${ctx}: tensor ${what} must be a tuple of at most 64 integers`);
  return items.map((x) => {
    if (!isInt(x) || x < 0) throw new FeatvisError(`${ctx}: tensor ${what} has an invalid entry ${String(x)}`);
    return x;
  });
}

function tensorRef(args: readonly PyValue[], ctx: string): TorchTensorRef {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof TorchStorageRef)) throw new FeatvisError(`${ctx}: tensor storage is not a storage reference`);
  if (!isInt(offset) || offset < 0) throw new FeatvisError(`${ctx}: invalid tensor storage offset ${String(offset)}`);
  const shape = intTuple(size, 'size', ctx);
  const strides = intTuple(stride, 'stride', ctx);
  if (shape.length !== strides.length) throw new FeatvisError(`${ctx}: tensor size and stride have different ranks`);
  return new TorchTensorRef(storage, offset, shape, strides);
}

function parameter(args: readonly PyValue[], n: number, ctx: string): TorchTensorRef {
  if (args.length !== n) throw new FeatvisError(`${ctx}: parameter rebuild expects ${n} arguments, got ${args.length}`);
  const data = args[0];
  if (!(data instanceof TorchTensorRef)) throw new FeatvisError(`${ctx}: parameter data is not a tensor`);
  return data;
}

function dictKey(k: PyValue, ctx: string): DictKey {
  if (k === null || typeof k === 'string' || typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return k;
  throw new FeatvisError(`${ctx}: unsupported dictionary key type`);
}

function describeValue(v: PyValue | undefined): string {
  if (v instanceof PyGlobal) return v.qualname;
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof PyTuple) return 'a tuple';
  if (v instanceof PyDict) return 'a dict';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object') return v.constructor.name;
  return typeof v;
}

// ---------------------------------------------------------------- unpickler

export interface UnpickleOptions {
  /** Where to start reading. */
  offset?: number;
  /** File name for messages. */
  source?: string;
  /** Resolves BINPERSID ids (PyTorch storages). Without it persistent ids are an error. */
  persistentLoad?: (pid: PyValue) => PyValue;
  maxMemo?: number;
  maxStack?: number;
  maxMarks?: number;
}

export interface UnpickleResult {
  value: PyValue;
  /** Offset just past the STOP opcode. */
  end: number;
}

/** Reads one pickle from `bytes` (starting at `opts.offset`) up to and including its STOP opcode. */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions = {}): UnpickleResult {
  return new Unpickler(bytes, opts).run();
}

class Unpickler {
  private pos: number;
  private readonly view: DataView;
  private readonly source: string;
  private stack: PyValue[] = [];
  private readonly marks: PyValue[][] = [];
  private readonly memo = new Map<number, PyValue>();
  private readonly maxMemo: number;
  private readonly maxStack: number;
  private readonly maxMarks: number;
  private readonly utf8 = new TextDecoder('utf-8');
  private opStart = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly opts: UnpickleOptions,
  ) {
    this.pos = opts.offset ?? 0;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.source = opts.source ?? 'pickle';
    this.maxMemo = opts.maxMemo ?? 4_000_000;
    this.maxStack = opts.maxStack ?? 4_000_000;
    this.maxMarks = opts.maxMarks ?? 10_000;
  }

  private ctx(): string {
    return `${this.source}: pickle at byte ${this.opStart}`;
  }

  private fail(why: string): FeatvisError {
    return new FeatvisError(`${this.ctx()}: ${why}`);
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw new FeatvisError(`${this.source}: unexpected end of data at byte ${this.bytes.length} (the file is truncated or corrupt; a pickle opcode at byte ${this.opStart} needs ${n} more bytes)`);
    }
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }
  private u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  private u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  private i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  private u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(this.bytes.length)) throw this.fail(`length ${v} exceeds the data size`);
    return Number(v);
  }
  private take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  private line(): string {
    const max = Math.min(this.bytes.length, this.pos + 4096);
    for (let i = this.pos; i < max; i++) {
      if (this.bytes[i] === 0x0a) {
        const s = this.utf8.decode(this.bytes.subarray(this.pos, i));
        this.pos = i + 1;
        return s;
      }
    }
    throw this.fail('unterminated text line');
  }

  private push(v: PyValue): void {
    if (this.stack.length >= this.maxStack) throw this.fail(`stack larger than ${this.maxStack} items`);
    this.stack.push(v);
  }
  private pop(): PyValue {
    if (this.stack.length === 0) throw this.fail('stack underflow');
    return this.stack.pop()!;
  }
  private top(): PyValue {
    if (this.stack.length === 0) throw this.fail('stack underflow');
    return this.stack[this.stack.length - 1]!;
  }
  private popMark(): PyValue[] {
    const items = this.stack;
    const prev = this.marks.pop();
    if (!prev) throw this.fail('no MARK on the stack');
    this.stack = prev;
    return items;
  }
  private memoPut(i: number, v: PyValue): void {
    if (!Number.isSafeInteger(i) || i < 0) throw this.fail(`invalid memo index ${i}`);
    if (!this.memo.has(i) && this.memo.size >= this.maxMemo) throw this.fail(`memo larger than ${this.maxMemo} entries`);
    this.memo.set(i, v);
  }
  private memoGet(i: number): PyValue {
    const v = this.memo.get(i);
    if (v === undefined) throw this.fail(`memo index ${i} not defined`);
    return v;
  }

  private global(module: string, name: string): PyGlobal {
    const q = `${module}.${name}`;
    if (!(q in REBUILDERS) && !MARKERS.has(q)) {
      throw new FeatvisError(
        `${this.source}: refusing to load: the pickle references the forbidden global ${quoteName(q)} (byte ${this.opStart}). ` +
          `featvis only reads plain tensor state dicts and never runs code from weight files; allowed globals: ${ALLOWED_GLOBALS.join(', ')}.`,
      );
    }
    return new PyGlobal(module, name);
  }

  private long(bytes: Uint8Array): number | bigint {
    if (bytes.length === 0) return 0;
    let v = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
    if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(bytes.length * 8);
    return this.norm(v);
  }
  private norm(v: bigint): number | bigint {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  private setItems(target: PyValue, items: PyValue[]): void {
    if (!(target instanceof PyDict)) throw this.fail(`SETITEMS on ${describeValue(target)}`);
    if (items.length % 2) throw this.fail('odd number of items for SETITEMS');
    for (let i = 0; i < items.length; i += 2) target.map.set(dictKey(items[i]!, this.ctx()), items[i + 1]!);
  }

  run(): UnpickleResult {
    for (;;) {
      this.opStart = this.pos;
      const op = this.u8();
      switch (op) {
        case 0x80: { // PROTO
          const p = this.u8();
          if (p > 5) throw this.fail(`unsupported pickle protocol ${p}`);
          break;
        }
        case 0x95: // FRAME
          this.u64();
          break;
        case 0x2e: { // STOP
          const value = this.pop();
          return { value, end: this.pos };
        }
        case 0x28: // MARK
          if (this.marks.length >= this.maxMarks) throw this.fail(`more than ${this.maxMarks} nested MARKs`);
          this.marks.push(this.stack);
          this.stack = [];
          break;
        case 0x30: // POP
          if (this.stack.length === 0) this.popMark();
          else this.pop();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;
        // ---- numbers
        case 0x4a: this.push(this.i32()); break; // BININT
        case 0x4b: this.push(this.u8()); break; // BININT1
        case 0x4d: this.push(this.u16()); break; // BININT2
        case 0x8a: this.push(this.long(this.take(this.u8()))); break; // LONG1
        case 0x8b: { // LONG4
          const n = this.i32();
          if (n < 0 || n > 1024) throw this.fail(`LONG4 of ${n} bytes is beyond the limit`);
          this.push(this.long(this.take(n)));
          break;
        }
        case 0x49: { // INT (text)
          const s = this.line().trim();
          if (s === '00') this.push(false);
          else if (s === '01') this.push(true);
          else if (/^[-+]?\d{1,30}$/.test(s)) this.push(this.norm(BigInt(s)));
          else throw this.fail('bad INT literal');
          break;
        }
        case 0x4c: { // LONG (text)
          const s = this.line().trim().replace(/L$/, '');
          if (!/^[-+]?\d{1,300}$/.test(s)) throw this.fail('bad LONG literal');
          this.push(this.norm(BigInt(s)));
          break;
        }
        case 0x46: { // FLOAT (text)
          const v = Number(this.line().trim());
          if (Number.isNaN(v)) throw this.fail('bad FLOAT literal');
          this.push(v);
          break;
        }
        case 0x47: { // BINFLOAT (big-endian)
          this.need(8);
          this.push(this.view.getFloat64(this.pos, false));
          this.pos += 8;
          break;
        }
        case 0x4e: this.push(null); break; // NONE
        case 0x88: this.push(true); break; // NEWTRUE
        case 0x89: this.push(false); break; // NEWFALSE
        // ---- strings / bytes
        case 0x58: this.push(this.utf8.decode(this.take(this.u32()))); break; // BINUNICODE
        case 0x8c: this.push(this.utf8.decode(this.take(this.u8()))); break; // SHORT_BINUNICODE
        case 0x8d: this.push(this.utf8.decode(this.take(this.u64()))); break; // BINUNICODE8
        case 0x54: { // BINSTRING (py2 str; torch loads with encoding='utf-8')
          const n = this.i32();
          if (n < 0) throw this.fail('negative BINSTRING length');
          this.push(this.utf8.decode(this.take(n)));
          break;
        }
        case 0x55: this.push(this.utf8.decode(this.take(this.u8()))); break; // SHORT_BINSTRING
        case 0x42: this.push(this.take(this.u32())); break; // BINBYTES
        case 0x43: this.push(this.take(this.u8())); break; // SHORT_BINBYTES
        case 0x8e: this.push(this.take(this.u64())); break; // BINBYTES8
        // ---- containers
        case 0x29: this.push(new PyTuple([])); break; // EMPTY_TUPLE
        case 0x74: this.push(new PyTuple(this.popMark())); break; // TUPLE
        case 0x85: this.push(new PyTuple([this.pop()])); break; // TUPLE1
        case 0x86: { // TUPLE2
          const b = this.pop();
          const a = this.pop();
          this.push(new PyTuple([a, b]));
          break;
        }
        case 0x87: { // TUPLE3
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.push(new PyTuple([a, b, c]));
          break;
        }
        case 0x5d: this.push([]); break; // EMPTY_LIST
        case 0x6c: this.push(this.popMark()); break; // LIST
        case 0x61: { // APPEND
          const v = this.pop();
          const l = this.top();
          if (!Array.isArray(l)) throw this.fail(`APPEND to ${describeValue(l)}`);
          l.push(v);
          break;
        }
        case 0x65: { // APPENDS
          const items = this.popMark();
          const l = this.top();
          if (!Array.isArray(l)) throw this.fail(`APPENDS to ${describeValue(l)}`);
          for (const v of items) l.push(v);
          break;
        }
        case 0x7d: this.push(new PyDict()); break; // EMPTY_DICT
        case 0x64: { // DICT
          const d = new PyDict();
          this.setItems(d, this.popMark());
          this.push(d);
          break;
        }
        case 0x73: { // SETITEM
          const v = this.pop();
          const k = this.pop();
          this.setItems(this.top(), [k, v]);
          break;
        }
        case 0x75: { // SETITEMS
          const items = this.popMark();
          this.setItems(this.top(), items);
          break;
        }
        // ---- memo
        case 0x71: this.memoPut(this.u8(), this.top()); break; // BINPUT
        case 0x72: this.memoPut(this.u32(), this.top()); break; // LONG_BINPUT
        case 0x70: this.memoPut(Number(this.line()), this.top()); break; // PUT
        case 0x94: this.memoPut(this.memo.size, this.top()); break; // MEMOIZE
        case 0x68: this.push(this.memoGet(this.u8())); break; // BINGET
        case 0x6a: this.push(this.memoGet(this.u32())); break; // LONG_BINGET
        case 0x67: this.push(this.memoGet(Number(this.line()))); break; // GET
        // ---- globals and calls
        case 0x63: { // GLOBAL
          const module = this.line();
          const name = this.line();
          this.push(this.global(module, name));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') throw this.fail('STACK_GLOBAL needs two strings');
          this.push(this.global(module, name));
          break;
        }
        case 0x52: { // REDUCE
          const args = this.pop();
          const fn = this.pop();
          if (!(fn instanceof PyGlobal)) throw this.fail(`REDUCE target is ${describeValue(fn)}, not an allowed function`);
          const impl = REBUILDERS[fn.qualname];
          if (!impl) throw this.fail(`REDUCE target '${fn.qualname}' is not callable here (only ${Object.keys(REBUILDERS).join(', ')})`);
          if (!(args instanceof PyTuple)) throw this.fail(`REDUCE arguments for '${fn.qualname}' are not a tuple`);
          this.push(impl(args.items, `${this.ctx()} (${fn.qualname})`));
          break;
        }
        case 0x62: { // BUILD
          const state = this.pop();
          const obj = this.top();
          if (!(obj instanceof PyDict)) throw this.fail(`BUILD (setting object state) on ${describeValue(obj)} is not allowed`);
          obj.state = state;
          break;
        }
        case 0x51: { // BINPERSID
          const pid = this.pop();
          if (!this.opts.persistentLoad) throw this.fail('persistent ids are not supported here');
          this.push(this.opts.persistentLoad(pid));
          break;
        }
        case 0x81: // NEWOBJ
        case 0x92: { // NEWOBJ_EX
          if (op === 0x92) this.pop();
          this.pop();
          const cls = this.pop();
          throw this.fail(`creating objects of class '${describeValue(cls)}' (NEWOBJ) is not allowed`);
        }
        case 0x69: // INST
        case 0x6f: // OBJ
          throw this.fail(`opcode ${op === 0x69 ? 'INST' : 'OBJ'} (object construction) is not allowed`);
        default:
          throw this.fail(`unsupported or forbidden pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
  }
}
