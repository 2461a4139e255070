/** Small real models for tests (from ../shared). */
import path from 'node:path';
import { loadModel } from '../../src/models/load.js';
import type { FeatModel } from '../../src/core/types.js';
import { sharedDir } from './python.js';

let mobilenet: Promise<FeatModel> | null = null;

/** MobileNetV1 0.25 (TF.js, ImageNet): small and fast, real weights. */
export function tinyMobilenet(): Promise<FeatModel> {
  mobilenet ??= loadModel(path.join(sharedDir, 'models', 'tfjs_mobilenet_v1_0.25_224'));
  return mobilenet;
}
