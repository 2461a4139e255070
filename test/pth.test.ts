/**
 * PyTorch checkpoint reading: legacy and zip formats give the same tensors as
 * torch (views, offsets, dtypes included); the real LPIPS heads load; hostile
 * pickles are refused without running anything; truncated files fail clearly.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { PyDict, PyTuple, unpickle } from '../src/io/pickle.js';
import { parseTorchStateDict, readTorchStateDict, type TorchStateDict } from '../src/io/pth.js';
import { ZipReader } from '../src/io/zip.js';
import { FeatvisError } from '../src/core/errors.js';
import { runPython, sharedDir, skipWithoutPython, skipWithoutShared } from './helpers/python.js';

const skip = skipWithoutPython();

const FIXTURES = String.raw`
import io, json, os, pickle, struct, sys, zipfile
from collections import OrderedDict
import torch, torch.nn as nn

out, marker, shared = sys.argv[1], sys.argv[2], sys.argv[3]
torch.manual_seed(0)
base = torch.randn(5, 7)
sd = OrderedDict()
sd['contig'] = torch.randn(3, 4, 2)
sd['transposed'] = base.t()
sd['sliced'] = base[1:4, 2:6]
sd['stepped'] = torch.arange(20, dtype=torch.float32)[1::3]
sd['expanded'] = torch.randn(3, 1).expand(3, 4)
sd['permuted'] = torch.randn(2, 3, 4).permute(2, 0, 1)
sd['half'] = torch.randn(6).half()
sd['bf16'] = torch.randn(2, 3).bfloat16()
sd['double'] = torch.randn(4).double()
sd['long'] = torch.tensor([1, -2, 3000000000])
sd['int'] = torch.tensor([1, -5], dtype=torch.int32)
sd['uint8'] = torch.tensor([0, 255], dtype=torch.uint8)
sd['bool'] = torch.tensor([True, False])
sd['scalar'] = torch.tensor(3.5)
sd['empty'] = torch.zeros(0, 3)
sd['param'] = nn.Parameter(torch.randn(2, 2))
module = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)).state_dict()

expected = {}
for tag, d in (('all', sd), ('module', module)):
    torch.save(d, os.path.join(out, tag + '_legacy.pth'), _use_new_zipfile_serialization=False)
    torch.save(d, os.path.join(out, tag + '_zip.pth'))
    expected[tag] = {}
    for k, t in d.items():
        t.detach().float().contiguous().numpy().astype('<f4').tofile(os.path.join(out, tag + '.' + k + '.bin'))
        expected[tag][k] = {'shape': list(t.shape), 'dtype': str(t.dtype).replace('torch.', '')}

# the same archive re-packed with deflate compression
with zipfile.ZipFile(os.path.join(out, 'all_zip.pth')) as src, zipfile.ZipFile(os.path.join(out, 'deflated.pth'), 'w', zipfile.ZIP_DEFLATED) as dst:
    for i in src.infolist():
        dst.writestr(i.filename, src.read(i.filename))
# ... and with one storage cut short
with zipfile.ZipFile(os.path.join(out, 'all_zip.pth')) as src, zipfile.ZipFile(os.path.join(out, 'short_storage.pth'), 'w') as dst:
    for i in src.infolist():
        b = src.read(i.filename)
        dst.writestr(i.filename, b[:len(b) // 2] if i.filename.endswith('/data/0') else b)

# hostile payloads: unpickling them with pickle.load would run 'touch marker'
class Evil:
    def __reduce__(self):
        return (os.system, ('touch ' + marker,))
hostile = OrderedDict(weight=torch.zeros(2), bias=Evil())
torch.save(hostile, os.path.join(out, 'evil_zip.pth'))
torch.save(hostile, os.path.join(out, 'evil_legacy.pth'), _use_new_zipfile_serialization=False)
open(os.path.join(out, 'evil_p4.pkl'), 'wb').write(pickle.dumps(Evil(), protocol=4))

# legacy file whose tensor view reads past its storage (offset 2 + 3 elements > 4)
class FakeStorage: pass
class FakeTensor:
    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, (FakeStorage(), 2, (3,), (1,), False, OrderedDict()))
class P(pickle.Pickler):
    def persistent_id(self, obj):
        return ('storage', torch.FloatStorage, '0', 'cpu', 4, None) if isinstance(obj, FakeStorage) else None
f = io.BytesIO()
for v in (0x1950a86a20f9469cfc6c, 1001, {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}):
    pickle.dump(v, f, protocol=2)
P(f, protocol=2).dump(OrderedDict(t=FakeTensor()))
pickle.dump(['0'], f, protocol=2)
f.write(struct.pack('<q', 4) + struct.pack('<4f', 1, 2, 3, 4))
open(os.path.join(out, 'oob_view.pth'), 'wb').write(f.getvalue())

lins = {}
for v in ('0.0', '0.1'):
    for n in ('alex', 'squeeze', 'vgg'):
        f = os.path.join(shared, 'lpips', 'v' + v, n + '.pth')
        if not os.path.exists(f):
            continue  # without ../shared: the real-heads test is skipped, the others need no shared files
        d = torch.load(f, map_location='cpu', weights_only=True)
        lins[v + '/' + n] = {k: t.flatten().tolist() for k, t in d.items()}
json.dump({'expected': expected, 'lins': lins}, open(os.path.join(out, 'expected.json'), 'w'))
`;

interface Fixtures {
  dir: string;
  marker: string;
  expected: Record<string, Record<string, { shape: number[]; dtype: string }>>;
  lins: Record<string, Record<string, number[]>>;
}

let fixtures: Fixtures | null = null;
function fx(): Fixtures {
  if (fixtures) return fixtures;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-pth-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const marker = path.join(dir, 'PWNED');
  runPython(FIXTURES, [dir, marker, sharedDir]);
  assert.ok(!fs.existsSync(marker), 'making the fixtures must not run the payload');
  const j = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Omit<Fixtures, 'dir' | 'marker'>;
  fixtures = { dir, marker, ...j };
  return fixtures;
}

function readF32(file: string): Float32Array {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function assertMatchesTorch(sd: TorchStateDict, tag: string, f: Fixtures): void {
  const want = f.expected[tag]!;
  assert.deepEqual([...sd.keys()], Object.keys(want), 'same keys in the same order');
  for (const [k, spec] of Object.entries(want)) {
    const t = sd.get(k)!;
    assert.deepEqual(t.shape, spec.shape, k);
    assert.equal(t.dtype, spec.dtype, k);
    assert.deepEqual(Array.from(t.data), Array.from(readF32(path.join(f.dir, `${tag}.${k}.bin`))), `${k} values`);
  }
}

test('legacy and zip readers give identical tensors, equal to torch (views, offsets, all dtypes)', { skip }, () => {
  const f = fx();
  for (const tag of ['all', 'module']) {
    const legacy = readTorchStateDict(path.join(f.dir, `${tag}_legacy.pth`));
    const zip = readTorchStateDict(path.join(f.dir, `${tag}_zip.pth`));
    assertMatchesTorch(legacy, tag, f);
    assertMatchesTorch(zip, tag, f);
    assert.deepEqual(legacy, zip);
  }
  const sd = readTorchStateDict(path.join(f.dir, 'all_zip.pth'));
  assert.deepEqual(Array.from(sd.get('long')!.data), [1, -2, 3000000000]);
  assert.deepEqual(sd.get('scalar')!.shape, []);
  assert.equal(sd.get('empty')!.data.length, 0);
  assert.ok(readTorchStateDict(path.join(f.dir, 'module_zip.pth')).has('1.num_batches_tracked'));
});

test('deflate-compressed zip entries are read too', { skip }, () => {
  const f = fx();
  assertMatchesTorch(readTorchStateDict(path.join(f.dir, 'deflated.pth')), 'all', f);
  const zip = new ZipReader(fs.readFileSync(path.join(f.dir, 'deflated.pth')));
  assert.ok(zip.entries.some((e) => e.method === 8));
});

test('the real LPIPS linear heads (legacy format) load with the expected shapes and values', { skip: skip || skipWithoutShared() }, () => {
  const f = fx();
  const chns: Record<string, number[]> = { alex: [64, 192, 384, 256, 256], vgg: [64, 128, 256, 512, 512], squeeze: [64, 128, 256, 384, 384, 512, 512] };
  for (const v of ['0.0', '0.1']) {
    for (const [net, cs] of Object.entries(chns)) {
      const file = path.join(sharedDir, 'lpips', `v${v}`, `${net}.pth`);
      assert.equal(fs.readFileSync(file)[0], 0x80, 'legacy pickle stream, not zip');
      const sd = readTorchStateDict(file);
      assert.deepEqual([...sd.keys()], cs.map((_, k) => `lin${k}.model.1.weight`));
      cs.forEach((c, k) => {
        const t = sd.get(`lin${k}.model.1.weight`)!;
        assert.deepEqual(t.shape, [1, c, 1, 1]);
        assert.equal(t.dtype, 'float32');
        assert.deepEqual(Array.from(t.data), f.lins[`${v}/${net}`]![`lin${k}.model.1.weight`]);
      });
    }
  }
});

test('hostile pickles (os.system + REDUCE) are refused, naming the global, and nothing runs', { skip }, () => {
  const f = fx();
  for (const name of ['evil_zip.pth', 'evil_legacy.pth']) {
    assert.throws(
      () => readTorchStateDict(path.join(f.dir, name)),
      (err: Error) => err instanceof FeatvisError && /forbidden global '(posix|os|nt)\.system'/.test(err.message),
      name,
    );
  }
  // protocol 4: STACK_GLOBAL
  assert.throws(() => unpickle(fs.readFileSync(path.join(f.dir, 'evil_p4.pkl'))), /forbidden global '(posix|os|nt)\.system'/);
  assert.ok(!fs.existsSync(f.marker), 'the payload must never run');
});

test('hand-made hostile and malformed opcode streams are refused', () => {
  const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
  const cases: Array<[string, RegExp]> = [
    ['\x80\x02cbuiltins\neval\nX\x03\x00\x00\x001+1\x85R.', /forbidden global 'builtins\.eval'/],
    ['\x80\x02c__builtin__\ngetattr\n.', /forbidden global '__builtin__\.getattr'/],
    ['\x80\x04\x8c\x07torch._\x8c\x04load\x93.', /forbidden global 'torch\._\.load'/],
    ['\x80\x02ctorch.storage\n_load_from_bytes\n.', /forbidden global 'torch\.storage\._load_from_bytes'/],
    ['\x80\x02ctorch\nFloatStorage\n)R.', /REDUCE target 'torch\.FloatStorage' is not callable/],
    ['\x80\x02ccollections\nOrderedDict\n)\x81.', /NEWOBJ\) is not allowed/],
    ['\x80\x02]}b.', /BUILD .* on a list is not allowed/],
    ['\x80\x02X\x04\x00\x00\x00evil)R.', /REDUCE target is string/],
    ['\x80\x02(i__main__\nEvil\n.', /INST/],
    ['\x80\x02X\xff\xff\xff\x7fabc.', /unexpected end of data/],
    ['\x80\x02h\x05.', /memo index 5 not defined/],
    ['\x80\x02t.', /no MARK/],
    ['\x80\x02R.', /stack underflow/],
    ['\x80\x02\x82\x01.', /forbidden pickle opcode 0x82/],
  ];
  for (const [src, re] of cases) {
    assert.throws(() => unpickle(bytes(src), { source: 'test' }), (err: Error) => err instanceof FeatvisError && re.test(err.message), `${JSON.stringify(src)} → ${re}`);
  }
  // Limits on the memo, the stack and MARK nesting.
  assert.throws(() => unpickle(bytes('\x80\x02Nq\x00q\x01q\x02.'), { maxMemo: 2 }), /memo larger than 2/);
  assert.throws(() => unpickle(bytes('\x80\x02NNNN.'), { maxStack: 3 }), /stack larger than 3/);
  assert.throws(() => unpickle(bytes('\x80\x02' + '('.repeat(50)), { maxMarks: 20 }), /more than 20 nested MARKs/);
  // The allowed subset still works: an OrderedDict of lists and numbers.
  const src = bytes('\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00a]K\x07\x8a\x02\x00\x01\x86au.');
  const ok = unpickle(src);
  assert.equal(ok.end, src.length);
  assert.ok(ok.value instanceof PyDict && ok.value.ordered);
  assert.deepEqual(ok.value.map.get('a'), [new PyTuple([7, 256])]);
});

test('truncated, corrupt and non-checkpoint files fail with a clear error', { skip }, () => {
  const f = fx();
  const legacy = fs.readFileSync(path.join(f.dir, 'all_legacy.pth'));
  for (const cut of [0, 5, 20, 300, legacy.length - 1]) {
    assert.throws(
      () => parseTorchStateDict(legacy.subarray(0, cut), 'cut.pth'),
      (err: Error) => err instanceof FeatvisError && /^cut\.pth: .*(truncated|unexpected end|not a PyTorch checkpoint)/.test(err.message),
      `legacy cut at ${cut}`,
    );
  }
  const zip = fs.readFileSync(path.join(f.dir, 'all_zip.pth'));
  for (const cut of [10, zip.length >> 1, zip.length - 1]) {
    assert.throws(() => parseTorchStateDict(zip.subarray(0, cut), 'cut.zip'), /cut\.zip: corrupt or unsupported zip archive \(.*(truncated|not a zip)/, `zip cut at ${cut}`);
  }
  const flipped = Buffer.from(zip);
  const e = new ZipReader(zip).entry('all_zip/data/0');
  const at = e.headerOffset + 30 + zip.readUInt16LE(e.headerOffset + 26) + zip.readUInt16LE(e.headerOffset + 28) + 5; // inside storage 0
  flipped[at] = flipped[at]! ^ 0xff;
  assert.throws(() => parseTorchStateDict(flipped, 'flip.pth'), /CRC mismatch/);
  assert.throws(() => readTorchStateDict(path.join(f.dir, 'short_storage.pth')), /storage '0' holds \d+ bytes, expected \d+/);
  assert.throws(() => readTorchStateDict(path.join(f.dir, 'oob_view.pth')), /tensor 't' .*reads past its storage of 4 elements/);
  assert.throws(() => parseTorchStateDict(Buffer.from('\x89PNG\r\n\x1a\n....'), 'img.png'), /img\.png: not a PyTorch checkpoint/);
  assert.throws(() => readTorchStateDict(path.join(f.dir, 'nope.pth')), /not found/);
});
