/**
 * Model sources `nsfwjs:inception_v3`, `nsfwjs:mobilenet_v2`,
 * `nsfwjs:mobilenet_v2_mid`: the networks bundled in the npm package nsfwjs
 * (4.4.0), read from its `dist/models/<id>/` as data. Each model is a
 * browserify bundle: `model.min.js` exports the model.json object as a JS
 * object literal and each `group1-shardNofM.min.js` exports one base64 string
 * of shard bytes. featvis parses those literals (src/io/jsLiteral.ts); the
 * JS modules are never required, imported or evaluated.
 *
 * `nsfwjs:inception_v3` is a real Keras 2.2.4 InceptionV3 (299 px): its first
 * layers (through mixed5, `trainable: false`) kept Keras's ImageNet kernels,
 * the rest was fine-tuned for nsfwjs's 5 classes, with its own dense head.
 * nsfwjs is a devDependency of featvis (tests, notebooks): users add it with
 * `npm install nsfwjs@4.4.0` to use these sources.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FeatvisError } from '../core/errors.js';
import { packageRoot } from '../core/paths.js';
import type { FeatModel } from '../core/types.js';
import { exportedLiteral, isJsObject } from '../io/jsLiteral.js';
import { weightsFingerprint } from './fingerprint.js';
import type { LoadOptions, ModelLoader } from './sidecar.js';
import { artifactsFromMemory, checkManifest } from './tfjsArtifacts.js';
import type { ModelArtifacts } from '../backend/tf.js';
import { featModelFromTfjsArtifacts } from './tfjsLoad.js';

/** The nsfwjs release whose bundles featvis was checked against. */
export const NSFWJS_VERSION = '4.4.0';

/** nsfwjs's output classes in its order (nsfwjs dist/esm/nsfw_classes.js, `NSFW_CLASSES`). */
export const NSFWJS_LABELS: readonly string[] = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

export interface NsfwjsModelInfo {
  id: string;
  description: string;
  /** Input size nsfwjs resizes images to (its `options.size`: 299 for InceptionV3, else its default 224). */
  size: number;
  suggestedLayer: string;
}

export const NSFWJS_MODELS: Readonly<Record<string, NsfwjsModelInfo>> = Object.freeze({
  inception_v3: { id: 'inception_v3', description: 'Keras 2.2.4 InceptionV3, ImageNet-initialised, fine-tuned for 5 classes', size: 299, suggestedLayer: 'mixed5' },
  mobilenet_v2: { id: 'mobilenet_v2', description: 'Keras 2.2.4 MobileNetV2, fine-tuned for 5 classes', size: 224, suggestedLayer: 'block_9_add' },
  mobilenet_v2_mid: {
    id: 'mobilenet_v2_mid',
    description: 'TF Hub MobileNetV2 (TF.js GraphModel), fine-tuned for 5 classes',
    size: 224,
    suggestedLayer: 'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/MobilenetV2/expanded_conv_9/add',
  },
});

/** Largest bundle file read (the biggest nsfwjs shard is 5.6 MB). */
export const MAX_BUNDLE_FILE_BYTES = 64 << 20;
const MAX_SHARDS = 64;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** nsfwjs's package folder, found by Node's module resolution from featvis's package root (or `from`). */
export function nsfwjsPackageDir(from = packageRoot()): { dir: string; version: string } {
  const req = createRequire(path.join(from, 'package.json'));
  for (const base of req.resolve.paths('nsfwjs') ?? []) {
    const pj = path.join(base, 'nsfwjs', 'package.json');
    if (!fs.existsSync(pj)) continue;
    try {
      const j = JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: unknown; version?: unknown };
      if (j.name === 'nsfwjs') return { dir: path.dirname(pj), version: typeof j.version === 'string' ? j.version : 'unknown' };
    } catch {
      // an unreadable package.json: keep looking
    }
  }
  throw new FeatvisError(`the nsfwjs package is not installed: run \`npm install nsfwjs@${NSFWJS_VERSION}\` in ${from} to use the nsfwjs: models`);
}

function readBounded(file: string, label: string): string {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    throw new FeatvisError(`${label}: file missing (${file}): reinstall with \`npm install nsfwjs@${NSFWJS_VERSION}\``);
  }
  if (size > MAX_BUNDLE_FILE_BYTES) throw new FeatvisError(`${label}: ${size} bytes is over the ${MAX_BUNDLE_FILE_BYTES}-byte limit for a bundled model file`);
  return fs.readFileSync(file, 'utf8');
}

/** The bytes of one shard bundle (`exports="<base64>"`). */
export function readShardBundle(text: string, label: string): Uint8Array {
  const b64 = exportedLiteral(text, label, 'string');
  if (typeof b64 !== 'string') throw new FeatvisError(`${label}: the exported value is not a string`);
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) throw new FeatvisError(`${label}: the exported string is not complete base64 (${b64.length} characters): truncated or corrupt shard`);
  const buf = Buffer.from(b64, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** The model.json object of one model bundle (`exports={modelTopology:…, weightsManifest:…}`). */
export function readModelBundle(text: string, label: string): { topology: unknown; manifest: ReturnType<typeof checkManifest>; format?: string } {
  const j = exportedLiteral(text, label, 'object');
  if (!isJsObject(j) || !isJsObject(j.modelTopology) || j.weightsManifest === undefined) {
    throw new FeatvisError(`${label}: the exported object is not a TF.js model.json (it needs modelTopology and weightsManifest)`);
  }
  const manifest = checkManifest(j.weightsManifest, label);
  return { topology: j.modelTopology, manifest, ...(typeof j.format === 'string' ? { format: j.format } : {}) };
}

/** TF.js artifacts of a bundled model folder (model.min.js + group*-shard*.min.js). */
export function readBundledModel(dir: string, label: string): { artifacts: ModelArtifacts; fingerprint: string } {
  const { topology, manifest, format } = readModelBundle(readBounded(path.join(dir, 'model.min.js'), `${label} model.min.js`), `${label} model.min.js`);
  const paths = manifest.flatMap((g) => g.paths);
  if (paths.length > MAX_SHARDS) throw new FeatvisError(`${label}: ${paths.length} weight shards is more than the ${MAX_SHARDS} accepted`);
  const shards = paths.map((p) => {
    if (!/^[A-Za-z0-9_-]+$/.test(p)) throw new FeatvisError(`${label}: weight path '${p}' is not a plain shard name`);
    const f = `${p}.min.js`;
    return readShardBundle(readBounded(path.join(dir, f), `${label} ${f}`), `${label} ${f}`);
  });
  return { artifacts: artifactsFromMemory(topology, manifest, shards, label, format), fingerprint: weightsFingerprint(shards) };
}

function notesFor(info: NsfwjsModelInfo, version: string, opts: LoadOptions): string[] {
  const notes: string[] = [];
  if (opts.preprocess?.range === undefined) {
    notes.push(`preprocessing is a guess: RGB in [0, 1] at ${info.size}×${info.size} is how nsfwjs feeds images (x/255, bilinear resize); the model file does not state it`);
  }
  if (info.id === 'inception_v3') {
    notes.push("frozen layers (trainable: false, conv2d_1 … mixed5 and conv2d_55) kept Keras's ImageNet InceptionV3 kernels; the others were fine-tuned for nsfwjs's 5 classes");
  }
  if (version !== NSFWJS_VERSION) notes.push(`nsfwjs ${version} is installed; featvis was checked against ${NSFWJS_VERSION}`);
  return notes;
}

export async function loadNsfwjsModel(source: string, opts: LoadOptions = {}): Promise<FeatModel> {
  const id = source.slice('nsfwjs:'.length);
  const info = Object.prototype.hasOwnProperty.call(NSFWJS_MODELS, id) ? NSFWJS_MODELS[id] : undefined;
  if (!info) throw new FeatvisError(`unknown nsfwjs model '${id}': known are ${Object.keys(NSFWJS_MODELS).map((k) => `nsfwjs:${k}`).join(', ')}`);
  const pkg = nsfwjsPackageDir();
  const dir = path.join(pkg.dir, 'dist', 'models', id);
  if (!fs.existsSync(dir)) throw new FeatvisError(`nsfwjs ${pkg.version} has no dist/models/${id}: install \`npm install nsfwjs@${NSFWJS_VERSION}\``);
  const { artifacts, fingerprint } = readBundledModel(dir, `nsfwjs:${id}`);
  return featModelFromTfjsArtifacts(artifacts, {
    source,
    name: opts.name ?? source,
    fingerprint,
    preprocess: { size: [info.size, info.size], range: [0, 1], channelOrder: 'RGB', ...opts.preprocess },
    sizeGiven: true,
    labels: opts.labels ?? [...NSFWJS_LABELS],
    suggestedLayer: info.suggestedLayer,
    notes: notesFor(info, pkg.version, opts),
    ...(opts.runtime ? { runtime: opts.runtime } : {}),
  });
}

/** The loader this module provides, for src/models/load.ts to register. */
export function nsfwjsLoaders(): ModelLoader[] {
  return [{ name: 'nsfwjs', matches: (s) => s.startsWith('nsfwjs:'), load: loadNsfwjsModel }];
}
