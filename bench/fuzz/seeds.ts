/**
 * Valid seed inputs for each fuzzed parser, generated at run time (nothing
 * committed): PyTorch checkpoints (zip and legacy) and pickles, zip archives,
 * a small TFLite model, HDF5 weight files (h5py from the reference .venv),
 * BMP images, TF.js model.json files and sweep configs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { smallTorchLegacy, smallTorchZip, stateDictPickle, zipArchive } from '../../test/helpers/hostileFiles.js';
import { finish, f32, i32, i8, str, table, tables, u32, u64, u8, vec } from './flatbuffer.js';

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

export function pickleSeeds(): Uint8Array[] {
  const b = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
  return [
    stateDictPickle([{ name: 'w', key: '0', numel: 6, shape: [2, 3] }, { name: 'b', key: '1', numel: 2, shape: [2], storageType: 'HalfStorage' }]),
    // A plain OrderedDict of lists, tuples, numbers, floats, bytes and strings (no persistent ids).
    b('\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00a]K\x07\x8a\x02\x00\x01\x86aX\x01\x00\x00\x00bG?\xf0\x00\x00\x00\x00\x00\x00X\x01\x00\x00\x00cC\x03abcX\x01\x00\x00\x00d(K\x01K\x02K\x03tu.'),
    b('\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94K\x01\x8c\x01b\x94]\x94(K\x02K\x03eu.'),
  ];
}

export function pthSeeds(): Uint8Array[] {
  const out: Uint8Array[] = [smallTorchZip(0), smallTorchZip(8), smallTorchLegacy()];
  // The real LPIPS heads (legacy format) when the shared data is there.
  const lpips = path.resolve('..', 'shared', 'lpips', 'v0.1');
  for (const f of ['alex.pth', 'squeeze.pth']) if (fs.existsSync(path.join(lpips, f))) out.push(fs.readFileSync(path.join(lpips, f)));
  return out;
}

export function zipSeeds(): Uint8Array[] {
  const text = Buffer.from('featvis zip fuzz seed '.repeat(40));
  const deflated = (name: string, data: Buffer) => ({ name, data: zlib.deflateRawSync(data), method: 8, declaredSize: data.length, crc32: zlib.crc32(data) >>> 0 });
  return [
    smallTorchZip(0),
    smallTorchZip(8),
    zipArchive([deflated('a.txt', text), { name: 'dir/b.bin', data: new Uint8Array(256).map((_, i) => i) }, deflated('empty', Buffer.alloc(0))]),
  ];
}

/** A small quantised conv net as TFLite: conv (uint8 weights, int32 bias), mean, softmax; one buffer stored after the FlatBuffer. */
export function tfliteSeed(): Uint8Array {
  const weights = new Uint8Array(4 * 3 * 3 * 3).map((_, i) => (i * 37) % 256);
  const bias = new Int32Array([1, -2, 3, -4]);
  const quant = (scale: number, zero: number) => table(undefined, undefined, vec('f32', [scale]), vec('i64', [zero]), undefined, undefined, i32(0));
  const tensor = (name: string, shape: number[], type: number, buffer: number, q?: ReturnType<typeof quant>) => table(vec('i32', shape), i8(type), u32(buffer), str(name), q);
  const build = (tailOffset: number) =>
    table(
      u32(3),
      tables([table(i8(3), undefined, i32(1), i32(3)), table(i8(40), undefined, i32(1), i32(40)), table(i8(25), undefined, i32(1), i32(25)), table(i8(32), str('FancyOp'), i32(1), i32(32))]),
      tables([
        table(
          tables([
            tensor('input', [1, 8, 8, 3], 3, 0, quant(1 / 128, 128)),
            tensor('conv/weights', [4, 3, 3, 3], 3, 1, quant(0.02, 127)),
            tensor('conv/bias', [4], 2, 2, quant(0.0001, 0)),
            tensor('conv/out', [1, 8, 8, 4], 3, 0, quant(0.05, 0)),
            tensor('mean/axes', [2], 2, 3),
            tensor('mean/out', [1, 4], 3, 0, quant(0.05, 0)),
            tensor('probs', [1, 4], 0, 0),
          ]),
          vec('i32', [0]),
          vec('i32', [6]),
          tables([
            table(u32(0), vec('i32', [0, 1, 2]), vec('i32', [3]), u8(1), table(i8(0), i32(1), i32(1), i8(3), i32(1), i32(1))),
            table(u32(1), vec('i32', [3, 4]), vec('i32', [5]), u8(27), table(u8(0))),
            table(u32(2), vec('i32', [5]), vec('i32', [6]), u8(9), table(f32(1))),
          ]),
          str('main'),
        ),
      ]),
      str('featvis fuzz seed'),
      tables([table(), table(vec('u8', weights)), table(undefined, u64(tailOffset), u64(bias.byteLength)), table(vec('u8', new Uint8Array(new Int32Array([1, 2]).buffer)))]),
    );
  const tail = new Uint8Array(bias.buffer);
  const first = finish(build(0), 'TFL3', tail);
  return finish(build(first.tailOffset), 'TFL3', tail).bytes;
}

export function tfliteSeeds(): Uint8Array[] {
  return [tfliteSeed()];
}

const H5_SCRIPT = String.raw`
import sys, h5py, numpy as np
out = sys.argv[1]
rng = np.random.default_rng(0)
with h5py.File(out + '/weights.h5', 'w') as f:
    f.attrs['layer_names'] = [b'conv1', b'dense']
    f.attrs['backend'] = 'tensorflow'
    f.attrs['keras_version'] = '2.15.0'
    for layer, shapes in (('conv1', [(3, 3, 3, 4), (4,)]), ('dense', [(4, 5), (5,)])):
        g = f.create_group(layer)
        names = []
        for k, s in zip(('kernel:0', 'bias:0'), shapes):
            n = layer + '/' + k
            g.create_dataset(n, data=rng.normal(size=s).astype('<f4'))
            names.append(n.encode())
        g.attrs['weight_names'] = names
with h5py.File(out + '/mixed.h5', 'w') as f:
    f.attrs['layer_names'] = np.array([], dtype='S1')
    g = f.create_group('model_weights/block')
    g.create_dataset('chunked', data=rng.normal(size=(16, 8)).astype('<f4'), chunks=(4, 8), compression='gzip')
    g.create_dataset('half', data=rng.normal(size=(6,)).astype('<f2'))
    g.create_dataset('double', data=rng.normal(size=(2, 3)).astype('>f8'))
    g.create_dataset('ints', data=np.arange(5, dtype='<i4'))
    g.attrs['weight_names'] = ['chunked', 'half', 'double']
`;

/** HDF5 weight files made with h5py from the reference venv ([] without it). */
export function hdf5Seeds(python: string | null): Uint8Array[] {
  if (!python) return [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-fuzz-h5-'));
  try {
    const r = spawnSync(python, ['-c', H5_SCRIPT, dir], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`h5py seed generation failed: ${r.stderr}`);
    return ['weights.h5', 'mixed.h5'].map((f) => new Uint8Array(fs.readFileSync(path.join(dir, f))));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function bmp(width: number, height: number, bpp: 24 | 32, topDown: boolean, v5 = false): Uint8Array {
  const stride = Math.ceil((width * bpp) / 8 / 4) * 4;
  const header = v5 ? 124 : 40;
  const offset = 14 + header;
  const b = Buffer.alloc(offset + stride * height);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(offset, 10);
  b.writeUInt32LE(header, 14);
  b.writeInt32LE(width, 18);
  b.writeInt32LE(topDown ? -height : height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(bpp, 28);
  b.writeUInt32LE(bpp === 32 && v5 ? 3 : 0, 30);
  b.writeUInt32LE(stride * height, 34);
  for (let y = 0; y < height; y++) for (let x = 0; x < (width * bpp) / 8; x++) b[offset + y * stride + x] = (x * 7 + y * 13) & 0xff;
  return new Uint8Array(b);
}

export function bmpSeeds(): Uint8Array[] {
  return [bmp(7, 5, 24, false), bmp(4, 3, 32, true), bmp(9, 2, 32, false, true)];
}

export function modelJsonSeeds(): Uint8Array[] {
  const small = {
    format: 'layers-model',
    generatedBy: 'featvis fuzz',
    modelTopology: { class_name: 'Sequential', config: { name: 'seq', layers: [{ class_name: 'Dense', config: { units: 2, name: 'dense' } }] } },
    weightsManifest: [
      { paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: [{ name: 'dense/kernel', shape: [3, 2], dtype: 'float32' }, { name: 'dense/bias', shape: [2], dtype: 'float32' }] },
      { paths: ['sub/group2-shard1of1.bin'], weights: [{ name: 'q', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.1, min: -1 } }, { name: 'flag', shape: [1], dtype: 'bool' }] },
    ],
  };
  const graph = {
    format: 'graph-model',
    modelTopology: { node: [{ name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' } } }] },
    weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: [{ name: 'c', shape: [2, 2], dtype: 'int32' }, { name: 'h', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } }] }],
  };
  return [enc(JSON.stringify(small, null, 1)), enc(JSON.stringify(graph))];
}

/** The shard files the model.json seeds name (written into the fuzz target's model folder). */
export const MODEL_JSON_SHARDS: Readonly<Record<string, number>> = {
  'group1-shard1of2.bin': 16,
  'group1-shard2of2.bin': 16,
  'sub/group2-shard1of1.bin': 8,
};

export function sweepConfigSeeds(): Uint8Array[] {
  const base = {
    model: 'featvis-imagenette',
    layer: 'stage3',
    channels: [0, 3, 7],
    seeds: [0, 1],
    steps: 64,
    size: 96,
    learningRate: 0.05,
    param: 'fft',
    decorrelate: true,
    transforms: { pad: 4, padMode: 'reflect', jitter: 8, scales: [1, 1.05], rotateDegrees: [-5, 5] },
    base: { l2: 0.01 },
    blurEvery: 4,
    sweep: { tv: [0, 0.5, 1], l1: [0, 0.01], blur: [0, 1], jitter: [0, 4, 8] },
    exemplars: { images: '../shared/images/imagenette2_224/val', limit: 200, k: 9, heldOut: 9, batchSize: 16, reduce: 'max', size: 128 },
    metric: { kind: 'lpips', net: 'alex', version: '0.1' },
    metricSize: 64,
    randomImages: 9,
  };
  const like = {
    model: 'm.tflite',
    layer: 'a/b',
    channels: [1],
    sweep: { l2: [0, 1] },
    exemplars: { images: 'imgs' },
    metric: { kind: 'lpips-like', model: 'sq', layers: ['fire2', 'fire3'], preset: 'squeezenet-caffe' },
    floorImages: 5,
  };
  const backbone = { model: 'm', layer: 'l', channels: [2, 3], sweep: { tv: [0, 1] }, exemplars: { images: 'imgs' }, metric: { kind: 'backbone', backbone: 'mobilenet_v1' } };
  const auto = { model: 'm', layer: 'l', channels: [2], sweep: { tv: [0, 1] }, exemplars: { images: 'imgs' }, metric: 'auto' };
  const out = [enc(JSON.stringify(base, null, 2)), enc(JSON.stringify(like)), enc(JSON.stringify(backbone)), enc(JSON.stringify(auto))];
  const examples = path.resolve('examples');
  if (fs.existsSync(examples)) for (const f of fs.readdirSync(examples).filter((n) => n.endsWith('.json')).sort()) out.push(new Uint8Array(fs.readFileSync(path.join(examples, f))));
  return out;
}
