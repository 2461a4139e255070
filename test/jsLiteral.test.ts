/**
 * The JS object-literal reader (src/io/jsLiteral.ts) and the nsfwjs bundle
 * readers built on it: tricky literals parse exactly, hostile inputs fail with
 * a clear FeatvisError and nothing in them is executed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { FeatvisError } from '../src/core/errors.js';
import { exportedLiteral, parseJsLiteral, parseJsLiteralWhole } from '../src/io/jsLiteral.js';
import { loadModel } from '../src/models/load.js';
import { MAX_BUNDLE_FILE_BYTES, nsfwjsPackageDir, readBundledModel, readModelBundle, readShardBundle } from '../src/models/nsfwjs.js';

function throwsFeatvis(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof FeatvisError, `expected a FeatvisError, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  assert.match(caught.message, pattern);
  assert.ok(!caught.message.includes('\n'), 'one-line message');
}

/** A trap: if any parsed text were evaluated, this global would flip. */
const TRAP = '__featvisJsLiteralTrap';
const trapCode = `(globalThis.${TRAP}=1)`;
function assertNotExecuted(): void {
  assert.equal((globalThis as Record<string, unknown>)[TRAP], undefined, 'text was executed');
}

/** A bundle like nsfwjs's (browserify UMD prelude, then the module body). */
function bundle(body: string): string {
  return (
    '!function(a){if("object"==typeof exports&&"undefined"!=typeof module)module.exports=a();else{(window).model=a()}}' +
    '(function(){return function a(n,i,e){function t(o,s){var c=i[o]={exports:{}};n[o][0].call(c.exports,function(a){return t(n[o][1][a]||a)},c,c.exports,a,n,i,e);return i[o].exports}for(var o=0;o<e.length;o++)t(e[o]);return t}' +
    `({1:[function(a,n,i){${body}},{}]},{},[1])(1)});`
  );
}

describe('JS literal reader', () => {
  test('numbers: .5, -.5, exponents, integers, 1.', () => {
    assert.deepEqual(parseJsLiteralWhole('[.5,-.5,1e3,2.5E-3,-7,0,1.,-0.25,.76,3e+2]'), [0.5, -0.5, 1000, 0.0025, -7, 0, 1, -0.25, 0.76, 300]);
    assert.equal(parseJsLiteralWhole('.0029904448518566057'), 0.0029904448518566057);
  });

  test('strings: both quotes and every escape', () => {
    assert.equal(parseJsLiteralWhole(`"a\\"b'c"`), `a"b'c`);
    assert.equal(parseJsLiteralWhole(`'a\\'b"c'`), `a'b"c`);
    assert.equal(parseJsLiteralWhole(String.raw`"\n\t\r\b\f\v\0\\\/\x41\u00e9\u{1F600}"`), '\n\t\r\b\f\v\0\\/A\u00e9\u{1F600}');
    assert.equal(parseJsLiteralWhole('"line\\\ncontinued"'), 'linecontinued');
    assert.equal(parseJsLiteralWhole('"}]){,:"'), '}]){,:');
    assert.equal(parseJsLiteralWhole('""'), '');
  });

  test('objects: unquoted, quoted and numeric keys, nesting, !0/!1, true/false/null, trailing commas', () => {
    const v = parseJsLiteralWhole(`{a:1,"b c":[1,[2,[3,{d:!0}]]],'e':{f:!1,g:null,h:true,i:false},$j_1:[],k:{},0:"Drawing",1:'Hentai',}`);
    assert.deepEqual(v, { a: 1, 'b c': [1, [2, [3, { d: true }]]], e: { f: false, g: null, h: true, i: false }, $j_1: [], k: {}, '0': 'Drawing', '1': 'Hentai' });
    assert.deepEqual(parseJsLiteralWhole(' { x : [ 1 , 2 , ] } '), { x: [1, 2] });
    // A real nsfwjs-style fragment.
    const layer = parseJsLiteralWhole('{name:"batch_normalization_1",class_name:"BatchNormalization",config:{trainable:!1,axis:3,momentum:.99,epsilon:.001,center:!0,scale:!1,beta_regularizer:null},inbound_nodes:[[["conv2d_1",0,0,{}]]]}');
    assert.deepEqual(layer, {
      name: 'batch_normalization_1',
      class_name: 'BatchNormalization',
      config: { trainable: false, axis: 3, momentum: 0.99, epsilon: 0.001, center: true, scale: false, beta_regularizer: null },
      inbound_nodes: [[['conv2d_1', 0, 0, {}]]],
    });
  });

  test('parseJsLiteral returns the end offset', () => {
    const r = parseJsLiteral('xx{a:[1]} tail', 2);
    assert.deepEqual(r.value, { a: [1] });
    assert.equal(r.end, 9);
  });

  test('hostile or non-data text → clear FeatvisError, nothing executed', () => {
    const cases: Array<[string, RegExp]> = [
      [`{a:${trapCode}}`, /unexpected character '\('/],
      [`{a:require("fs")}`, /identifier 'require' where a value belongs/],
      [`{a:process.exit(1)}`, /identifier 'process'/],
      [`{a:undefined}`, /identifier 'undefined'/],
      [`{a:NaN}`, /identifier 'NaN'/],
      [`{a:Infinity}`, /identifier 'Infinity'/],
      [`{a:1/0}`, /expected ',' or '}'/],
      [`{a:-b}`, /malformed number/],
      [`{a:\`tpl\${x}\`}`, /unexpected character '`'/],
      [`{a:function(){}}`, /identifier 'function'/],
      [`{a:()=>1}`, /unexpected character '\('/],
      [`{[k]:1}`, /expected a property name/],
      [`{a:1 b:2}`, /expected ',' or '}'/],
      [`{get a(){return 1}}`, /expected ':'/],
      [`{...x}`, /expected a property name/],
      [`{__proto__:{polluted:1}}`, /property '__proto__'/],
      [`[1,,2]`, /array hole/],
      [`{a:0x10}`, /malformed number/],
      [`{a:010}`, /legacy octal number/],
      [`{a:1n}`, /malformed number/],
      [`{a:!x}`, /unsupported expression/],
      [`{a:!0.5}`, /unsupported expression/],
      [`"unterminated`, /unterminated string/],
      [`"a\nb"`, /line break inside a string/],
      [`"\\x4"`, /malformed escape/],
      [`"\\u{110000}"`, /code point out of range/],
      [`"\\1"`, /octal escape/],
      [`{a:[1,2}`, /expected ',' or ']'/],
      [`{a:1`, /expected ',' or '}'/],
      [``, /unexpected end of text/],
    ];
    for (const [text, pattern] of cases) throwsFeatvis(() => parseJsLiteralWhole(text, 'test.js'), pattern);
    throwsFeatvis(() => parseJsLiteralWhole('{a:1} + 1', 'test.js'), /unexpected text after the literal/);
    throwsFeatvis(() => parseJsLiteralWhole('['.repeat(300) + ']'.repeat(300)), /nesting deeper than 256/);
    throwsFeatvis(() => parseJsLiteralWhole('[1,2,3,4,5]', 'x', { maxValues: 4 }), /more than 4 values/);
    assertNotExecuted();
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('exportedLiteral finds the data module body and skips the UMD prelude', () => {
    const model = bundle('n.exports={modelTopology:{keras_version:"2.2.4"},weightsManifest:[{paths:["group1-shard1of1"],weights:[]}]}');
    assert.deepEqual(exportedLiteral(model, 'model.min.js', 'object'), { modelTopology: { keras_version: '2.2.4' }, weightsManifest: [{ paths: ['group1-shard1of1'], weights: [] }] });
    assert.equal(exportedLiteral(bundle('h.exports="AAEC"'), 'shard', 'string'), 'AAEC');
    throwsFeatvis(() => exportedLiteral('var x = {a:1};', 'f.js', 'object'), /no 'exports=' assignment found/);
    throwsFeatvis(() => exportedLiteral(bundle('n.exports={a:1};m.exports={b:2}'), 'f.js', 'object'), /2 'exports=' assignments of an object literal, expected one/);
    throwsFeatvis(() => exportedLiteral(bundle(`n.exports={a:1}+${trapCode}`), 'f.js', 'object'), /followed by '\+\(globalThis/);
    throwsFeatvis(() => exportedLiteral(bundle(`n.exports=${trapCode}`), 'f.js', 'object'), /no 'exports=' assignment of an object literal/);
    assertNotExecuted();
  });
});

describe('nsfwjs bundle readers (synthetic bundles)', () => {
  const bytes = Uint8Array.from({ length: 48 }, (_, i) => (i * 37) & 255);
  const b64 = Buffer.from(bytes).toString('base64');

  test('nsfwjs not installed → an error naming the install command; unknown ids listed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-no-nsfwjs-'));
    try {
      throwsFeatvis(() => nsfwjsPackageDir(dir), /the nsfwjs package is not installed: run `npm install nsfwjs@4\.4\.0` in /);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await assert.rejects(loadModel('nsfwjs:resnet'), /unknown nsfwjs model 'resnet': known are nsfwjs:inception_v3, nsfwjs:mobilenet_v2, nsfwjs:mobilenet_v2_mid/);
  });

  test('a shard: the one base64 string literal → its bytes', () => {
    assert.deepEqual(readShardBundle(bundle(`h.exports="${b64}"`), 'shard'), bytes);
  });

  test('hostile shards → clear FeatvisError, nothing executed', () => {
    throwsFeatvis(() => readShardBundle(bundle(`h.exports=atob("${b64}")`), 'shard'), /no 'exports=' assignment of a string literal/);
    throwsFeatvis(() => readShardBundle(bundle(`h.exports=${trapCode}||"${b64}"`), 'shard'), /no 'exports=' assignment of a string literal/);
    throwsFeatvis(() => readShardBundle(bundle(`h.exports="${b64}"+${trapCode}`), 'shard'), /an expression, not plain data/);
    throwsFeatvis(() => readShardBundle(bundle(`h.exports="${b64.slice(0, -3)}"`), 'shard'), /not complete base64 .*truncated or corrupt shard/);
    throwsFeatvis(() => readShardBundle(bundle(`h.exports="${b64.slice(0, 20)}!@#$${b64.slice(24)}"`), 'shard'), /not complete base64/);
    throwsFeatvis(() => readShardBundle(`h.exports="${b64.slice(0, 30)}`, 'shard'), /unterminated string/);
    assertNotExecuted();
  });

  test('a model bundle: topology + manifest; a literal with a call or identifier value is refused', () => {
    const ok = readModelBundle(bundle('n.exports={modelTopology:{a:1},weightsManifest:[{paths:["g1"],weights:[{name:"w",shape:[2],dtype:"float32"}]}]}'), 'model.min.js');
    assert.deepEqual(ok.manifest, [{ paths: ['g1'], weights: [{ name: 'w', shape: [2], dtype: 'float32' }] }]);
    throwsFeatvis(() => readModelBundle(bundle(`n.exports={modelTopology:{a:${trapCode}},weightsManifest:[]}`), 'model.min.js'), /unexpected character '\('/);
    throwsFeatvis(() => readModelBundle(bundle('n.exports={modelTopology:{a:window.x},weightsManifest:[]}'), 'model.min.js'), /identifier 'window' where a value belongs/);
    throwsFeatvis(() => readModelBundle(bundle('n.exports={modelTopology:{a:1}}'), 'model.min.js'), /not a TF.js model.json/);
    throwsFeatvis(() => readModelBundle(bundle('n.exports={modelTopology:{},weightsManifest:[{paths:"g1",weights:[]}]}'), 'model.min.js'), /needs 'paths' and 'weights'/);
    assertNotExecuted();
  });

  test('a bundled model folder: byte totals checked against the manifest, sizes bounded, plain shard names only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-bundle-'));
    try {
      const manifest = (paths: string[], weights: string): string => `n.exports={modelTopology:{class_name:"Model"},weightsManifest:[{paths:${JSON.stringify(paths)},weights:${weights}}]}`;
      // 8 float32 (32 bytes) + 16 uint8-quantised (16 bytes) = 48 bytes.
      const weights = '[{name:"a",shape:[2,4],dtype:"float32"},{name:"b",shape:[16],dtype:"float32",quantization:{min:-1,scale:.01,dtype:"uint8"}}]';
      fs.writeFileSync(path.join(dir, 'model.min.js'), bundle(manifest(['group1-shard1of2', 'group1-shard2of2'], weights)));
      fs.writeFileSync(path.join(dir, 'group1-shard1of2.min.js'), bundle(`h.exports="${Buffer.from(bytes.subarray(0, 30)).toString('base64')}"`));
      fs.writeFileSync(path.join(dir, 'group1-shard2of2.min.js'), bundle(`h.exports="${Buffer.from(bytes.subarray(30)).toString('base64')}"`));
      const { artifacts, fingerprint } = readBundledModel(dir, 'test');
      assert.equal((artifacts.weightData as ArrayBuffer).byteLength, 48);
      assert.deepEqual(new Uint8Array(artifacts.weightData as ArrayBuffer), bytes);
      assert.match(fingerprint, /^[0-9a-f]{16}$/);

      // Missing bytes (a shorter shard) and extra bytes.
      fs.writeFileSync(path.join(dir, 'group1-shard2of2.min.js'), bundle(`h.exports="${Buffer.from(bytes.subarray(30, 45)).toString('base64')}"`));
      throwsFeatvis(() => readBundledModel(dir, 'test'), /hold 45 bytes but the manifest describes 48: truncated weight data/);
      fs.writeFileSync(path.join(dir, 'group1-shard2of2.min.js'), bundle(`h.exports="${Buffer.from([...bytes.subarray(30), 1, 2, 3]).toString('base64')}"`));
      throwsFeatvis(() => readBundledModel(dir, 'test'), /hold 51 bytes but the manifest describes 48: extra or corrupt/);
      // A shard file over the size bound is refused before it is read.
      fs.truncateSync(path.join(dir, 'group1-shard2of2.min.js'), MAX_BUNDLE_FILE_BYTES + 1);
      throwsFeatvis(() => readBundledModel(dir, 'test'), /over the 67108864-byte limit/);
      fs.rmSync(path.join(dir, 'group1-shard2of2.min.js'));
      throwsFeatvis(() => readBundledModel(dir, 'test'), /file missing .*npm install nsfwjs@4\.4\.0/);
      // Paths that would leave the folder, and unknown dtypes.
      fs.writeFileSync(path.join(dir, 'model.min.js'), bundle(manifest(['../../etc/passwd'], weights)));
      throwsFeatvis(() => readBundledModel(dir, 'test'), /weight path '\.\.\/\.\.\/etc\/passwd' is not a plain shard name/);
      fs.writeFileSync(path.join(dir, 'model.min.js'), bundle(manifest(['g'], '[{name:"s",shape:[1],dtype:"string"}]')));
      fs.writeFileSync(path.join(dir, 'g.min.js'), bundle('h.exports="AAAA"'));
      throwsFeatvis(() => readBundledModel(dir, 'test'), /unsupported dtype 'string'/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
