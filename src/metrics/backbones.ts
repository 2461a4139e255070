/**
 * Offline backbones for the LPIPS-like metric: networks with real ImageNet
 * weights that need no download on a development machine. A backbone is a model
 * source, its preprocessing and the layers the metric taps; adding one is one
 * entry in BACKBONE_SPECS.
 *
 * LPIPS itself (richzhang/PerceptualSimilarity: calibrated heads on torchvision
 * backbones) stays the reference wherever its weights can be had; these are
 * "LPIPS-like": the same formula with every channel weight 1. Which one is the
 * default offline metric was decided by measurement (DEFAULT_OFFLINE_METRIC).
 */
import { FeatvisError } from '../core/errors.js';
import { BACKBONE_IDS } from './backboneIds.js';
import { sharedDir } from '../core/paths.js';
import type { FeatModel, LayerInfo, Preprocess } from '../core/types.js';
import { loadModel } from '../models/load.js';
import { modelIdentity } from '../models/fingerprint.js';
import { SQUEEZENET_CAFFE_LPIPS_LIKE_LAYERS, SQUEEZENET_CAFFE_PREPROCESS, createLpipsLike, type PerceptualMetric } from './lpips.js';

export interface BackboneSpec {
  id: string;
  title: string;
  /** The `loadModel` source. */
  source(): string;
  /** Preprocessing overrides (else the model's own). */
  preprocess?: Partial<Preprocess>;
  /** The tapped layers, chosen from the loaded model's layer list. */
  taps(layers: readonly LayerInfo[]): string[];
  /** The side the network was trained at (the metric compares images at the score's size). */
  nominalSize: number;
  /** Where the weights come from, for reports. */
  weights: string;
  /** What to do when the model cannot be loaded. */
  missing: string;
}

const fixed =
  (names: readonly string[]) =>
  (layers: readonly LayerInfo[]): string[] => {
    const known = new Set(layers.map((l) => l.name));
    const absent = names.filter((n) => !known.has(n));
    if (absent.length) throw new FeatvisError(`backbone taps missing from the model: ${absent.join(', ')}`);
    return [...names];
  };

const MNV2 = 'MobilenetV2';
const MNV1 = 'MobilenetV1/MobilenetV1';

export const BACKBONE_SPECS: Readonly<Record<string, BackboneSpec>> = Object.freeze({
  mobilenet_v2: {
    id: 'mobilenet_v2',
    title: 'MobileNetV2 1.0 224 (Coral, uint8 QAT, ImageNet)',
    source: () => sharedDir('models', 'coral_mobilenet_v2_1.0_224_quant', 'mobilenet_v2_1.0_224_quant.tflite'),
    // strides 4, 8, 16, 16, 32: the spread of LPIPS' AlexNet taps
    taps: fixed([`${MNV2}/expanded_conv_2/add`, `${MNV2}/expanded_conv_5/add`, `${MNV2}/expanded_conv_9/add`, `${MNV2}/expanded_conv_12/add`, `${MNV2}/expanded_conv_15/add`]),
    nominalSize: 224,
    weights: 'google-coral/test_data mobilenet_v2_1.0_224_quant.tflite (Apache-2.0), dequantised',
    missing: 'it is read from the shared data folder (FEATVIS_SHARED, else ../shared)',
  },
  mobilenet_v1: {
    id: 'mobilenet_v1',
    title: 'MobileNetV1 1.0 224 (Coral embedding extractor, uint8 QAT, ImageNet)',
    source: () => sharedDir('models', 'coral_mobilenet_v1_1.0_224_quant', 'mobilenet_v1_1.0_224_quant_embedding_extractor.tflite'),
    taps: fixed([`${MNV1}/Conv2d_2_pointwise/Relu6`, `${MNV1}/Conv2d_4_pointwise/Relu6`, `${MNV1}/Conv2d_6_pointwise/Relu6`, `${MNV1}/Conv2d_10_pointwise/Relu6`, `${MNV1}/Conv2d_13_pointwise/Relu6`]),
    nominalSize: 224,
    weights: 'google-coral/test_data mobilenet_v1_1.0_224_quant_embedding_extractor.tflite (Apache-2.0), dequantised',
    missing: 'it is read from the shared data folder (FEATVIS_SHARED, else ../shared)',
  },
  squeezenet: {
    id: 'squeezenet',
    title: 'SqueezeNet 1.1 features (Caffe/DeepScale weights, ImageNet)',
    source: () => sharedDir('models', 'tfjs_squeezenet1.1_features_caffe'),
    preprocess: SQUEEZENET_CAFFE_PREPROCESS,
    taps: fixed(SQUEEZENET_CAFFE_LPIPS_LIKE_LAYERS),
    nominalSize: 227,
    weights: 'DeepScale SqueezeNet 1.1 Caffe weights via keras-squeezenet (BSD-2), not torchvision’s',
    missing: 'it is read from the shared data folder (FEATVIS_SHARED, else ../shared)',
  },
  inception_v3: {
    id: 'inception_v3',
    title: 'InceptionV3 from nsfwjs (ImageNet layers up to mixed5)',
    source: () => 'nsfwjs:inception_v3',
    preprocess: { size: [299, 299], range: [0, 1], channelOrder: 'RGB' },
    // Only layers up to mixed5 kept Keras' ImageNet kernels (nsfwjs fine-tuned the rest).
    taps: (layers) => {
      const names = layers.map((l) => l.name);
      const pool = layers.find((l) => /max_?pool/i.test(l.kind) || /^max_pooling2d/.test(l.name))?.name;
      const mixed = ['mixed0', 'mixed2', 'mixed3', 'mixed5'].filter((n) => names.includes(n));
      if (!pool || mixed.length !== 4) throw new FeatvisError(`the InceptionV3 model lacks the expected layers (a max pooling layer and mixed0, mixed2, mixed3, mixed5)`);
      return [pool, ...mixed];
    },
    nominalSize: 299,
    weights: "nsfwjs 4.4.0's bundled Keras InceptionV3: layers through mixed5 are Keras' ImageNet weights (frozen when nsfwjs fine-tuned the rest)",
    missing: 'it needs the `nsfwjs:` model source (nsfwjs installed and a featvis build with src/models/nsfwjs.ts)',
  },
});

export { BACKBONE_IDS };
if (Object.keys(BACKBONE_SPECS).join() !== BACKBONE_IDS.join()) throw new Error(`backboneIds.ts lists ${BACKBONE_IDS.join(', ')} but BACKBONE_SPECS has ${Object.keys(BACKBONE_SPECS).join(', ')}`);

export function backboneSpec(id: string): BackboneSpec {
  const spec = Object.prototype.hasOwnProperty.call(BACKBONE_SPECS, id) ? BACKBONE_SPECS[id] : undefined;
  if (!spec) throw new FeatvisError(`unknown backbone '${id}': known are ${BACKBONE_IDS.join(', ')}`);
  return spec;
}

/** Loads a backbone's network and returns its LPIPS-like metric (which owns the network). */
export async function loadBackboneMetric(id: string): Promise<PerceptualMetric> {
  const spec = backboneSpec(id);
  let features: FeatModel;
  try {
    features = await loadModel(spec.source(), spec.preprocess ? { preprocess: spec.preprocess } : {});
  } catch (err) {
    if (!(err instanceof FeatvisError)) throw err;
    throw new FeatvisError(`backbone ${id} (${spec.title}) is not available here: ${spec.missing} (${err.message.split('\n')[0]})`);
  }
  try {
    return createLpipsLike({
      features,
      layers: spec.taps(features.layers),
      label: `LPIPS-like(equal) ${id}`,
      note: `Backbone ${spec.title}; weights: ${spec.weights} (${modelIdentity(features)}).`,
      ownsFeatures: true,
    });
  } catch (err) {
    features.dispose();
    throw err;
  }
}

/**
 * The default offline metric and the measurement that chose it: the backbone
 * whose held-out exemplars (ranks 10–18) are best told apart by their top-9
 * (identification accuracy, `featvis identify`). `metric: 'auto'` uses it
 * wherever calibrated LPIPS cannot be had.
 */
export const DEFAULT_OFFLINE_METRIC = Object.freeze({
  backbone: 'mobilenet_v1',
  variant: 'lpips' as const,
  evidence:
    'held-out-exemplar identification accuracy 87.8 % [87.1, 88.5] (Wilson 95 %) on both MobileNetV2 expanded_conv_7/add and InceptionV3 mixed5: ' +
    'the best independent backbone on MobileNetV2 (SqueezeNet 85.6 %) and within 0.3 points of the best on InceptionV3 (MobileNetV2 88.1 %); ' +
    "`featvis identify`, 32 channels, exemplars from 4,925 images (Imagenette val + 1,000 ImageNet samples), the study's formula at 128 px",
});

/** Backbones in the order 'auto' tries them when the default is unavailable (by the same measurement). */
export const OFFLINE_FALLBACK_ORDER: readonly string[] = ['mobilenet_v1', 'mobilenet_v2', 'squeezenet', 'inception_v3'];

/** One line for every report: which offline metric, and why. */
export function defaultOfflineReason(id: string = DEFAULT_OFFLINE_METRIC.backbone): string {
  if (id === DEFAULT_OFFLINE_METRIC.backbone) return `default offline metric: LPIPS-like(equal) on ${backboneSpec(id).title}, chosen by ${DEFAULT_OFFLINE_METRIC.evidence}`;
  return `offline metric: LPIPS-like(equal) on ${backboneSpec(id).title} (the default, ${DEFAULT_OFFLINE_METRIC.backbone}, is not available here)`;
}
