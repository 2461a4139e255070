/**
 * The notebooks' part of the API, `fv.nb` (`import * as fv from 'featvis'`):
 * one call per study step (dreamLayers, activationMaximisation,
 * compareRegularisers, mineExemplars, scoreChannels, runStudySweep) with the
 * notebook's settings, and the views of their results. Models and metrics are
 * cached for the kernel's life and never disposed, so every cell can be re-run,
 * in any order, after Run All. Display helpers return nothing.
 */
export * from './settings.js';
export * from './defaults.js';
export * from './notebookSettings.js';
export * from './project.js';
export * from './build.js';
export * from './display.js';
export * from './plot.js';
export * from './model.js';
export * from './study.js';
export * from './data.js';
export * from './dream.js';
export * from './am.js';
export * from './regularisers.js';
export * from './exemplars.js';
export * from './scoring.js';
export * from './score.js';
export * from './atlas.js';
export * from './sweep.js';
