/**
 * What every model loader shares: load options, the loader interface, and the
 * `featvis.json` sidecar beside a model file. load.ts assembles the loaders;
 * the format modules (tflite, zoo, nsfwjs…) import only this file, never load.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FeatvisError } from '../core/errors.js';
import { readTextFile } from '../io/readFile.js';
import type { FeatModel, Preprocess } from '../core/types.js';

export interface LoadOptions {
  /** Overrides the preprocessing guessed or stored for the model. */
  preprocess?: Partial<Preprocess>;
  /** Class labels (one per output unit). */
  labels?: string[];
  /** Display name. */
  name?: string;
  /**
   * Which engine runs an architecture featvis knows (Keras InceptionV3 in a TF.js
   * model.json): 'featvis' (default) builds it with featvis's own graph, faster;
   * 'tfjs' runs the generic TF.js LayersModel.
   */
  runtime?: 'featvis' | 'tfjs';
}

/** Format-specific loaders register here (tflite, keras-h5, zoo…), keyed by a test on the source. */
export interface ModelLoader {
  name: string;
  matches(source: string): boolean;
  load(source: string, opts: LoadOptions): Promise<FeatModel>;
}

/** Reads featvis.json beside a model file: {name, preprocess, labels | labelsFile}. */
export interface Sidecar {
  name?: string;
  preprocess?: Partial<Preprocess>;
  labels?: string[];
  suggestedLayer?: string;
}

export function readSidecar(modelPath: string): Sidecar {
  const dir = fs.existsSync(modelPath) && fs.statSync(modelPath).isDirectory() ? modelPath : path.dirname(modelPath);
  const f = path.join(dir, 'featvis.json');
  if (!fs.existsSync(f)) return {};
  let j: Sidecar & { labelsFile?: string };
  try {
    j = JSON.parse(readTextFile(f, { what: 'featvis.json', maxBytes: 16 << 20 })) as Sidecar & { labelsFile?: string };
  } catch (err) {
    throw new FeatvisError(`${f} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const out: Sidecar = {};
  if (typeof j.suggestedLayer === 'string') out.suggestedLayer = j.suggestedLayer;
  if (j.name) out.name = j.name;
  if (j.preprocess) out.preprocess = j.preprocess;
  if (j.labels) out.labels = j.labels;
  else if (j.labelsFile) out.labels = readTextFile(path.join(dir, path.basename(j.labelsFile)), { what: 'labels file', maxBytes: 16 << 20 }).split('\n').filter((l) => l.length > 0);
  return out;
}
