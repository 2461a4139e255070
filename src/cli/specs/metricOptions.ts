/** The perceptual-metric options shared by `featvis lpips` and `featvis score` (no TensorFlow). */
import { BACKBONE_IDS } from '../../metrics/backboneIds.js';
import type { OptionSpec } from '../options.js';

const METRIC = 'metric';

export function metricOptions(def: string): Record<string, OptionSpec> {
  return {
    metric: {
      value: `<auto|lpips|lpips-like|${BACKBONE_IDS.join('|')}>`,
      help:
        'auto: calibrated LPIPS where its weights can be had, else the default offline metric, chosen by channel-identification accuracy; the output says which and why',
      default: def,
      group: METRIC,
    },
    net: { value: '<alex|vgg|squeeze>', help: 'LPIPS backbone', default: 'alex', group: METRIC },
    'lpips-version': { value: '<0.1|0.0>', help: 'LPIPS version', default: '0.1', group: METRIC },
    backbone: { value: '<file.pth>', help: 'local torchvision backbone weights', group: METRIC },
    lin: { value: '<file.pth>', help: 'local LPIPS linear heads', group: METRIC },
    features: { value: '<model>', help: 'lpips-like: any featvis model', group: METRIC },
    'feature-layers': { value: '<a,b,c>', help: 'lpips-like: the layers compared', group: METRIC },
    preset: { value: '<squeezenet-caffe>', help: 'lpips-like preprocessing preset for the Caffe SqueezeNet', group: METRIC },
  };
}
