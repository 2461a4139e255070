/** Builds the perceptual metric a sweep or score names in its config. */
import { loadModel } from '../models/load.js';
import { createLpips, createLpipsLike, SQUEEZENET_CAFFE_PREPROCESS, type PerceptualMetric } from '../metrics/lpips.js';
import type { MetricConfig } from './config.js';

export async function createMetric(cfg: MetricConfig): Promise<PerceptualMetric> {
  if (cfg.kind === 'lpips') {
    return createLpips({
      net: cfg.net ?? 'alex',
      version: cfg.version ?? '0.1',
      ...(cfg.backboneWeights ? { backboneWeights: cfg.backboneWeights } : {}),
      ...(cfg.linWeights ? { linWeights: cfg.linWeights } : {}),
    });
  }
  const features = await loadModel(cfg.model, cfg.preset === 'squeezenet-caffe' ? { preprocess: SQUEEZENET_CAFFE_PREPROCESS } : {});
  const metric = createLpipsLike({ features, layers: cfg.layers, weights: 'equal' });
  const dispose = metric.dispose.bind(metric);
  // The metric does not own its feature model; this one was loaded for it.
  return Object.assign(metric, {
    dispose: () => {
      dispose();
      features.dispose();
    },
  });
}
