/**
 * Every notebook's settings and their shipped values. A notebook's settings
 * cell names the ones worth editing; the table it shows lists them all, with
 * where each value came from (see notebookSettings.ts).
 */
import { sharedDir } from '../core/paths.js';
import { AM_BASE_DEFAULTS, AM_TRANSFORM_PRESET } from '../optvis/amDefaults.js';

const IMAGES = sharedDir('images', 'imagenette2_224', 'val');
const STUDY = { model: 'auto', layer: 'auto' };
const AM = { steps: AM_BASE_DEFAULTS.steps, size: AM_BASE_DEFAULTS.size };
const EXEMPLARS = { imageFolder: IMAGES, imageLimit: 0, k: 9, mineBatch: 32 };

export const NOTEBOOK_DEFAULTS = {
  /** 01: DeepDream across layers, to choose one. */
  dream: {
    ...STUDY,
    layers: 'auto',
    layerCount: 4,
    photo: sharedDir('images', 'coral_samples', 'parrot.jpg'),
    dreamSize: 256,
    octaves: 4,
    octaveScale: 1.4,
    dreamSteps: 10,
    stepSize: 0.01,
    jitter: 16,
    seed: 0,
  },
  /** 02: AM on channels of the layer (the default recipe, fv.AM_DEFAULTS). */
  am: {
    ...STUDY,
    channels: '0-7',
    ...AM,
    param: AM_BASE_DEFAULTS.param as string,
    lr: 0,
    transforms: AM_TRANSFORM_PRESET as string,
    seed: 0,
    batch: 8,
  },
  /** 03: one channel under each regulariser. */
  regularisers: {
    ...STUDY,
    channel: 0,
    ...AM,
    seed: 0,
    variants: 'none,l1,l2,tv,freq,pixel,decay,blur,clipNorm,clipContrib',
    penaltyParam: 'fft',
    l1: 2,
    l2: 4,
    tv: 8,
    freq: 100,
    decay: 0.02,
    blurEvery: 4,
    blurSigma: 0.7,
    clipNormPct: 20,
    clipContribPct: 20,
  },
  /** 04: top-9 exemplars. */
  top9: {
    ...STUDY,
    ...EXEMPLARS,
    sheetChannels: '0-15',
  },
  /** 05: AM image vs its top-9 with controls. */
  score: {
    ...STUDY,
    scoreChannels: '0-7',
    seeds: [0, 1],
    ...AM,
    batch: 8,
    ...EXEMPLARS,
    heldOut: 9,
    metric: 'auto',
    scoreSize: 128,
    crop: false,
  },
  /** 06: regularisation sweeps. */
  sweep: {
    ...STUDY,
    scoreChannels: '0-3',
    seeds: [0, 1, 2],
    ...AM,
    param: 'pixel',
    ...EXEMPLARS,
    heldOut: 9,
    metric: 'auto',
    scoreSize: 128,
    sweep: 'l1,l2,tv,freq,decay,blur,clipNormPct,clipContribPct',
    sweepPoints: 0,
    l1: [0, 0.5, 2, 8],
    l2: [0, 1, 4, 16],
    tv: [0, 2, 8, 32],
    freq: [0, 30, 100, 300],
    decay: [0, 0.005, 0.02, 0.08],
    blur: [0, 0.4, 0.7, 1.2],
    clipNormPct: [0, 10, 30, 50],
    clipContribPct: [0, 10, 30, 50],
  },
};

export type NotebookName = keyof typeof NOTEBOOK_DEFAULTS;
