/**
 * Hostile inputs built at test time (never committed): PyTorch zip checkpoints
 * with lying sizes and deflate bombs, written by a minimal pickle writer and
 * zip writer. Also reused by the fuzzers as valid seeds.
 */
import zlib from 'node:zlib';

// ---------------------------------------------------------------- pickle (protocol 2)

class PickleWriter {
  private readonly parts: Buffer[] = [Buffer.from([0x80, 0x02])];
  raw(...bytes: number[]): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  global(module: string, name: string): this {
    this.parts.push(Buffer.from(`c${module}\n${name}\n`, 'utf8'));
    return this;
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    this.parts.push(Buffer.from('X'), len, b);
    return this;
  }
  int(n: number): this {
    if (n >= -(2 ** 31) && n < 2 ** 31) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a; // BININT
      b.writeInt32LE(n, 1);
      this.parts.push(b);
      return this;
    }
    const b = Buffer.alloc(10);
    b[0] = 0x8a; // LONG1, 8 bytes
    b[1] = 8;
    b.writeBigInt64LE(BigInt(n), 2);
    this.parts.push(b);
    return this;
  }
  ints(ns: readonly number[]): this {
    this.raw(0x28); // MARK
    for (const n of ns) this.int(n);
    return this.raw(0x74); // TUPLE
  }
  bytes(): Buffer {
    return Buffer.concat([...this.parts, Buffer.from('.')]);
  }
}

export interface TensorSpec {
  name: string;
  /** Storage key (the zip entry is `<archive>/data/<key>`). */
  key: string;
  /** Storage type name: FloatStorage, ByteStorage… */
  storageType?: string;
  /** Elements the storage declares. */
  numel: number;
  shape: readonly number[];
  stride?: readonly number[];
  offset?: number;
}

function contiguousStride(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1]! * shape[i + 1]!;
  return out;
}

/**
 * data.pkl of a zip-format state dict: OrderedDict(name → _rebuild_tensor_v2(storage, offset, shape, stride, False, OrderedDict())).
 * `legacy`: the legacy format's 6-field persistent ids (…, numel, None).
 */
export function stateDictPickle(tensors: readonly TensorSpec[], legacy = false): Buffer {
  const w = new PickleWriter();
  w.global('collections', 'OrderedDict').raw(0x29, 0x52); // OrderedDict()
  for (const t of tensors) {
    w.str(t.name);
    w.global('torch._utils', '_rebuild_tensor_v2');
    w.raw(0x28); // MARK (args)
    w.raw(0x28).str('storage').global('torch', t.storageType ?? 'FloatStorage').str(t.key).str('cpu').int(t.numel);
    if (legacy) w.raw(0x4e); // view metadata: None
    w.raw(0x74); // pid tuple
    w.raw(0x51); // BINPERSID
    w.int(t.offset ?? 0);
    w.ints(t.shape);
    w.ints(t.stride ?? contiguousStride(t.shape));
    w.raw(0x89); // False
    w.global('collections', 'OrderedDict').raw(0x29, 0x52);
    w.raw(0x74, 0x52, 0x73); // TUPLE, REDUCE, SETITEM
  }
  return w.bytes();
}

/**
 * A legacy-format checkpoint (torch.save with _use_new_zipfile_serialization=False):
 * magic number, protocol 1001, sys info, the state dict, the storage keys,
 * then each storage as int64 element count + raw bytes.
 */
export function torchLegacy(tensors: readonly TensorSpec[], storages: Readonly<Record<string, Uint8Array>>): Buffer {
  const magic = Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
  const protocol = Buffer.from([0x80, 0x02, 0x4d, 0xe9, 0x03, 0x2e]);
  const sys = new PickleWriter().raw(0x7d, 0x28).str('protocol_version').int(1001).str('little_endian').raw(0x88).raw(0x75).bytes();
  const keys = Object.keys(storages);
  const list = new PickleWriter().raw(0x5d, 0x28);
  for (const k of keys) list.str(k);
  const parts: Buffer[] = [magic, protocol, sys, stateDictPickle(tensors, true), list.raw(0x65).bytes()];
  for (const k of keys) {
    const data = storages[k]!;
    const spec = tensors.find((t) => t.key === k);
    const count = Buffer.alloc(8);
    count.writeBigInt64LE(BigInt(spec?.numel ?? data.length));
    parts.push(count, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  return Buffer.concat(parts);
}

/** The tensors of smallTorchZip as a legacy-format file. */
export function smallTorchLegacy(): Buffer {
  const a = new Float32Array(12).map((_, i) => i * 0.5 - 2);
  const b = new Float64Array(3).map((_, i) => i + 1);
  return torchLegacy(
    [
      { name: 'conv.weight', key: '0', numel: 12, shape: [2, 3, 2] },
      { name: 'conv.bias', key: '1', storageType: 'DoubleStorage', numel: 3, shape: [3] },
      { name: 'conv.weight_t', key: '0', numel: 12, shape: [3, 2], stride: [1, 3], offset: 6 },
    ],
    { 0: new Uint8Array(a.buffer), 1: new Uint8Array(b.buffer) },
  );
}

// ---------------------------------------------------------------- zip

export interface ZipEntrySpec {
  name: string;
  /** The bytes stored in the archive (already compressed when method is 8). */
  data: Uint8Array;
  /** 0 = stored, 8 = deflate. */
  method?: number;
  /** Uncompressed size written in the headers (default: data.length for stored entries). */
  declaredSize?: number;
  /** CRC-32 written in the headers (default: computed for stored entries, 0 otherwise). */
  crc32?: number;
}

const U32_MAX = 0xffffffff;

/** A zip archive with zip64 records where sizes or offsets need them. */
export function zipArchive(entries: readonly ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const method = e.method ?? 0;
    const size = e.declaredSize ?? e.data.length;
    const csize = e.data.length;
    const crc = e.crc32 ?? (method === 0 ? zlib.crc32(e.data) >>> 0 : 0);
    const big = size >= U32_MAX || csize >= U32_MAX || offset >= U32_MAX;
    const extra = Buffer.alloc(big ? 28 : 0);
    if (big) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(size), 4);
      extra.writeBigUInt64LE(BigInt(csize), 12);
      extra.writeBigUInt64LE(BigInt(offset), 20);
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(big ? 45 : 20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(big ? U32_MAX : csize, 18);
    local.writeUInt32LE(big ? U32_MAX : size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(45, 4);
    central.writeUInt16LE(big ? 45 : 20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(big ? U32_MAX : csize, 20);
    central.writeUInt32LE(big ? U32_MAX : size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(big ? U32_MAX : offset, 42);
    locals.push(local, name, extra, Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength));
    centrals.push(central, name, extra);
    offset += 30 + name.length + extra.length + csize;
  }
  const cd = Buffer.concat(centrals);
  const eocd64 = Buffer.alloc(56);
  eocd64.writeUInt32LE(0x06064b50, 0);
  eocd64.writeBigUInt64LE(44n, 4);
  eocd64.writeUInt16LE(45, 12);
  eocd64.writeUInt16LE(45, 14);
  eocd64.writeBigUInt64LE(BigInt(entries.length), 24);
  eocd64.writeBigUInt64LE(BigInt(entries.length), 32);
  eocd64.writeBigUInt64LE(BigInt(cd.length), 40);
  eocd64.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + cd.length), 8);
  locator.writeUInt32LE(1, 16);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(0xffff, 8);
  eocd.writeUInt16LE(0xffff, 10);
  eocd.writeUInt32LE(U32_MAX, 12);
  eocd.writeUInt32LE(U32_MAX, 16);
  return Buffer.concat([...locals, cd, eocd64, locator, eocd]);
}

/** A torch-style zip checkpoint: `archive/data.pkl` + `archive/data/<key>` entries (stored unless given). */
export function torchZip(tensors: readonly TensorSpec[], storages: Readonly<Record<string, Omit<ZipEntrySpec, 'name'>>>): Buffer {
  return zipArchive([
    { name: 'archive/data.pkl', data: stateDictPickle(tensors) },
    { name: 'archive/byteorder', data: Buffer.from('little') },
    ...Object.entries(storages).map(([key, e]) => ({ ...e, name: `archive/data/${key}` })),
  ]);
}

/** A small valid zip checkpoint: two float tensors with sequential values. */
export function smallTorchZip(method: 0 | 8 = 0): Buffer {
  const a = new Float32Array(12).map((_, i) => i * 0.5 - 2);
  const b = new Float32Array(3).map((_, i) => i + 1);
  const entry = (f: Float32Array): Omit<ZipEntrySpec, 'name'> => {
    const raw = new Uint8Array(f.buffer);
    return method === 0 ? { data: raw } : { data: zlib.deflateRawSync(raw), method: 8, declaredSize: raw.length, crc32: zlib.crc32(raw) >>> 0 };
  };
  return torchZip(
    [
      { name: 'conv.weight', key: '0', numel: 12, shape: [2, 3, 2] },
      { name: 'conv.bias', key: '1', numel: 3, shape: [3] },
      { name: 'conv.weight_t', key: '0', numel: 12, shape: [3, 2], stride: [1, 3], offset: 6 },
    ],
    { 0: entry(a), 1: entry(b) },
  );
}

// ---------------------------------------------------------------- deflate bombs

/**
 * A raw deflate stream that inflates to `mib` MiB of zeros, about 1036 bytes
 * per MiB: zlib's output for one sync-flushed MiB of zeros is the same for
 * every MiB after the first, so it is produced once and repeated.
 */
export async function zeroBomb(mib: number): Promise<Buffer> {
  if (!Number.isInteger(mib) || mib < 3) throw new Error('zeroBomb needs at least 3 MiB');
  const d = zlib.createDeflateRaw({ level: 9, memLevel: 9 });
  let cur: Buffer[] = [];
  d.on('data', (b: Buffer) => cur.push(b));
  const zero = Buffer.alloc(1 << 20);
  const chunks: Buffer[] = [];
  for (let i = 0; i < 3; i++) {
    d.write(zero);
    await new Promise<void>((r) => d.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    chunks.push(Buffer.concat(cur));
    cur = [];
  }
  d.end();
  await new Promise<void>((r) => d.on('end', () => r()));
  const tail = Buffer.concat(cur);
  if (!chunks[1]!.equals(chunks[2]!)) throw new Error('zlib did not reach a steady state');
  return Buffer.concat([chunks[0]!, ...new Array<Buffer>(mib - 1).fill(chunks[1]!), tail]);
}
