/** The nsfwjs devDependency (its bundled models are test fixtures for real InceptionV3 weights). */
import fs from 'node:fs';
import path from 'node:path';
import { tf } from '../../src/backend/tf.js';
import { FeatvisError } from '../../src/core/errors.js';
import { nsfwjsPackageDir, readBundledModel } from '../../src/models/nsfwjs.js';

/** A skip reason when nsfwjs is not installed (and FEATVIS_REQUIRE_NSFWJS is unset), else false. */
export function skipWithoutNsfwjs(): string | false {
  try {
    nsfwjsPackageDir();
    return false;
  } catch (err) {
    if (!(err instanceof FeatvisError)) throw err;
    if (process.env.FEATVIS_REQUIRE_NSFWJS) throw new Error(`nsfwjs is required (FEATVIS_REQUIRE_NSFWJS): ${err.message}`);
    return err.message;
  }
}

/** One tensor of weights.bin: its name, shape and float offset. */
export interface ExportedWeight {
  name: string;
  shape: number[];
  offset: number;
}

/**
 * Writes nsfwjs's InceptionV3 weights, dequantised exactly as tfjs decodes
 * them for both featvis routes, to `<dir>/weights.bin` (float32, in manifest
 * order) for the Python references (Keras in the tests, torch in the bench);
 * returns where each tensor lies.
 */
export function exportNsfwjsInceptionWeights(dir: string): ExportedWeight[] {
  const { artifacts } = readBundledModel(path.join(nsfwjsPackageDir().dir, 'dist', 'models', 'inception_v3'), 'nsfwjs:inception_v3');
  const named = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  const entries: ExportedWeight[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(named)) {
    const data = t.dataSync() as Float32Array;
    entries.push({ name, shape: [...t.shape], offset });
    chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    offset += data.length;
  }
  tf.dispose(Object.values(named));
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat(chunks));
  return entries;
}
