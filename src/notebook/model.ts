/**
 * Which network and which perceptual metric a notebook uses.
 *
 * chooseModel: the reference study's InceptionV3 with the official Keras
 * weights when they are cached or can be downloaded; otherwise a visible note
 * and the model named by FEATVIS_NOTEBOOK_MODEL (CI: the shared MobileNetV2
 * .tflite), else featvis' embedded default model.
 *
 * chooseMetric: calibrated LPIPS (AlexNet, v0.1) when its weights are cached or
 * downloadable; otherwise the default offline metric ("LPIPS-like": the LPIPS
 * formula with equal channel weights on a backbone with real ImageNet weights,
 * chosen by channel-identification accuracy), labelled as such.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_MODEL, defaultLayer } from '../models/defaults.js';
import { FeatvisError } from '../core/errors.js';
import { loadModel } from '../models/load.js';
import type { FeatModel } from '../core/types.js';
import { loadZooModel } from '../models/zoo.js';
import type { MetricConfig } from '../experiments/config.js';
import { lpipsAlexConfig, resolveMetric } from '../experiments/metricFactory.js';
import { BACKBONE_IDS } from '../metrics/backbones.js';
import { SQUEEZENET_CAFFE_LPIPS_LIKE_LAYERS, type PerceptualMetric } from '../metrics/lpips.js';
import { showNote } from './display.js';
import { nbSetting, resolvePath, sharedDir } from './settings.js';

/** The reference study's network and layer. */
export const STUDY_MODEL = 'inceptionv3';
export const STUDY_LAYER = 'mixed6';

export interface ChosenModel {
  model: FeatModel;
  /** What was loaded: a zoo id, a path or a model id. */
  source: string;
  /** True when this is the study's InceptionV3. */
  isStudyModel: boolean;
  /** Why another model was used, or null. */
  note: string | null;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

/** Model ids stay as they are; existing paths (relative to the notebook or the repository) become absolute. */
export function resolveModelSource(source: string): string {
  if (/^https?:/i.test(source)) return source;
  const p = resolvePath(source);
  return fs.existsSync(p) ? p : source;
}

/** The fallback model: FEATVIS_NOTEBOOK_MODEL, else the embedded default. */
export function fallbackModelSource(): string {
  const env = process.env.FEATVIS_NOTEBOOK_MODEL;
  return env && env.trim() !== '' ? resolveModelSource(env.trim()) : DEFAULT_MODEL;
}

/**
 * `setting` (default: the notebook setting `model`, FEATVIS_NB_MODEL):
 * 'auto' = InceptionV3 if available, else the fallback (with a note in the
 * output); anything else is loaded as given (zoo id, path, URL).
 */
export async function chooseModel(setting: string = nbSetting('model', 'auto')): Promise<ChosenModel> {
  if (setting !== 'auto') {
    const source = resolveModelSource(setting);
    const model = source.toLowerCase() === STUDY_MODEL ? await loadZooModel(STUDY_MODEL) : await loadModel(source);
    return { model, source, isStudyModel: source.toLowerCase() === STUDY_MODEL, note: null };
  }
  try {
    const model = await loadZooModel(STUDY_MODEL);
    return { model, source: STUDY_MODEL, isStudyModel: true, note: null };
  } catch (err) {
    if (!(err instanceof FeatvisError)) throw err;
    const source = fallbackModelSource();
    const note =
      `InceptionV3 with its official ImageNet weights is not available here (${firstLine(err)}). ` +
      `Using ${source === DEFAULT_MODEL ? `featvis' embedded model '${DEFAULT_MODEL}'` : source} instead, ` +
      `so images and numbers differ from the study's InceptionV3 results. ` +
      `With internet access (or the weights file in the featvis cache) the notebook uses InceptionV3.`;
    showNote(note);
    const model = await loadModel(source);
    return { model, source, isStudyModel: false, note };
  }
}

/** 'auto' → the study's layer (mixed6) for InceptionV3, else the model's suggested / a middle layer. */
export function chooseLayer(chosen: ChosenModel, setting: string = nbSetting('layer', 'auto')): string {
  const names = chosen.model.layers.map((l) => l.name);
  if (setting !== 'auto') return setting;
  if (chosen.isStudyModel && names.includes(STUDY_LAYER)) return STUDY_LAYER;
  return defaultLayer(chosen.model);
}

/**
 * `count` spatial layers spread evenly from early to late (for DeepDream's
 * layer comparison), always including `around` when given.
 */
export function spreadLayers(model: FeatModel, count: number, around?: string): string[] {
  const spatial = model.layers.filter((l) => l.shape.length === 3 && (l.shape[0] ?? 0) >= 4 && (l.shape[2] ?? 0) >= 16).map((l) => l.name);
  if (spatial.length === 0) throw new FeatvisError(`${model.name} has no spatial layers`);
  const n = Math.max(1, Math.min(count, spatial.length));
  // from 20 % to 90 % of the depth: the first layers only respond to colours and edges
  const picks = new Set<string>();
  for (let i = 0; i < n; i++) {
    const f = n === 1 ? 0.6 : 0.2 + (0.7 * i) / (n - 1);
    picks.add(spatial[Math.min(spatial.length - 1, Math.round(f * (spatial.length - 1)))]!);
  }
  if (around && spatial.includes(around) && !picks.has(around)) {
    picks.add(around);
    while (picks.size > n) {
      const drop = [...picks].filter((p) => p !== around).sort((a, b) => Math.abs(spatial.indexOf(a) - spatial.indexOf(around)) - Math.abs(spatial.indexOf(b) - spatial.indexOf(around)))[0]!;
      picks.delete(drop);
    }
  }
  return spatial.filter((l) => picks.has(l));
}

export interface ChosenMetric {
  metric: PerceptualMetric;
  /** The metric as the sweep / score configuration names it (resolveMetric(config) builds the same metric). */
  config: MetricConfig;
  /** True for calibrated LPIPS, false for an LPIPS-like metric. */
  isLpips: boolean;
  /** Label for tables and chart axes ("LPIPS v0.1 alex" or "LPIPS-like(equal) …"). */
  label: string;
  /** Which metric and why (printed by the notebooks, stated in reports). */
  why: string;
  /** Why calibrated LPIPS is not used, shown as a note, or null. */
  note: string | null;
  dispose(): void;
}

/** The shared Caffe SqueezeNet 1.1 features (TF.js) for LPIPS-like (setting lpipsLikeFeatures). */
export function squeezenetFeaturesPath(): string {
  return resolvePath(nbSetting('lpipsLikeFeatures', sharedDir('models', 'tfjs_squeezenet1.1_features_caffe')));
}

/** LPIPS-like with equal weights on the shared SqueezeNet features (the same as the 'squeezenet' backbone, from any path). */
export function lpipsLikeConfig(featuresPath: string = squeezenetFeaturesPath()): MetricConfig {
  if (!fs.existsSync(featuresPath)) throw new FeatvisError(`LPIPS-like needs the SqueezeNet features model at ${featuresPath} (setting lpipsLikeFeatures / FEATVIS_NB_LPIPS_LIKE_FEATURES)`);
  return { kind: 'lpips-like', model: featuresPath, layers: [...SQUEEZENET_CAFFE_LPIPS_LIKE_LAYERS], preset: 'squeezenet-caffe' };
}

/**
 * `setting` (default: notebook setting `metric`): 'auto' = calibrated LPIPS
 * (AlexNet, v0.1) when its weights are cached or downloadable, else the
 * default offline metric (chosen by channel-identification accuracy), with a
 * note; 'lpips', 'lpips-like' or a backbone id (metrics/backbones.ts) force one.
 * Built with the sweeps' resolveMetric.
 */
export async function chooseMetric(setting: string = nbSetting('metric', 'auto')): Promise<ChosenMetric> {
  let config: MetricConfig;
  if (setting === 'auto') config = { kind: 'auto' };
  else if (setting === 'lpips') config = lpipsAlexConfig();
  else if (setting === 'lpips-like') config = lpipsLikeConfig();
  else if (BACKBONE_IDS.includes(setting)) config = { kind: 'backbone', backbone: setting };
  else throw new FeatvisError(`metric must be auto, lpips, lpips-like or one of ${BACKBONE_IDS.join(', ')}; got '${setting}'`);
  const r = await resolveMetric(config);
  const note = r.lpipsUnavailable
    ? `LPIPS (AlexNet backbone) is not available here (${r.lpipsUnavailable}). Scores below use ${r.metric.label}, ` +
      `the ${r.config.kind === 'backbone' && r.why.startsWith('default') ? 'default offline metric (why: printed below)' : 'offline metric printed below'}. ` +
      `They are not LPIPS values and are not comparable with the study's numbers.`
    : null;
  if (note) showNote(note);
  return { metric: r.metric, config: r.config, isLpips: r.config.kind === 'lpips', label: r.metric.label, why: r.why, note, dispose: () => r.metric.dispose() };
}
