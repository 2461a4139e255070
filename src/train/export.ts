/**
 * Writes a trained network as a TF.js LayersModel folder that
 * `loadModel(folder)` opens: model.json, weight shards and the featvis.json
 * sidecar ({name, preprocess, labels}). The fully convolutional training
 * model is rebuilt with a fixed input size so layer shapes are concrete.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tf, type LayersModel } from '../backend/tf.js';
import { writeFileAtomic } from '../data/image.js';
import type { Preprocess } from '../core/types.js';
import { buildModel, type ArchConfig } from './architecture.js';

export interface Sidecar {
  name: string;
  preprocess: Preprocess;
  labels: string[];
  [extra: string]: unknown;
}

const SHARD_BYTES = 4 << 20;

/** Copies `trained`'s weights into a fixed-size model (caller disposes the result). */
export function fixedSizeCopy(trained: LayersModel, arch: ArchConfig, size: number): LayersModel {
  const m = buildModel(arch, size, 0);
  m.setWeights(trained.getWeights());
  return m;
}

/** Saves `model` + sidecar into `dir`; returns the total weight bytes. */
export async function saveLayersModel(model: LayersModel, dir: string, sidecar: Sidecar): Promise<number> {
  let bytes = 0;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const wd = artifacts.weightData;
      const parts: ArrayBuffer[] = wd === undefined ? [] : Array.isArray(wd) ? wd : [wd];
      const all = Buffer.concat(parts.map((p) => Buffer.from(p)));
      bytes = all.length;
      const n = Math.max(1, Math.ceil(all.length / SHARD_BYTES));
      const paths = Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`);
      fs.mkdirSync(dir, { recursive: true });
      for (const f of fs.readdirSync(dir)) if (/^group\d+-shard\d+of\d+\.bin$/.test(f) && !paths.includes(f)) fs.rmSync(path.join(dir, f));
      paths.forEach((p, i) => writeFileAtomic(path.join(dir, p), all.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES)));
      const json = {
        format: 'layers-model',
        generatedBy: 'featvis train',
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
      };
      writeFileAtomic(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: all.length } };
    }),
  );
  writeFileAtomic(path.join(dir, 'featvis.json'), `${JSON.stringify(sidecar, null, 2)}\n`);
  return bytes;
}
