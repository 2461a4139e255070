import type { MetricConfig } from '../experiments/config.js';
import { BACKBONE_IDS } from '../metrics/backbones.js';
import { FeatvisError } from '../core/errors.js';
import type { Args } from './args.js';

export const METRIC_HELP = `  --metric auto|lpips|lpips-like|${BACKBONE_IDS.join('|')}
                              (default auto: calibrated LPIPS where its weights can be had, else the default
                              offline metric, chosen by channel-identification accuracy; the output says which and why)
  --net alex|vgg|squeeze      LPIPS backbone (default alex)   --lpips-version 0.1|0.0 (default 0.1)
  --backbone <file.pth>       local torchvision backbone weights   --lin <file.pth> local linear heads
  --features <model>          lpips-like: any featvis model        --feature-layers a,b,c
  --preset squeezenet-caffe   lpips-like preprocessing preset for the Caffe SqueezeNet`;

export function metricFromArgs(a: Args, def = 'auto'): MetricConfig {
  const kind = a.str('metric', def);
  if (kind === 'auto') return { kind };
  if (BACKBONE_IDS.includes(kind)) return { kind: 'backbone', backbone: kind };
  if (kind === 'lpips') {
    const net = a.str('net', 'alex');
    const version = a.str('lpips-version', '0.1');
    if (net !== 'alex' && net !== 'vgg' && net !== 'squeeze') throw new FeatvisError(`--net must be alex, vgg or squeeze`);
    if (version !== '0.1' && version !== '0.0') throw new FeatvisError(`--lpips-version must be 0.1 or 0.0`);
    const backbone = a.str('backbone');
    const lin = a.str('lin');
    return { kind, net, version, ...(backbone ? { backboneWeights: backbone } : {}), ...(lin ? { linWeights: lin } : {}) };
  }
  if (kind === 'lpips-like') {
    const model = a.str('features');
    const layers = a.str('feature-layers');
    if (!model || !layers) throw new FeatvisError('--metric lpips-like needs --features <model> and --feature-layers a,b,c');
    const preset = a.str('preset');
    if (preset !== undefined && preset !== 'squeezenet-caffe') throw new FeatvisError('--preset must be squeezenet-caffe');
    return { kind, model, layers: layers.split(',').map((s) => s.trim()), ...(preset ? { preset } : {}) };
  }
  throw new FeatvisError(`--metric must be auto, lpips, lpips-like or one of ${BACKBONE_IDS.join(', ')}; got '${kind}'`);
}
