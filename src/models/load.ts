/**
 * `loadModel(source)`: one entry point for every model featvis can open.
 * source: a zoo id (see zoo.ts), a path to a `.tflite`, a TF.js `model.json`
 * (or its folder), a Keras `.h5` (with a known architecture), or a URL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FeatvisError } from '../core/errors.js';
import { checkName } from '../core/check.js';
import { readTfjsArtifacts } from './tfjsFiles.js';
import { featModelFromTfjsArtifacts } from './tfjsLoad.js';
import { weightBytes } from './tfjsArtifacts.js';
import type { FeatModel, Preprocess } from '../core/types.js';
import { zooLoaders } from './zoo.js';
import { readSidecar, type LoadOptions, type ModelLoader } from './sidecar.js';
import { dataFile } from '../core/paths.js';
import { tfliteLoaders } from './tflite.js';
import { nsfwjsLoaders } from './nsfwjs.js';
import { attachFingerprint, weightsFingerprint } from './fingerprint.js';
import { fileDigest } from '../io/cache.js';

export { readSidecar, type LoadOptions, type ModelLoader, type Sidecar } from './sidecar.js';

const loaders: ModelLoader[] = [];

export function registerLoader(loader: ModelLoader): void {
  const i = loaders.findIndex((l) => l.name === loader.name);
  if (i >= 0) loaders.splice(i, 1);
  loaders.unshift(loader);
}

const DEFAULT_PREPROCESS: Preprocess = { size: [224, 224], range: [-1, 1], channelOrder: 'RGB' };

async function loadTfjs(source: string, opts: LoadOptions): Promise<FeatModel> {
  const side = /^https?:/.test(source) ? {} : readSidecar(source);
  const artifacts = await readTfjsArtifacts(source);
  const preprocess: Preprocess = { ...DEFAULT_PREPROCESS, ...side.preprocess, ...opts.preprocess };
  const name = opts.name ?? side.name ?? path.basename(source.endsWith('.json') ? path.dirname(source) : source.replace(/\/+$/, ''));
  const labels = opts.labels ?? side.labels;
  return featModelFromTfjsArtifacts(artifacts, {
    source,
    name,
    fingerprint: weightsFingerprint([weightBytes(artifacts)]),
    preprocess,
    sizeGiven: !!(opts.preprocess?.size ?? side.preprocess?.size),
    ...(labels ? { labels } : {}),
    ...(side.suggestedLayer ? { suggestedLayer: side.suggestedLayer } : {}),
    ...(opts.runtime ? { runtime: opts.runtime } : {}),
  });
}

/** Models shipped inside featvis (data/<id>/model.json), usable offline anywhere. */
export const EMBEDDED_MODELS: readonly string[] = ['featvis-imagenette'];

registerLoader({
  name: 'embedded',
  matches: (s) => EMBEDDED_MODELS.includes(s),
  load: (s, opts) => {
    const dir = dataFile(s);
    if (!fs.existsSync(path.join(dir, 'model.json'))) throw new FeatvisError(`the embedded model '${s}' is missing from ${dir} (a broken checkout?)`);
    return loadTfjs(dir, opts);
  },
});

registerLoader({
  name: 'tfjs',
  matches: (s) => s.endsWith('.json') || (fs.existsSync(s) && fs.statSync(s).isDirectory() && fs.existsSync(path.join(s, 'model.json'))),
  load: loadTfjs,
});

// Zoo ids ('inceptionv3', …), Keras .h5 files, .tflite files and nsfwjs:<id> bundles.
for (const l of [...zooLoaders(), ...tfliteLoaders(), ...nsfwjsLoaders()]) registerLoader(l);

export async function loadModel(source: string, opts: LoadOptions = {}): Promise<FeatModel> {
  checkName('loadModel()', 'source', source);
  const loader = loaders.find((l) => l.matches(source));
  if (!loader) {
    if (!/^https?:/.test(source) && !fs.existsSync(source)) throw new FeatvisError(`model not found: '${source}' is neither a file, a folder nor a known model id`);
    throw new FeatvisError(`unsupported model format: ${source} (supported: TF.js model.json, .tflite, Keras .h5 of a known architecture, zoo ids)`);
  }
  const model = await loader.load(source, opts);
  // Single-file formats (.tflite, .h5): fingerprint the file itself.
  if (!model.fingerprint && fs.existsSync(source) && fs.statSync(source).isFile()) return attachFingerprint(model, fileDigest(source, 'sha256').slice(0, 16));
  return model;
}
