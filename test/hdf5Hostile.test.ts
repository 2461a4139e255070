/**
 * Hostile HDF5 files (found by fuzzing): an attribute whose dataspace claims
 * billions of values, and version-1 B-trees whose nodes fan out onto the same
 * children at every level, are refused at once instead of looping for
 * minutes inside jsfive.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FeatvisError } from '../src/core/errors.js';
import { openHdf5Bytes } from '../src/io/hdf5.js';
import { checkBTreeV1 } from '../src/io/jsfiveGuards.js';

/** Superblock v2 + a root group whose object header holds one attribute 'a' of `count` one-byte strings (8 bytes of data). */
function attributeFile(count: number): Uint8Array {
  const b = Buffer.alloc(120);
  Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b[8] = 2;
  b[9] = 8;
  b[10] = 8;
  b.writeBigUInt64LE(0xffffffffffffffffn, 20);
  b.writeBigUInt64LE(BigInt(b.length), 28);
  b.writeBigUInt64LE(48n, 36);
  // object header v1: version, reserved, 1 message, refcount 1, header size 56
  b[48] = 1;
  b.writeUInt16LE(1, 50);
  b.writeUInt32LE(1, 52);
  b.writeUInt32LE(56, 56);
  // message: type 0x000C (attribute), size 48
  b.writeUInt16LE(0x000c, 64);
  b.writeUInt16LE(48, 66);
  const m = 72;
  b[m] = 1; // attribute message v1
  b.writeUInt16LE(2, m + 2); // name size (with NUL)
  b.writeUInt16LE(8, m + 4); // datatype size
  b.writeUInt16LE(16, m + 6); // dataspace size
  b.write('a', m + 8, 'latin1');
  b[m + 16] = 0x13; // datatype v1, class 3 (string)
  b.writeUInt32LE(1, m + 20); // 1 byte each
  b[m + 24] = 1; // dataspace v1
  b[m + 25] = 1; // one dimension
  b.writeBigUInt64LE(BigInt(count), m + 32);
  b.write('xyzxyzxy', m + 40, 'latin1');
  return new Uint8Array(b);
}

test('an attribute claiming billions of values is refused in milliseconds', () => {
  assert.deepEqual(Object.keys(openHdf5Bytes(attributeFile(3), 'ok.h5').attrs()), ['a'], 'the crafted file is valid with a small count');
  for (const count of [2 ** 31 - 1, 100_000]) {
    const t0 = performance.now();
    assert.throws(
      () => openHdf5Bytes(attributeFile(count), 'attr.h5').attrs(),
      (err: Error) => err instanceof FeatvisError && new RegExp(`attr\\.h5: cannot read the attributes of / \\(attribute claims ${count} values but only \\d+ bytes follow\\)`).test(err.message),
    );
    assert.ok(performance.now() - t0 < 1000, `${count}: ${performance.now() - t0} ms`);
  }
});

/** A version-1 group B-tree of `depth + 1` levels whose every node has `fanout` entries all pointing at the one node of the level below. */
function fanoutTree(depth: number, fanout: number): { buf: ArrayBuffer; root: number } {
  const nodeBytes = 24 + fanout * 16 + 8;
  const buf = new ArrayBuffer(nodeBytes * (depth + 1));
  const v = new DataView(buf);
  for (let level = 0; level <= depth; level++) {
    const at = level * nodeBytes;
    [0x54, 0x52, 0x45, 0x45].forEach((c, i) => v.setUint8(at + i, c)); // 'TREE'
    v.setUint8(at + 4, 0);
    v.setUint8(at + 5, level);
    v.setUint16(at + 6, fanout, true);
    for (let i = 0; i < fanout; i++) v.setBigUint64(at + 24 + i * 16 + 8, BigInt(level > 0 ? (level - 1) * nodeBytes : 0), true);
  }
  return { buf, root: depth * nodeBytes };
}

test('B-trees that fan out onto the same nodes at every level are refused before jsfive reads them', () => {
  const small = fanoutTree(1, 4);
  assert.doesNotThrow(() => checkBTreeV1(small.buf, small.root, 0), 'a plain two-level tree passes');
  const t0 = performance.now();
  const bomb = fanoutTree(4, 200); // 200^4 = 1.6e9 node reads for jsfive
  assert.throws(() => checkBTreeV1(bomb.buf, bomb.root, 0), /B-tree reads more than \d+ nodes \(the file holds at most that many\)/);
  assert.ok(performance.now() - t0 < 500, `${performance.now() - t0} ms`);
  assert.throws(() => checkBTreeV1(small.buf, small.buf.byteLength - 8, 0), /outside the file|runs past the end/);
});
