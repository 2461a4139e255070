/**
 * Reads PyTorch checkpoints (`torch.save` of a state dict) without Python and
 * without executing anything: both the zip format (torch >= 1.6:
 * `<archive>/data.pkl` + `<archive>/data/<key>`) and the legacy format (magic
 * number, protocol, sys info, object, storage keys, then raw storages each
 * prefixed by its int64 element count). Tensors come back as Float32Array in
 * row-major order, whatever their dtype, strides or storage offset.
 */
import fs from 'node:fs';
import { FeatvisError } from '../core/errors.js';
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
import { ZipReader, isZip } from './zip.js';

export type { TorchDtype } from './pickle.js';

export interface TorchTensor {
  shape: number[];
  /** dtype in the file; `data` is always float32. */
  dtype: TorchDtype;
  data: Float32Array;
}

export type TorchStateDict = Map<string, TorchTensor>;

export interface ReadTorchOptions {
  /** Refuse files larger than this many bytes (default 4 GiB). */
  maxBytes?: number;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
const MAX_TENSOR_ELEMENTS = 2 ** 31;

/** Reads a `.pth` / `.pt` state dict from disk. */
export function readTorchStateDict(file: string, opts: ReadTorchOptions = {}): TorchStateDict {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    throw new FeatvisError(`PyTorch weights file not found: ${file}`);
  }
  const max = opts.maxBytes ?? 4 * 2 ** 30;
  if (size > max) throw new FeatvisError(`${file}: ${size} bytes is larger than the limit of ${max} bytes`);
  return parseTorchStateDict(fs.readFileSync(file), file);
}

/** Parses the bytes of a `torch.save`d state dict (zip or legacy format). */
export function parseTorchStateDict(bytes: Uint8Array, source = 'PyTorch checkpoint'): TorchStateDict {
  const { root, storage } = isZip(bytes) ? openZip(bytes, source) : openLegacy(bytes, source);
  return collectTensors(root, storage, source);
}

type StorageBytes = (ref: TorchStorageRef) => Uint8Array;

// ---------------------------------------------------------------- persistent ids

function storageFromPid(pid: PyValue, source: string, legacy: boolean): TorchStorageRef {
  if (!(pid instanceof PyTuple)) throw new FeatvisError(`${source}: persistent id is not a tuple`);
  const [tag, type, key, location, numel, view] = pid.items;
  if (tag === 'module') throw new FeatvisError(`${source}: the file contains a pickled nn.Module, not a state dict; save model.state_dict() instead`);
  if (tag !== 'storage') throw new FeatvisError(`${source}: unknown persistent id type ${String(tag)}`);
  if (pid.items.length !== (legacy ? 6 : 5)) throw new FeatvisError(`${source}: storage persistent id has ${pid.items.length} fields`);
  if (!(type instanceof PyGlobal) || type.module !== 'torch' || !(type.name in TORCH_STORAGE_TYPES)) {
    throw new FeatvisError(`${source}: unsupported storage type ${type instanceof PyGlobal ? type.qualname : String(type)}`);
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
      throw new FeatvisError(`${source}: storage view out of range of storage '${key}'`);
    }
    return new TorchStorageRef(dtype, itemSize, key, loc, numel, off);
  }
  return new TorchStorageRef(dtype, itemSize, key, loc, numel);
}

// ---------------------------------------------------------------- zip format

function openZip(bytes: Uint8Array, source: string): { root: PyValue; storage: StorageBytes } {
  const zip = new ZipReader(bytes, source);
  const pkl = zip.names().find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pkl) throw new FeatvisError(`${source}: zip file without <archive>/data.pkl: not a PyTorch checkpoint`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  if (zip.has(`${prefix}byteorder`)) {
    const order = new TextDecoder().decode(zip.read(`${prefix}byteorder`)).trim();
    if (order !== 'little') throw new FeatvisError(`${source}: ${order}-endian checkpoints are not supported`);
  }
  const seen = new Map<string, TorchStorageRef>();
  const { value } = unpickle(zip.read(pkl), {
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
  return {
    root: value,
    storage: (ref) => {
      let data = cache.get(ref.key);
      if (!data) {
        const name = `${prefix}data/${ref.key}`;
        if (!zip.has(name)) throw new FeatvisError(`${source}: storage '${ref.key}' is missing (${name}); the file is truncated or corrupt`);
        data = zip.read(name);
        cache.set(ref.key, data);
      }
      const need = ref.numel * ref.itemSize;
      if (data.length < need) throw new FeatvisError(`${source}: storage '${ref.key}' holds ${data.length} bytes, expected ${need}`);
      return data.subarray(0, need);
    },
  };
}

// ---------------------------------------------------------------- legacy format

function openLegacy(bytes: Uint8Array, source: string): { root: PyValue; storage: StorageBytes } {
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
        if (root.dtype !== ref.dtype || root.numel !== ref.numel) throw new FeatvisError(`${source}: storage '${ref.key}' declared twice with different types`);
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
    if (!ref) throw new FeatvisError(`${source}: storage '${key}' is listed but never used`);
    if (off + 8 > bytes.length) throw truncated(source, key);
    const n = view.getBigInt64(off, true);
    if (n !== BigInt(ref.numel)) throw new FeatvisError(`${source}: storage '${key}' has ${n} elements on disk, ${ref.numel} declared`);
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
      if (!d) throw new FeatvisError(`${source}: storage '${ref.key}' has no data in the file`);
      return d;
    },
  };
}

function truncated(source: string, key: string): FeatvisError {
  return new FeatvisError(`${source}: the file is truncated (storage '${key}' ends past the end of the file)`);
}

// ---------------------------------------------------------------- tensors

function collectTensors(root: PyValue, storage: StorageBytes, source: string): TorchStateDict {
  if (!(root instanceof PyDict)) throw new FeatvisError(`${source}: the checkpoint is not a dict of tensors (a state dict)`);
  let dict = root;
  const hasTensor = (d: PyDict): boolean => [...d.map.values()].some((v) => v instanceof TorchTensorRef);
  if (!hasTensor(dict)) {
    // Training checkpoints often nest the weights: {'state_dict': {...}, 'epoch': …}.
    const nested = ['state_dict', 'model', 'model_state_dict', 'net'].map((k) => dict.map.get(k)).find((v): v is PyDict => v instanceof PyDict && hasTensor(v));
    if (!nested) throw new FeatvisError(`${source}: no tensors found in the checkpoint`);
    dict = nested;
  }
  const out: TorchStateDict = new Map();
  for (const [k, v] of dict.map) {
    if (typeof k === 'string' && v instanceof TorchTensorRef) out.set(k, materialize(v, storage(v.storage), source, k));
  }
  return out;
}

function materialize(t: TorchTensorRef, bytes: Uint8Array, source: string, name: string): TorchTensor {
  const shape = [...t.shape];
  let numel = 1;
  for (const d of shape) numel *= d;
  if (numel > MAX_TENSOR_ELEMENTS) throw new FeatvisError(`${source}: tensor '${name}' has ${numel} elements, beyond the limit`);
  const base = t.storage.viewOffset + t.offset;
  const available = bytes.length / t.storage.itemSize;
  if (numel > 0) {
    let last = base;
    shape.forEach((d, i) => (last += (d - 1) * t.stride[i]!));
    if (last >= available) {
      throw new FeatvisError(`${source}: tensor '${name}' (shape [${shape}], stride [${t.stride}], offset ${base}) reads past its storage of ${available} elements`);
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
