/**
 * Helpers for the TypeScript notebooks in notebooks/ (tslab kernel): display,
 * settings from the environment, model / metric choice, dataset subsets.
 * The notebooks import the engine itself (optvis, exemplars, metrics…)
 * directly, exactly as the CLI does.
 */
export * from './settings.js';
export * from './display.js';
export * from './plot.js';
export * from './model.js';
export * from './data.js';
export * from './score.js';
export * from './atlas.js';
