import type { MetricConfig } from '../experiments/config.js';
import { BACKBONE_IDS } from '../metrics/backbones.js';
import { FeatvisError } from '../core/errors.js';
import type { CommandArgs } from './options.js';

/** The metric options (specs/metricOptions.ts) as a metric configuration. */
export function metricFromArgs(a: CommandArgs): MetricConfig {
  const kind = a.str('metric');
  if (kind === 'auto') return { kind };
  if (BACKBONE_IDS.includes(kind)) return { kind: 'backbone', backbone: kind };
  if (kind === 'lpips') {
    const net = a.str('net');
    const version = a.str('lpips-version');
    if (net !== 'alex' && net !== 'vgg' && net !== 'squeeze') throw new FeatvisError(`--net must be alex, vgg or squeeze`);
    if (version !== '0.1' && version !== '0.0') throw new FeatvisError(`--lpips-version must be 0.1 or 0.0`);
    const backbone = a.optStr('backbone');
    const lin = a.optStr('lin');
    return { kind, net, version, ...(backbone ? { backboneWeights: backbone } : {}), ...(lin ? { linWeights: lin } : {}) };
  }
  if (kind === 'lpips-like') {
    const model = a.optStr('features');
    const layers = a.optStr('feature-layers');
    if (!model || !layers) throw new FeatvisError('--metric lpips-like needs --features <model> and --feature-layers a,b,c');
    const preset = a.optStr('preset');
    if (preset !== undefined && preset !== 'squeezenet-caffe') throw new FeatvisError('--preset must be squeezenet-caffe');
    return { kind, model, layers: layers.split(',').map((s) => s.trim()), ...(preset ? { preset } : {}) };
  }
  throw new FeatvisError(`--metric must be auto, lpips, lpips-like or one of ${BACKBONE_IDS.join(', ')}; got '${kind}'`);
}
