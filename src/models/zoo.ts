/**
 * The model zoo: ids for networks featvis can fetch from their official source
 * (download once into the cache, see src/io/cache.ts), plus the loader for
 * Keras `.h5` files of a known architecture.
 *
 *   loadModel('inceptionv3')                 // Keras applications InceptionV3, ImageNet
 *   loadModel('/path/inception_v3_weights_tf_dim_ordering_tf_kernels.h5')
 *
 * Offline: the error names the file, its official URL and where to place it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { dataFile } from '../core/paths.js';
import { ensureCached, type RemoteFile } from '../io/cache.js';
import { FeatvisError } from '../core/errors.js';
import { looksLikeInceptionV3 } from './inceptionV3.js';
import { loadInceptionV3 } from './kerasInception.js';
import { readKerasWeightsFile } from './kerasH5.js';
import { readSidecar, type LoadOptions, type ModelLoader } from './sidecar.js';
import type { FeatModel } from '../core/types.js';

export interface ZooEntry {
  id: string;
  description: string;
  /** The official weights file. */
  weights: RemoteFile;
  /** Where the weights come from and under which terms, for reports. */
  source: string;
  build(weightsFile: string, opts: LoadOptions): FeatModel;
}

const labelsFile = (): string => dataFile('imagenet_labels_1000.txt');

let imagenetCache: string[] | null = null;
/** The 1000 ImageNet class names in Keras' index order (data/imagenet_labels_1000.txt). */
export function imagenetLabels(): string[] {
  if (!imagenetCache) {
    const lines = fs
      .readFileSync(labelsFile(), 'utf8')
      .split('\n')
      .map((l) => l.trimEnd())
      .filter((l) => l.length > 0 && !l.startsWith('#'));
    if (lines.length !== 1000) throw new FeatvisError(`${labelsFile()} has ${lines.length} class names, expected 1000`);
    imagenetCache = lines;
  }
  return [...imagenetCache];
}

const KERAS_APPS = 'https://storage.googleapis.com/tensorflow/keras-applications';

export const ZOO: Readonly<Record<string, ZooEntry>> = Object.freeze({
  inceptionv3: {
    id: 'inceptionv3',
    description: 'Keras applications InceptionV3, ImageNet (299×299, inputs in [-1, 1])',
    source: 'keras-applications (Apache-2.0), weights converted by the Keras team from the TF-slim ImageNet checkpoint',
    weights: {
      url: `${KERAS_APPS}/inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels.h5`,
      cacheName: 'keras/inception_v3_weights_tf_dim_ordering_tf_kernels.h5',
      // md5 as published in keras/src/applications/inception_v3.py (file_hash).
      hash: '9a0d58056eeedaa3f26cb7ebd46da564',
      description: 'Keras InceptionV3 ImageNet weights (inception_v3_weights_tf_dim_ordering_tf_kernels.h5, 92 MB)',
    },
    build: (file, opts) =>
      loadInceptionV3(file, {
        includeTop: true,
        name: opts.name ?? 'inceptionv3',
        labels: opts.labels ?? imagenetLabels(),
        ...(opts.preprocess ? { preprocess: opts.preprocess } : {}),
      }),
  },
});

function zooId(source: string): string | null {
  const id = source.toLowerCase();
  return Object.prototype.hasOwnProperty.call(ZOO, id) ? id : null;
}

/** Loads a zoo model, downloading its weights into the cache on first use. */
export async function loadZooModel(source: string, opts: LoadOptions = {}): Promise<FeatModel> {
  const id = zooId(source);
  if (!id) throw new FeatvisError(`unknown model id '${source}'. Known ids: ${Object.keys(ZOO).join(', ')}`);
  const entry = ZOO[id]!;
  const file = await ensureCached(entry.weights);
  return entry.build(file, opts);
}

/** Loads a Keras `.h5` weights file whose architecture featvis knows (from its layer names). */
export async function loadKerasH5Model(source: string, opts: LoadOptions = {}): Promise<FeatModel> {
  if (!fs.existsSync(source)) throw new FeatvisError(`model file not found: ${source}`);
  const wf = readKerasWeightsFile(source);
  const names = wf.layers.map((l) => l.name);
  const side = readSidecar(source);
  if (looksLikeInceptionV3(names)) {
    const classes = wf.layers.find((l) => l.name === 'predictions')?.weights.find((w) => w.shape.length === 2)?.shape[1];
    const labels = opts.labels ?? side.labels ?? (classes === 1000 ? imagenetLabels() : undefined);
    const preprocess = { ...side.preprocess, ...opts.preprocess };
    return loadInceptionV3(wf, {
      name: opts.name ?? side.name ?? path.basename(source).replace(/\.(weights\.)?(h5|hdf5)$/i, ''),
      ...(labels ? { labels } : {}),
      ...(Object.keys(preprocess).length ? { preprocess } : {}),
    });
  }
  throw new FeatvisError(
    `${source}: unrecognised Keras architecture (${wf.layout}, ${names.length} layers: ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}). ` +
      `featvis builds Keras .h5 weights only for known architectures: InceptionV3 (layers mixed0 … mixed10). ` +
      `Convert other models to TF.js (tensorflowjs_converter) and load the model.json.`,
  );
}

/** The loaders this module provides, for src/models/load.ts to register. */
export function zooLoaders(): ModelLoader[] {
  return [
    { name: 'zoo', matches: (s) => zooId(s) !== null, load: loadZooModel },
    { name: 'keras-h5', matches: (s) => /\.(h5|hdf5)$/i.test(s) && !/^https?:/i.test(s), load: loadKerasH5Model },
  ];
}
