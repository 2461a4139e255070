/**
 * Bounds for jsfive on hostile HDF5 files. jsfive trusts the counts it reads:
 * an attribute whose dataspace claims 2^31 one-byte values loops for minutes,
 * and version-1 B-trees whose nodes all point at the same child multiply the
 * nodes read at every level (entries^depth). featvis therefore wraps three
 * jsfive methods, once, on the DataObjects prototype (reached through the
 * first file opened; jsfive exports no internals):
 *
 * - `_attr_value`: the value count must fit in the bytes left after the
 *   value's offset (at least one byte per value, 8 for references, 16 for
 *   variable-length values) and in MAX_ATTRIBUTE_VALUES;
 * - `_iter_links_btree_v1` (groups) and `_get_chunked_data` (chunked
 *   datasets): the B-tree is walked first by `checkBTreeV1`, which refuses it
 *   when the nodes it would read exceed what the file can hold; for chunked
 *   data, the elements jsfive loops over (chunks × chunk size) must also stay
 *   within a small multiple of the dataset's size (a mutated chunk shape of
 *   2^32 elements otherwise loops for minutes on a 128-element dataset).
 *
 * The prototype is reached by opening a 64-byte empty HDF5 file built here
 * (jsfive reads a group's links in its constructor, so the guards must be in
 * place before the first real file is opened).
 *
 * A refusal is thrown as a string, like jsfive's own errors, and becomes a
 * FeatvisError in hdf5.ts.
 */

/** Most values one attribute may hold (Keras attributes hold a few hundred names). */
export const MAX_ATTRIBUTE_VALUES = 1 << 24;

interface DataObjectsProto {
  _attr_value(dtype: unknown, buf: ArrayBuffer, count: number, offset: number): unknown;
  _iter_links_btree_v1(btreeAddress: number, heapAddress: number): Iterable<unknown>;
  _get_chunked_data(offset: number): unknown;
  _get_chunk_params(): void;
  readonly shape: ArrayLike<number>;
  fh: ArrayBuffer;
  _chunk_address?: number;
  _chunk_dims?: number;
  _chunks?: ArrayLike<number>;
  [guarded]?: true;
}

const guarded = Symbol('featvis.jsfiveGuards');
const UNDEFINED_ADDRESS = 0xffffffffffffffff;

function bytesPerValue(dtype: unknown): number {
  if (Array.isArray(dtype)) return dtype[0] === 'REFERENCE' ? 8 : 16;
  if (typeof dtype === 'string') {
    const m = /(\d+)$/.exec(dtype);
    if (m) return Math.max(1, Number(m[1]));
  }
  return 1;
}

/**
 * Walks a version-1 B-tree (node type 0: groups, 1: chunks of a `dims`-
 * dimensional dataset) from `address` as jsfive would, counting nodes and
 * entries without building anything; throws (a string) when the walk would
 * read past the file or read more nodes than the file could hold. Returns
 * the number of leaf entries jsfive will visit.
 */
export function checkBTreeV1(fh: ArrayBuffer, address: number, nodeType: 0 | 1, dims = 0): number {
  const view = new DataView(fh);
  const size = fh.byteLength;
  const headerBytes = 24;
  const keyBytes = nodeType === 0 ? 8 : 8 + 8 * dims;
  const entryBytes = keyBytes + 8;
  // Every distinct node takes at least headerBytes + one entry of the file; a tree may revisit a
  // node (jsfive reads it again each time), but never more often than the file could hold nodes.
  const maxNodes = Math.max(16, Math.ceil(size / (headerBytes + entryBytes)));
  let reads = 0;
  let leafEntries = 0;
  let level: number | null = null;
  let frontier: number[] = [address];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const at of frontier) {
      if (!Number.isSafeInteger(at) || at < 0 || at + headerBytes > size) throw `B-tree node address ${at} is outside the file`;
      if (++reads > maxNodes) throw `B-tree reads more than ${maxNodes} nodes (the file holds at most that many): corrupt or hostile`;
      const nodeLevel = view.getUint8(at + 5);
      const entries = view.getUint16(at + 6, true);
      if (level !== null && nodeLevel !== level) throw 'node level does not match';
      const end = at + headerBytes + entries * entryBytes + (nodeType === 0 ? 8 : 0);
      if (end > size) throw `B-tree node at ${at} runs past the end of the file`;
      if (nodeLevel === 0) leafEntries += entries;
      else {
        for (let i = 0; i < entries; i++) {
          const child = view.getBigUint64(at + headerBytes + i * entryBytes + keyBytes, true);
          next.push(child > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(child));
        }
      }
      level ??= nodeLevel;
    }
    if (level === null || level === 0) break;
    level -= 1;
    frontier = next;
  }
  return leafEntries;
}

function product(xs: ArrayLike<number>): number {
  let p = 1;
  for (let i = 0; i < xs.length; i++) p *= Number(xs[i]);
  return p;
}

/** The smallest HDF5 file jsfive opens: a version-2 superblock and a root group without messages. */
function emptyHdf5(): ArrayBuffer {
  const b = new ArrayBuffer(64);
  const v = new DataView(b);
  [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a].forEach((x, i) => v.setUint8(i, x));
  v.setUint8(8, 2); // superblock version
  v.setUint8(9, 8); // size of offsets
  v.setUint8(10, 8); // size of lengths
  v.setBigUint64(20, 0xffffffffffffffffn, true); // no superblock extension
  v.setBigUint64(28, 64n, true); // end of file
  v.setBigUint64(36, 48n, true); // root group object header
  v.setUint8(48, 1); // object header version 1, 0 messages, size 0
  return b;
}

/** Installs the guards on jsfive's DataObjects prototype (idempotent). */
export function installJsfiveGuards(File: new (buffer: ArrayBuffer, filename: string) => unknown): void {
  const root = new File(emptyHdf5(), 'featvis-empty.h5') as { _dataobjects?: object };
  if (!root._dataobjects) throw new Error('jsfive internals changed: update src/io/jsfiveGuards.ts');
  const proto = Object.getPrototypeOf(root._dataobjects) as DataObjectsProto;
  if (proto[guarded]) return;
  const attrValue = proto._attr_value;
  const linksV1 = proto._iter_links_btree_v1;
  const chunked = proto._get_chunked_data;
  if (typeof attrValue !== 'function' || typeof linksV1 !== 'function' || typeof chunked !== 'function') {
    throw new Error('jsfive internals changed: update src/io/jsfiveGuards.ts');
  }
  proto._attr_value = function (this: DataObjectsProto, dtype, buf, count, offset) {
    const left = buf.byteLength - offset;
    if (!Number.isSafeInteger(count) || count < 0 || count > MAX_ATTRIBUTE_VALUES || count * bytesPerValue(dtype) > Math.max(0, left)) {
      throw `attribute claims ${count} values but only ${Math.max(0, left)} bytes follow`;
    }
    return attrValue.call(this, dtype, buf, count, offset);
  };
  proto._iter_links_btree_v1 = function (this: DataObjectsProto, btreeAddress, heapAddress) {
    checkBTreeV1(this.fh, btreeAddress, 0);
    return linksV1.call(this, btreeAddress, heapAddress);
  };
  proto._get_chunked_data = function (this: DataObjectsProto, offset) {
    this._get_chunk_params();
    const address = this._chunk_address;
    if (typeof address === 'number' && address !== UNDEFINED_ADDRESS) {
      const chunks = checkBTreeV1(this.fh, address, 1, this._chunk_dims ?? 0);
      const chunkElements = product(this._chunks ?? []);
      const dataElements = product(this.shape);
      if (!Number.isFinite(chunkElements) || chunks * chunkElements > 16 * dataElements + (1 << 20)) {
        throw `${chunks} chunks of ${chunkElements} elements for a dataset of ${dataElements}: corrupt chunk layout`;
      }
    }
    return chunked.call(this, offset);
  };
  proto[guarded] = true;
}
