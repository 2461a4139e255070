/**
 * TF.js artifacts (from a model.json folder, a URL or a bundle such as
 * nsfwjs's) → FeatModel. GraphModels run as TF.js graphs; Keras InceptionV3
 * LayersModels go to featvis's own builder (kerasInception.ts) unless the
 * caller asks for the TF.js runtime; every other LayersModel runs in TF.js with
 * BatchNormalization layers completed so gradients flow (tfjsBatchNorm.ts).
 */
import { tf, type ModelArtifacts } from '../backend/tf.js';
import { FeatvisError } from '../core/errors.js';
import type { FeatModel, Preprocess } from '../core/types.js';
import { looksLikeInceptionV3 } from './inceptionV3.js';
import { inceptionV3FromTfjs } from './kerasInception.js';
import { readKerasTopology } from './kerasTopology.js';
import { completeBatchNorm } from './tfjsBatchNorm.js';
import { GraphFeatModelTfjs, LayersFeatModel } from './tfjsModel.js';
import { isGraphModelArtifacts } from './tfjsFiles.js';
import { attachFingerprint } from './fingerprint.js';

export interface TfjsLoadInfo {
  /** The source, for messages. */
  source: string;
  name: string;
  fingerprint?: string;
  /** Preprocessing; `size` is taken from the model's input layer unless `sizeGiven`. */
  preprocess: Preprocess;
  sizeGiven: boolean;
  labels?: string[];
  suggestedLayer?: string;
  notes?: readonly string[];
  runtime?: 'featvis' | 'tfjs';
}

function isInceptionTopology(artifacts: ModelArtifacts): boolean {
  const topo = readKerasTopology(artifacts.modelTopology);
  return topo !== null && looksLikeInceptionV3(topo.layers.map((l) => l.name));
}

export async function featModelFromTfjsArtifacts(artifacts: ModelArtifacts, info: TfjsLoadInfo): Promise<FeatModel> {
  const notes = [...(info.notes ?? [])];
  const common = {
    name: info.name,
    preprocess: { ...info.preprocess },
    ...(info.fingerprint ? { fingerprint: info.fingerprint } : {}),
    ...(info.labels ? { labels: info.labels } : {}),
    ...(info.suggestedLayer ? { suggestedLayer: info.suggestedLayer } : {}),
  };
  try {
    if (isGraphModelArtifacts(artifacts)) {
      return new GraphFeatModelTfjs(await tf.loadGraphModel(tf.io.fromMemory(artifacts)), { ...common, notes });
    }
    if (info.runtime !== 'tfjs' && isInceptionTopology(artifacts)) {
      const { size, ...rest } = info.preprocess;
      const built = inceptionV3FromTfjs(artifacts, {
        name: info.name,
        preprocess: info.sizeGiven ? { ...rest, size } : rest,
        ...(info.labels ? { labels: info.labels } : {}),
        ...(info.suggestedLayer ? { suggestedLayer: info.suggestedLayer } : {}),
        notes,
      });
      if ('model' in built) return info.fingerprint ? attachFingerprint(built.model, info.fingerprint) : built.model;
      notes.push(`runs as a TF.js LayersModel: featvis's InceptionV3 builder does not fit it (${built.reason})`);
    }
    const fixed = completeBatchNorm(artifacts);
    const m = await tf.loadLayersModel(tf.io.fromMemory(fixed.artifacts));
    const inShape = m.inputs[0]?.shape;
    if (!info.sizeGiven && inShape && inShape[1] && inShape[2]) common.preprocess.size = [inShape[1], inShape[2]];
    return new LayersFeatModel(m, { ...common, notes });
  } catch (err) {
    if (err instanceof FeatvisError) throw err;
    throw new FeatvisError(`could not build the TF.js model from ${info.source}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
