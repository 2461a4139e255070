/** A small but real sweep configuration for tests (tiny MobileNet, LPIPS-like on its own features). */
import path from 'node:path';
import { parseSweepConfig, type SweepConfig } from '../../src/experiments/config.js';
import { sharedDir } from './python.js';

export function smallSweepConfig(): SweepConfig {
  const model = path.join(sharedDir, 'models', 'tfjs_mobilenet_v1_0.25_224');
  return parseSweepConfig({
    model,
    layer: 'conv_pw_5_relu',
    channels: [3, 11],
    seeds: [0],
    steps: 8,
    size: 48,
    param: 'pixel',
    sweep: { tv: [0, 1], l2: [0, 5], blur: [0, 1] },
    exemplars: { images: path.join(sharedDir, 'images', 'imagenette2_224', 'val'), limit: 40, k: 9, heldOut: 9, batchSize: 20, size: 96 },
    metric: { kind: 'lpips-like', model, layers: ['conv_pw_1_relu', 'conv_pw_3_relu', 'conv_pw_5_relu'] },
    metricSize: 64,
    randomImages: 9,
  });
}
