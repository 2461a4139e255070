/**
 * Builds the perceptual metric a score, sweep or notebook names, and says why.
 *
 * 'auto': calibrated LPIPS (AlexNet, v0.1: the study's metric) where its weights
 * are cached or can be downloaded; otherwise the default offline metric, an
 * LPIPS-like backbone chosen by measurement (metrics/backbones.ts), or the next
 * available one. Every caller prints `why`.
 */
import fs from 'node:fs';
import { FeatvisError } from '../core/errors.js';
import { sharedDir } from '../core/paths.js';
import { loadModel } from '../models/load.js';
import { BACKBONE_SPECS, DEFAULT_OFFLINE_METRIC, OFFLINE_FALLBACK_ORDER, defaultOfflineReason, loadBackboneMetric } from '../metrics/backbones.js';
import { createLpips, createLpipsLike, SQUEEZENET_CAFFE_PREPROCESS, type PerceptualMetric } from '../metrics/lpips.js';
import type { MetricConfig } from './config.js';

export interface ResolvedMetric {
  metric: PerceptualMetric;
  /** The concrete configuration (never 'auto'): createMetric(config) builds the same metric. */
  config: MetricConfig;
  /** One line for reports: which metric, and why it was chosen. */
  why: string;
  /** Why calibrated LPIPS was not used ('auto' only), or null. */
  lpipsUnavailable: string | null;
}

/** Calibrated LPIPS v0.1 on AlexNet; the linear heads from the shared folder when present (else downloaded). */
export function lpipsAlexConfig(): MetricConfig {
  const heads = sharedDir('lpips', 'v0.1', 'alex.pth');
  return { kind: 'lpips', net: 'alex', version: '0.1', ...(fs.existsSync(heads) ? { linWeights: heads } : {}) };
}

export async function createMetric(cfg: MetricConfig): Promise<PerceptualMetric> {
  return (await resolveMetric(cfg)).metric;
}

export async function resolveMetric(cfg: MetricConfig): Promise<ResolvedMetric> {
  switch (cfg.kind) {
    case 'auto':
      return resolveAuto();
    case 'lpips': {
      const metric = await createLpips({
        net: cfg.net ?? 'alex',
        version: cfg.version ?? '0.1',
        ...(cfg.backboneWeights ? { backboneWeights: cfg.backboneWeights } : {}),
        ...(cfg.linWeights ? { linWeights: cfg.linWeights } : {}),
      });
      return { metric, config: cfg, why: `${metric.label}: the reference LPIPS, as configured`, lpipsUnavailable: null };
    }
    case 'backbone': {
      const metric = await loadBackboneMetric(cfg.backbone);
      const why = cfg.backbone === DEFAULT_OFFLINE_METRIC.backbone ? defaultOfflineReason() : `LPIPS-like(equal) on ${BACKBONE_SPECS[cfg.backbone]!.title}, as configured`;
      return { metric, config: cfg, why, lpipsUnavailable: null };
    }
    case 'lpips-like': {
      const features = await loadModel(cfg.model, cfg.preset === 'squeezenet-caffe' ? { preprocess: SQUEEZENET_CAFFE_PREPROCESS } : {});
      const metric = createLpipsLike({ features, layers: cfg.layers, weights: 'equal', ownsFeatures: true });
      return { metric, config: cfg, why: `${metric.label} on layers ${cfg.layers.join(', ')}, as configured`, lpipsUnavailable: null };
    }
    default:
      throw new FeatvisError(`unknown metric kind '${String((cfg as { kind: unknown }).kind)}'`);
  }
}

async function resolveAuto(): Promise<ResolvedMetric> {
  const lpips = lpipsAlexConfig();
  let lpipsUnavailable: string;
  try {
    const r = await resolveMetric(lpips);
    return { ...r, why: `${r.metric.label}: the study's metric (calibrated heads and torchvision weights are available here)` };
  } catch (err) {
    if (!(err instanceof FeatvisError)) throw err;
    lpipsUnavailable = err.message.split('\n')[0]!;
  }
  const tried: string[] = [];
  for (const id of [DEFAULT_OFFLINE_METRIC.backbone, ...OFFLINE_FALLBACK_ORDER.filter((b) => b !== DEFAULT_OFFLINE_METRIC.backbone)]) {
    try {
      const metric = await loadBackboneMetric(id);
      return { metric, config: { kind: 'backbone', backbone: id }, why: `${defaultOfflineReason(id)}; calibrated LPIPS is not available here (${lpipsUnavailable})`, lpipsUnavailable };
    } catch (err) {
      if (!(err instanceof FeatvisError)) throw err;
      tried.push(err.message);
    }
  }
  throw new FeatvisError(`no perceptual metric is available: LPIPS (${lpipsUnavailable}); offline backbones: ${tried.join('; ')}`);
}
