/**
 * Which network and which perceptual metric a notebook uses.
 *
 * chooseModel: the reference study's InceptionV3 with the official Keras
 * weights when they are cached or can be downloaded; otherwise a visible note
 * (why, the weights' URL and cache path) and FEATVIS_NOTEBOOK_MODEL (CI: the
 * shared MobileNetV2 .tflite), else nsfwjs's InceptionV3, else featvis's
 * embedded model. Models and metrics are cached for the kernel's life.
 *
 * chooseMetric: calibrated LPIPS (AlexNet, v0.1) when its weights are cached or
 * downloadable; otherwise the default offline metric ("LPIPS-like": the LPIPS
 * formula with equal channel weights on a backbone with real ImageNet weights,
 * chosen by channel-identification accuracy), labelled as such.
 */
import fs from 'node:fs';
import { candidateLayers, DEFAULT_MODEL, defaultLayer } from '../models/defaults.js';
import { FeatvisError, unknownLayerError } from '../core/errors.js';
import { loadModel } from '../models/load.js';
import type { FeatModel } from '../core/types.js';
import { loadZooModel } from '../models/zoo.js';
import type { MetricConfig } from '../experiments/config.js';
import { lpipsAlexConfig, resolveMetric } from '../experiments/metricFactory.js';
import { BACKBONE_IDS } from '../metrics/backbones.js';
import { SQUEEZENET_CAFFE_LPIPS_LIKE_LAYERS, type PerceptualMetric } from '../metrics/lpips.js';
import { showNote } from './display.js';
import { resolvePath, sharedDir } from './settings.js';

/** The reference study's network and layer. */
export const STUDY_MODEL = 'inceptionv3';
export const STUDY_LAYER = 'mixed6';
/** The offline InceptionV3 (nsfwjs's bundle: Keras ImageNet weights up to mixed5, the rest fine-tuned). */
export const OFFLINE_INCEPTION = 'nsfwjs:inception_v3';

export interface ChosenModel {
  model: FeatModel;
  /** What was loaded: a zoo id, a path or a model id. */
  source: string;
  /** True when this is the study's InceptionV3 (official Keras ImageNet weights). */
  isStudyModel: boolean;
  /** True for an InceptionV3 (the study's or nsfwjs's): layer 'auto' is then mixed6. */
  isInception: boolean;
  /** Why another model was used, or null. */
  note: string | null;
}

/** An error's message, its lines trimmed (the cache's message: what is missing, the URL, the path). */
function messageLines(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n').map((l) => l.trim()).filter(Boolean).join('\n');
}

/** Model ids stay as they are; existing paths (relative to the notebook or the repository) become absolute. */
export function resolveModelSource(source: string): string {
  if (/^https?:/i.test(source)) return source;
  const p = resolvePath(source);
  return fs.existsSync(p) ? p : source;
}

/** FEATVIS_NOTEBOOK_MODEL (any model source), or null. */
export function fallbackModelSource(): string | null {
  const env = process.env.FEATVIS_NOTEBOOK_MODEL;
  return env && env.trim() !== '' ? resolveModelSource(env.trim()) : null;
}

async function loadChosen(source: string): Promise<ChosenModel> {
  const model = source.toLowerCase() === STUDY_MODEL ? await loadZooModel(STUDY_MODEL) : await loadModel(source);
  const isStudyModel = source.toLowerCase() === STUDY_MODEL;
  return { model, source, isStudyModel, isInception: isStudyModel || source === OFFLINE_INCEPTION, note: null };
}

/**
 * 'auto': the official Keras InceptionV3 if cached or downloadable; else
 * FEATVIS_NOTEBOOK_MODEL when set (CI: the shared MobileNetV2, to stay fast);
 * else nsfwjs's InceptionV3 when nsfwjs is installed; else the embedded model.
 */
async function autoModel(): Promise<ChosenModel> {
  let why: string;
  try {
    return await loadChosen(STUDY_MODEL);
  } catch (err) {
    if (!(err instanceof FeatvisError)) throw err;
    why = messageLines(err);
  }
  const head = `InceptionV3 with its official ImageNet weights is not available here.\n${why}\n`;
  const env = fallbackModelSource();
  if (env) {
    const chosen = await loadChosen(env);
    return { ...chosen, note: `${head} Using ${env} (FEATVIS_NOTEBOOK_MODEL) instead, so images and numbers differ from the study's InceptionV3 results.` };
  }
  try {
    const chosen = await loadChosen(OFFLINE_INCEPTION);
    return {
      ...chosen,
      note:
        `${head} Using nsfwjs's InceptionV3 (\`${OFFLINE_INCEPTION}\`) instead: a real Keras InceptionV3 whose layers up to mixed5 ` +
        `keep Keras's ImageNet weights, while the layers after mixed5 (mixed6, the study's layer, among them) were fine-tuned on ` +
        `another task (nsfwjs's 5 classes), so images and numbers there differ from the study's.`,
    };
  } catch (err) {
    if (!(err instanceof FeatvisError)) throw err;
  }
  const chosen = await loadChosen(DEFAULT_MODEL);
  return { ...chosen, note: `${head} Using featvis's embedded model '${DEFAULT_MODEL}' instead (nsfwjs is not installed), so images and numbers differ from the study's InceptionV3 results.` };
}

/** Loaded models by setting: re-running a cell reuses them, and the notebooks never dispose one. */
const models = new Map<string, Promise<ChosenModel>>();

/**
 * `setting`: 'auto' (see autoModel) or any model source (zoo id, path, URL).
 * Models are cached by setting for the kernel's life, so every cell can be
 * re-run in any order; a fallback shows its note each time it is chosen.
 */
export async function chooseModel(setting: string): Promise<ChosenModel> {
  const key = setting === 'auto' ? 'auto' : resolveModelSource(setting);
  let p = models.get(key);
  if (!p) {
    p = key === 'auto' ? autoModel() : loadChosen(key);
    models.set(key, p);
    p.catch(() => models.delete(key));
  }
  const chosen = await p;
  if (chosen.note) showNote(chosen.note);
  return chosen;
}

/** 'auto' → the study's layer (mixed6) for InceptionV3, else the model's suggested / a middle layer. */
export function chooseLayer(chosen: ChosenModel, setting: string): string {
  const names = chosen.model.layers.map((l) => l.name);
  if (setting !== 'auto') {
    if (!names.includes(setting)) throw unknownLayerError(setting, names, chosen.model.name);
    return setting;
  }
  if (chosen.isInception && names.includes(STUDY_LAYER)) return STUDY_LAYER;
  return defaultLayer(chosen.model);
}

/**
 * `count` spatial layers spread evenly from early to late (for DeepDream's
 * layer comparison), always including `around` when given.
 */
export function spreadLayers(model: FeatModel, count: number, around?: string): string[] {
  // block outputs (mixed0…, stage1…, …/add) where there are any: never an inner conv, BN or ReLU
  const big = new Set(model.layers.filter((l) => l.shape.length === 3 && (l.shape[0] ?? 0) >= 4 && (l.shape[2] ?? 0) >= 16).map((l) => l.name));
  const blocks = candidateLayers(model.layers).filter((n) => big.has(n));
  const pool = new Set(blocks.length >= Math.min(count, 2) ? blocks : big);
  if (around && big.has(around)) pool.add(around);
  const spatial = model.layers.map((l) => l.name).filter((n) => pool.has(n));
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

/** The shared Caffe SqueezeNet 1.1 features (TF.js) for LPIPS-like. */
export function squeezenetFeaturesPath(): string {
  return sharedDir('models', 'tfjs_squeezenet1.1_features_caffe');
}

/** LPIPS-like with equal weights on the shared SqueezeNet features (the same as the 'squeezenet' backbone, from any path). */
export function lpipsLikeConfig(featuresPath: string = squeezenetFeaturesPath()): MetricConfig {
  if (!fs.existsSync(featuresPath)) throw new FeatvisError(`LPIPS-like needs the SqueezeNet features model at ${featuresPath} (FEATVIS_SHARED)`);
  return { kind: 'lpips-like', model: featuresPath, layers: [...SQUEEZENET_CAFFE_LPIPS_LIKE_LAYERS], preset: 'squeezenet-caffe' };
}

/** Metrics by setting, for the kernel's life (like models). */
const metrics = new Map<string, Promise<ChosenMetric>>();

async function buildMetric(setting: string): Promise<ChosenMetric> {
  let config: MetricConfig;
  if (setting === 'auto') config = { kind: 'auto' };
  else if (setting === 'lpips') config = lpipsAlexConfig();
  else if (setting === 'lpips-like') config = lpipsLikeConfig();
  else if (BACKBONE_IDS.includes(setting)) config = { kind: 'backbone', backbone: setting };
  else throw new FeatvisError(`metric must be auto, lpips, lpips-like or one of ${BACKBONE_IDS.join(', ')}; got '${setting}'`);
  const r = await resolveMetric(config);
  const note = r.lpipsUnavailable
    ? `Calibrated LPIPS (AlexNet backbone) is not available here: ${r.lpipsUnavailable.replace(/[.\s]+$/, '')}.\nScores below use ${r.metric.label}, ` +
      `the ${r.config.kind === 'backbone' && r.why.startsWith('default') ? 'default offline metric (why: printed below)' : 'offline metric printed below'}. ` +
      `They are not LPIPS values and are not comparable with the study's numbers.`
    : null;
  return { metric: r.metric, config: r.config, isLpips: r.config.kind === 'lpips', label: r.metric.label, why: r.why, note, dispose: () => r.metric.dispose() };
}

/**
 * `setting`: 'auto' = calibrated LPIPS (AlexNet, v0.1) when its weights are
 * cached or downloadable, else the default offline metric (chosen by
 * channel-identification accuracy), with a note; 'lpips', 'lpips-like' or a
 * backbone id (metrics/backbones.ts) force one. Built with the sweeps'
 * resolveMetric; cached by setting (never disposed by the notebooks).
 */
export async function chooseMetric(setting: string): Promise<ChosenMetric> {
  let p = metrics.get(setting);
  if (!p) {
    p = buildMetric(setting);
    metrics.set(setting, p);
    p.catch(() => metrics.delete(setting));
  }
  const chosen = await p;
  if (chosen.note) showNote(chosen.note);
  return chosen;
}
