/**
 * Reads PyTorch checkpoints (`torch.save` of a state dict) without Python and
 * without executing anything: both the zip format (torch >= 1.6:
 * `<archive>/data.pkl` + `<archive>/data/<key>`) and the legacy format (magic
 * number, protocol, sys info, object, storage keys, then raw storages each
 * prefixed by its int64 element count). Tensors come back as Float32Array in
 * row-major order, whatever their dtype, strides or storage offset.
 */
import { FeatvisError, quoteName } from '../core/errors.js';
import { readRegularFile } from './readFile.js';
import {
  PyDict,
  PyGlobal,
  PyTuple,
  TORCH_STORAGE_TYPES,
  TorchStorageRef,
  TorchTensorRef,
  unpickle,
  type PyValue,
  type TorchDtype,
} from './pickle.js';
import { DEFAULT_MAX_INFLATED_BYTES, ZipReader, isZip } from './zip.js';

export type { TorchDtype } from './pickle.js';

export interface TorchTensor {
  shape: number[];
  /** dtype in the file; `data` is always float32. */
  dtype: TorchDtype;
  data: Float32Array;
}

export type TorchStateDict = Map<string, TorchTensor>;

export interface ParseTorchOptions {
  /**
   * Zip format: most bytes the storages may inflate, all together (default
   * 1 GiB). Checked against the sizes the tensor metadata declares before
   * anything is inflated. Stored (uncompressed) entries, what torch.save
   * writes, are read in place and do not count.
   */
  maxInflatedBytes?: number;
  /** Most tensor elements the state dict may hold, all tensors together (default 2^28, 1 GiB of float32). */
  maxElements?: number;
}

export interface ReadTorchOptions extends ParseTorchOptions {
  /** Refuse files larger than this many bytes (default 4 GiB). */
  maxBytes?: number;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
const MAX_TENSOR_ELEMENTS = 2 ** 31;
/** Default for ParseTorchOptions.maxElements. */
export const DEFAULT_MAX_ELEMENTS = 2 ** 28;
/** Largest data.pkl inflated (a state dict's pickle is kilobytes to a few megabytes). */
const MAX_PICKLE_BYTES = 256 * 2 ** 20;

/** Reads a `.pth` / `.pt` state dict from disk. */
export function readTorchStateDict(file: string, opts: ReadTorchOptions = {}): TorchStateDict {
  const bytes = readRegularFile(file, { what: 'PyTorch weights file', maxBytes: opts.maxBytes ?? 4 * 2 ** 30 });
  return parseTorchStateDict(bytes, file, opts);
}

/** Parses the bytes of a `torch.save`d state dict (zip or legacy format). */
export function parseTorchStateDict(bytes: Uint8Array, source = 'PyTorch checkpoint', opts: ParseTorchOptions = {}): TorchStateDict {
  const container = isZip(bytes) ? openZip(bytes, source, opts) : openLegacy(bytes, source);
  const tensors = stateDictTensors(container.root, source);
  checkElementBudget(tensors, source, opts.maxElements ?? DEFAULT_MAX_ELEMENTS);
  // Every storage's declared size is checked before any storage is inflated.
  container.precheck?.(storagesOf(tensors));
  const out: TorchStateDict = new Map();
  for (const [name, t] of tensors) out.set(name, materialize(t, container.storage(t.storage), source, name));
  return out;
}

type StorageBytes = (ref: TorchStorageRef) => Uint8Array;

interface Container {
  root: PyValue;
  storage: StorageBytes;
  /** Checks, before reading any, that the storages can be read within the limits. */
  precheck?: (storages: readonly TorchStorageRef[]) => void;
}

// ---------------------------------------------------------------- persistent ids

function storageFromPid(pid: PyValue, source: string, legacy: boolean): TorchStorageRef {
  if (!(pid instanceof PyTuple)) throw new FeatvisError(`${source}: persistent id is not a tuple`);
  const [tag, type, key, location, numel, view] = pid.items;
  if (tag === 'module') throw new FeatvisError(`${source}: the file contains a pickled nn.Module, not a state dict; save model.state_dict() instead`);
  if (tag !== 'storage') throw new FeatvisError(`${source}: unknown persistent id type ${quoteName(String(tag))}`);
  if (pid.items.length !== (legacy ? 6 : 5)) throw new FeatvisError(`${source}: storage persistent id has ${pid.items.length} fields`);
  if (!(type instanceof PyGlobal) || type.module !== 'torch' || !(type.name in TORCH_STORAGE_TYPES)) {
    throw new FeatvisError(`${source}: unsupported storage type ${type instanceof PyGlobal ? type.qualname : quoteName(String(type))}`);
  }
  if (typeof key !== 'string' || key.length === 0 || key.length > 256) throw new FeatvisError(`${source}: invalid storage key`);
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw new FeatvisError(`${source}: invalid storage size ${String(numel)}`);
  const { dtype, itemSize } = TORCH_STORAGE_TYPES[type.name]!;
  const loc = typeof location === 'string' ? location : 'cpu';
  if (legacy && view !== null && view !== undefined) {
    // (view_key, offset, view_size): a view into root storage `key`.
    if (!(view instanceof PyTuple) || view.items.length !== 3) throw new FeatvisError(`${source}: invalid storage view metadata`);
    const [, off, vsize] = view.items;
    if (typeof off !== 'number' || typeof vsize !== 'number' || !Number.isSafeInteger(off) || !Number.isSafeInteger(vsize) || off < 0 || vsize < 0 || off + vsize > numel) {
      throw new FeatvisError(`${source}: storage view out of range of storage ${quoteName(key)}`);
    }
    return new TorchStorageRef(dtype, itemSize, key, loc, numel, off);
  }
  return new TorchStorageRef(dtype, itemSize, key, loc, numel);
}

// ---------------------------------------------------------------- zip format

function openZip(bytes: Uint8Array, source: string, opts: ParseTorchOptions): Container {
  const zip = new ZipReader(bytes, source, { maxInflatedBytes: opts.maxInflatedBytes ?? DEFAULT_MAX_INFLATED_BYTES });
  const pkl = zip.names().find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new FeatvisError(`${source}: zip file without <archive>/data.pkl: not a PyTorch checkpoint`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  if (zip.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`, { maxBytes: 64 })).trim();
    if (order !== 'little') throw new FeatvisError(`${source}: byte order ${quoteName(order)} is not supported (only little-endian)`);
  }
  const seen = new Map<string, TorchStorageRef>();
  const { value } = unpickle(zip.read(pkl, { maxBytes: MAX_PICKLE_BYTES }), {
    source: `${source} (${pkl})`,
    persistentLoad: (pid) => {
      const ref = storageFromPid(pid, source, false);
      const prev = seen.get(ref.key);
      if (prev) return prev;
      seen.set(ref.key, ref);
      return ref;
    },
  });
  const cache = new Map<string, Uint8Array>();
  const entryName = (ref: TorchStorageRef): string => {
    const name = `${prefix}data/${ref.key}`;
    if (!zip.has(name)) throw new FeatvisError(`${source}: storage ${quoteName(ref.key)} is missing (${quoteName(name)}); the file is truncated or corrupt`);
    return name;
  };
  return {
    root: value,
    precheck: (storages) => {
      // The metadata says how many bytes each storage holds: an entry may not declare more,
      // a short one is reported as such, and the deflated ones must fit the inflation budget.
      let inflate = 0;
      for (const ref of storages) {
        const need = ref.numel * ref.itemSize;
        const e = zip.entry(entryName(ref));
        if (e.size > need) throw new FeatvisError(`${source}: storage ${quoteName(ref.key)} is stored as ${e.size} bytes but its metadata declares ${need}; the file is corrupt or hostile`);
        if (e.size < need) throw new FeatvisError(`${source}: storage ${quoteName(ref.key)} holds ${e.size} bytes, expected ${need}`);
        zip.checkReadable(entryName(ref), { maxBytes: need });
        if (e.method !== 0) inflate += e.size;
      }
      if (inflate > zip.maxInflatedBytes - zip.inflatedBytes) {
        throw new FeatvisError(`${source}: the compressed tensor data would inflate to ${inflate} bytes, more than the limit of ${zip.maxInflatedBytes} (option maxInflatedBytes)`);
      }
    },
    storage: (ref) => {
      let data = cache.get(ref.key);
      const need = ref.numel * ref.itemSize;
      if (!data) {
        data = zip.read(entryName(ref), { maxBytes: need });
        cache.set(ref.key, data);
      }
      if (data.length < need) throw new FeatvisError(`${source}: storage ${quoteName(ref.key)} holds ${data.length} bytes, expected ${need}`);
      return data.subarray(0, need);
    },
  };
}

// ---------------------------------------------------------------- legacy format

function openLegacy(bytes: Uint8Array, source: string): Container {
  if (bytes.length >= 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar') {
    throw new FeatvisError(`${source}: this is the pre-2017 tar checkpoint format, which featvis does not read; re-save it with a current torch`);
  }
  if (bytes.length === 0 || bytes[0] !== 0x80) {
    throw new FeatvisError(`${source}: not a PyTorch checkpoint (neither a zip archive nor a legacy pickle stream)`);
  }
  const magic = unpickle(bytes, { source });
  if (magic.value !== LEGACY_MAGIC) throw new FeatvisError(`${source}: not a PyTorch checkpoint (wrong magic number)`);
  const proto = unpickle(bytes, { source, offset: magic.end });
  if (proto.value !== LEGACY_PROTOCOL) throw new FeatvisError(`${source}: unsupported legacy protocol version ${String(proto.value)}`);
  const sys = unpickle(bytes, { source, offset: proto.end });
  if (sys.value instanceof PyDict && sys.value.map.get('little_endian') === false) {
    throw new FeatvisError(`${source}: big-endian checkpoints are not supported`);
  }
  const roots = new Map<string, TorchStorageRef>();
  const obj = unpickle(bytes, {
    source,
    offset: sys.end,
    persistentLoad: (pid) => {
      const ref = storageFromPid(pid, source, true);
      const root = roots.get(ref.key);
      if (root) {
        if (root.dtype !== ref.dtype || root.numel !== ref.numel) throw new FeatvisError(`${source}: storage ${quoteName(ref.key)} declared twice with different types`);
      } else {
        roots.set(ref.key, new TorchStorageRef(ref.dtype, ref.itemSize, ref.key, ref.location, ref.numel));
      }
      return ref;
    },
  });
  const keysPickle = unpickle(bytes, { source, offset: obj.end });
  const keys = keysPickle.value;
  if (!Array.isArray(keys) || !keys.every((k): k is string => typeof k === 'string')) {
    throw new FeatvisError(`${source}: storage key list is malformed`);
  }
  // Raw storages follow in list order, each as int64 element count + data.
  const data = new Map<string, Uint8Array>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = keysPickle.end;
  for (const key of keys) {
    const ref = roots.get(key);
    if (!ref) throw new FeatvisError(`${source}: storage ${quoteName(key)} is listed but never used`);
    if (off + 8 > bytes.length) throw truncated(source, key);
    const n = view.getBigInt64(off, true);
    if (n !== BigInt(ref.numel)) throw new FeatvisError(`${source}: storage ${quoteName(key)} has ${n} elements on disk, ${ref.numel} declared`);
    off += 8;
    const nbytes = ref.numel * ref.itemSize;
    if (off + nbytes > bytes.length) throw truncated(source, key);
    data.set(key, bytes.subarray(off, off + nbytes));
    off += nbytes;
  }
  return {
    root: obj.value,
    storage: (ref) => {
      const d = data.get(ref.key);
      if (!d) throw new FeatvisError(`${source}: storage ${quoteName(ref.key)} has no data in the file`);
      return d;
    },
  };
}

function truncated(source: string, key: string): FeatvisError {
  return new FeatvisError(`${source}: the file is truncated (storage ${quoteName(key)} ends past the end of the file)`);
}

// ---------------------------------------------------------------- tensors

/** The state dict's tensors (name → reference), in file order; nothing read yet. */
function stateDictTensors(root: PyValue, source: string): Array<[string, TorchTensorRef]> {
  if (!(root instanceof PyDict)) throw new FeatvisError(`${source}: the checkpoint is not a dict of tensors (a state dict)`);
  let dict = root;
  const hasTensor = (d: PyDict): boolean => [...d.map.values()].some((v) => v instanceof TorchTensorRef);
  if (!hasTensor(dict)) {
    // Training checkpoints often nest the weights: {'state_dict': {...}, 'epoch': …}.
    const nested = ['state_dict', 'model', 'model_state_dict', 'net'].map((k) => dict.map.get(k)).find((v): v is PyDict => v instanceof PyDict && hasTensor(v));
    if (!nested) throw new FeatvisError(`${source}: no tensors found in the checkpoint`);
    dict = nested;
  }
  const out: Array<[string, TorchTensorRef]> = [];
  for (const [k, v] of dict.map) {
    if (typeof k === 'string' && v instanceof TorchTensorRef) out.push([k, v]);
  }
  return out;
}

function elementCount(t: TorchTensorRef): number {
  return t.shape.reduce((a, d) => a * d, 1);
}

/** Refuses, before anything is materialised, a state dict whose tensors hold more than `max` elements together. */
function checkElementBudget(tensors: ReadonlyArray<[string, TorchTensorRef]>, source: string, max: number): void {
  let total = 0;
  for (const [name, t] of tensors) {
    const n = elementCount(t);
    if (n > MAX_TENSOR_ELEMENTS) throw new FeatvisError(`${source}: tensor ${quoteName(name)} has ${n} elements, beyond the limit`);
    total += n;
    if (total > max) throw new FeatvisError(`${source}: the tensors hold more than ${max} elements together (limit; option maxElements)`);
  }
}

/** The distinct storages the tensors use (one per key). */
function storagesOf(tensors: ReadonlyArray<[string, TorchTensorRef]>): TorchStorageRef[] {
  const byKey = new Map<string, TorchStorageRef>();
  for (const [, t] of tensors) if (!byKey.has(t.storage.key)) byKey.set(t.storage.key, t.storage);
  return [...byKey.values()];
}

function materialize(t: TorchTensorRef, bytes: Uint8Array, source: string, name: string): TorchTensor {
  const shape = [...t.shape];
  let numel = 1;
  for (const d of shape) numel *= d;
  if (numel > MAX_TENSOR_ELEMENTS) throw new FeatvisError(`${source}: tensor ${quoteName(name)} has ${numel} elements, beyond the limit`);
  const base = t.storage.viewOffset + t.offset;
  const available = bytes.length / t.storage.itemSize;
  if (numel > 0) {
    let last = base;
    shape.forEach((d, i) => (last += (d - 1) * t.stride[i]!));
    if (last >= available) {
      throw new FeatvisError(`${source}: tensor ${quoteName(name)} (shape [${shape}], stride [${t.stride}], offset ${base}) reads past its storage of ${available} elements`);
    }
  }
  const read = elementReader(t.dtype, bytes);
  const data = new Float32Array(numel);
  if (numel === 0) return { shape, dtype: t.dtype, data };
  if (isContiguous(shape, t.stride)) {
    if (t.dtype === 'float32') {
      // Copy (also realigns) then reinterpret; the host is little-endian on every supported platform.
      const copy = new Uint8Array(bytes.subarray(base * 4, (base + numel) * 4));
      if (littleEndianHost) return { shape, dtype: t.dtype, data: new Float32Array(copy.buffer) };
    }
    for (let i = 0; i < numel; i++) data[i] = read(base + i);
    return { shape, dtype: t.dtype, data };
  }
  // General strided gather, row-major over `shape`.
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let src = base;
  for (let i = 0; i < numel; i++) {
    data[i] = read(src);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += t.stride[d]!;
      if (idx[d]! < shape[d]!) break;
      src -= idx[d]! * t.stride[d]!;
      idx[d] = 0;
    }
  }
  return { shape, dtype: t.dtype, data };
}

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}

function elementReader(dtype: TorchDtype, bytes: Uint8Array): (i: number) => number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'float32': return (i) => v.getFloat32(i * 4, true);
    case 'float64': return (i) => v.getFloat64(i * 8, true);
    case 'float16': return (i) => halfToFloat(v.getUint16(i * 2, true));
    case 'bfloat16': {
      const f = new DataView(new ArrayBuffer(4));
      return (i) => {
        f.setUint32(0, v.getUint16(i * 2, true) << 16);
        return f.getFloat32(0);
      };
    }
    case 'int64': return (i) => Number(v.getBigInt64(i * 8, true));
    case 'int32': return (i) => v.getInt32(i * 4, true);
    case 'int16': return (i) => v.getInt16(i * 2, true);
    case 'int8': return (i) => v.getInt8(i);
    case 'uint8': return (i) => v.getUint8(i);
    case 'bool': return (i) => (v.getUint8(i) ? 1 : 0);
  }
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
