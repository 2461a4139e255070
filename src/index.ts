/**
 * featvis's public API: `import * as fv from 'featvis'` (notebooks, README
 * examples, benches and tests all use this one entry point).
 *
 * The data flows one way, and so does this list:
 * model → objective → parameterisation / transforms → optimiser → image →
 * exemplars → score → report.
 */
export { tf, backendInfo, type BackendInfo, type Tensor, type Tensor1D, type Tensor4D } from './backend/tf.js';
export { FeatvisError } from './core/errors.js';
export type { FeatModel, LayerInfo, Preprocess } from './core/types.js';

// model
export { loadModel, EMBEDDED_MODELS, type LoadOptions } from './models/load.js';
export { DEFAULT_MODEL, defaultLayer } from './models/defaults.js';
export { imagenetLabels, ZOO } from './models/zoo.js';
export { classifierLayer, predictTopK, type ClassScore, type Prediction, type PredictOptions, type PredictResult } from './models/predict.js';

// objective
export {
  activationsOf,
  channel,
  channelCount,
  channels,
  direction,
  evaluate,
  layer,
  neuron,
  objective,
  spatialMean,
  sum,
  type Objective,
  type ObjectiveContext,
  type ObjectiveSpec,
} from './optvis/objectives.js';
export { frequency, gaussianBlur, l1, l2, totalVariation } from './optvis/penalties.js';
export { parseChannelList, parseObjective } from './optvis/objectiveParse.js';

// parameterisation, transforms, regularisers
export { createParam, PARAM_KINDS, type ImageParam, type ParamKind, type ParamOptions } from './optvis/param/index.js';
export {
  NO_TRANSFORMS,
  STANDARD_TRANSFORMS,
  TRANSFORM_PRESETS,
  applyTransforms,
  parseTransforms,
  scaleTransforms,
  transformPreset,
  type TransformList,
  type TransformStep,
} from './optvis/transforms.js';
export {
  PENALTIES,
  REGULARIZER_NAMES,
  REGULARIZER_SETTINGS,
  STEP_OPERATORS,
  penaltyObjective,
  validateRegularizers,
  type Regularizers,
  type RegularizerSetting,
  type StepOperator,
} from './optvis/regularizers.js';
export { Rng } from './optvis/rng.js';

// optimiser → image
export { createStepper, render, scoreImages, DEFAULT_RENDER, type RenderOptions, type RenderResult, type StepInfo, type Stepper } from './optvis/render.js';
export { AM_DEFAULTS, amSettings, channelSeed, type AmImageSettings, type AmOverrides, type AmSettings } from './optvis/settings.js';
export { renderChannels, type ChannelBatch, type ChannelBatchResult } from './optvis/renderChannels.js';
export { amRunKey, visualizeChannels, type ChannelResult, type VisualizeOptions, type VisualizeResult } from './optvis/visualize.js';
export { deepDream, type DreamOptions, type DreamResult } from './optvis/dream.js';
export { dreamLayers, type DreamLayersResult, type LayerDream } from './optvis/dreamLayers.js';

// images
export { batchToImages, readImage, savePng, type RgbImage } from './data/image.js';
export { composeGrid, type GridOptions } from './data/grid.js';
export { listImages } from './data/folder.js';
export { sampleFolder } from './data/sample.js';
export { datasetId, drawRandomImages, type DrawSpec } from './data/randomDraw.js';

// exemplars
export { mineExemplars, type MineOptions, type MineProgress, type MineResult } from './exemplars/mine.js';
export { ExemplarStore } from './exemplars/store.js';
export { channelSets, randomRefs, type ChannelSets } from './exemplars/channelSets.js';
export { writeChannelSheet, writeRangeSheet } from './exemplars/sheet.js';

// score: metrics, controls, identification
export { createLpips, createLpipsLike, type PerceptualMetric } from './metrics/lpips.js';
export { SCORE_VARIANTS, VARIANT_TITLES, type ScoreMetric, type ScoreVariant } from './metrics/embedding.js';
export { BACKBONE_IDS, BACKBONE_SPECS, DEFAULT_OFFLINE_METRIC, defaultOfflineReason, loadBackboneMetric, type BackboneSpec } from './metrics/backbones.js';
export { ChannelScorer, type ChannelExemplars, type ExemplarRef, type QueryDistances } from './metrics/scorer.js';
export { evaluateLayer, normalizedInterpretability, queryScore, type ChannelEvaluation, type LayerEvaluation, type QueryScore } from './metrics/interpretability.js';
export { identification, type Identification } from './metrics/identification.js';
export { meanCI, pairedDifference, ratioCI, wilson, type MeanCI, type Proportion } from './metrics/stats.js';
export { lpipsAlexConfig, resolveMetric, type ResolvedMetric } from './experiments/metricFactory.js';
export { scoreLayer, type AmSample, type LayerScore, type LayerScoreOptions } from './experiments/layerScore.js';
export { formatAccuracy, formatMeanCI, identifyTable, runIdentification, type IdentifyOptions, type IdentifyResult, type IdentifyRow } from './experiments/identify.js';

// sweeps and reports
export { parseSweepConfig, readSweepConfig, SWEEP_KNOBS, type MetricConfig, type SweepConfig } from './experiments/config.js';
export { runSweep, sweepImages, sweepRandomImages, sweepRunKey, type SweepResult } from './experiments/sweep.js';
export { SweepStore, type CellRow, type ChannelRow, type ControlRow } from './experiments/sweepStore.js';
export { controlsSummary, summarize, verdicts, type ControlsSummary, type KnobVerdict, type StrengthSummary } from './experiments/summary.js';
export { bestGrid, loadSweepReport, writeSweepReport, type SweepReport, type VariantReport } from './experiments/report.js';

// layer atlas: every channel of a layer as an offline site (resumable job)
export { diversity, gramSimilarity, renderDiverse, type DiverseBatch, type DiverseSet } from './optvis/diversity.js';
export { StreamHistogram, histogramEdges, type HistogramData } from './exemplars/histogram.js';
export { ATLAS_DEFAULTS, runAtlas, type AtlasOptions, type AtlasPhase, type AtlasProgress, type AtlasResult, type GivenMetric } from './atlas/job.js';
export { writeAtlasSite, type SiteOptions, type SiteResult } from './atlas/site.js';
export { loadAtlas, type AtlasData } from './atlas/load.js';
export { channelCard, type CardOptions } from './atlas/card.js';
export type { AtlasManifest, AtlasNeighbours, AtlasScore, ChannelRecord, ChannelScore } from './atlas/types.js';

// notebooks: one call per study step, displays (JupyterLab, tslab kernel)
export * as nb from './notebook/index.js';
