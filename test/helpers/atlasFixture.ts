/** A small but real atlas for tests: MobileNetV1 0.25 (../shared), a few dozen images, few steps; LPIPS-like on its own early layers as the metric. */
import path from 'node:path';
import type { AtlasOptions } from '../../src/atlas/job.js';
import type { FeatModel } from '../../src/core/types.js';
import { sampleFolder } from '../../src/data/sample.js';
import { createLpipsLike } from '../../src/metrics/lpips.js';
import { sharedDir } from './python.js';

export const ATLAS_LAYER = 'conv_pw_5_relu';

export function smallAtlasOptions(model: FeatModel, outDir: string, extra: Partial<AtlasOptions> = {}): AtlasOptions {
  return {
    model,
    layer: ATLAS_LAYER,
    channels: [0, 1, 2, 3, 4, 5],
    images: sampleFolder(path.join(sharedDir, 'images', 'imagenette2_224', 'val'), 40),
    outDir,
    am: { steps: 8, size: 48, batchSize: 4 },
    diverse: 2,
    diverseBatch: 2,
    mineBatch: 20,
    mineSize: [96, 96],
    scoreSize: 64,
    probeImages: 24,
    thumb: 48,
    metric: {
      id: 'lpips-like mobilenet_v1_0.25 pw1,pw3',
      metric: createLpipsLike({ features: model, layers: ['conv_pw_1_relu', 'conv_pw_3_relu'] }),
      why: 'a small metric for tests',
    },
    ...extra,
  };
}
