/**
 * Notebook 05's step: the study's interpretability score of channels of the
 * layer, with its controls. Mines (or reuses) the top-(k + held-out) exemplars,
 * renders (or reuses) one AM image per channel and seed with the default
 * recipe, chooses the metric (and says why), and scores them with scoreLayer,
 * the function `featvis score`, sweeps and `featvis identify` use. The views
 * of the result are in score.ts.
 */
import { ExemplarStore } from '../exemplars/store.js';
import { scoreLayer, type AmSample, type LayerScore } from '../experiments/layerScore.js';
import { amSettings } from '../optvis/settings.js';
import { amRunKey, visualizeChannels } from '../optvis/visualize.js';
import { layerChannels } from './am.js';
import { showText, withProgress } from './display.js';
import { mineExemplars, type MinedExemplars } from './exemplars.js';
import { chooseMetric, type ChosenMetric } from './model.js';
import type { NotebookSettings } from './notebookSettings.js';
import { runDir } from './settings.js';

export interface ChannelScores {
  exemplars: MinedExemplars;
  channels: number[];
  am: AmSample[];
  metric: ChosenMetric;
  result: LayerScore;
}

/** Scores channels of the study's layer: exemplars, AM images per seed, the metric, the scores and controls. */
export async function scoreChannels(s: NotebookSettings<'score'>): Promise<ChannelScores> {
  const exemplars = await mineExemplars(s, s.k + s.heldOut);
  const { study } = exemplars;
  const channels = layerChannels(study, s.scoreChannels);
  const am: AmSample[] = await withProgress(
    'AM images …',
    async (update) => {
      const out: AmSample[] = [];
      for (const seed of s.seeds) {
        const settings = amSettings({ layer: study.layer, channels, steps: s.steps, size: s.size, seed, batchSize: s.batch });
        const run = await visualizeChannels(study.model, settings, {
          outDir: runDir('am', study.layer, amRunKey(study.model, settings)),
          onProgress: (p) => update(`seed ${seed}: ${p.done}/${p.total} channels`),
        });
        out.push({ seed, images: run.images });
      }
      return out;
    },
    () => `AM images (default recipe) for ${channels.length} channels × seeds ${s.seeds.join(', ')}`,
  );
  const metric = await chooseMetric(s.metric);
  showText(`metric: ${metric.why}\n        ${metric.metric.describe()}`);
  const store = new ExemplarStore(exemplars.storeFile, { readonly: true });
  try {
    const result = await withProgress(
      'scoring …',
      (update) =>
        scoreLayer({
          metric: metric.metric,
          store,
          layer: study.layer,
          channels,
          runId: exemplars.runId,
          am,
          k: s.k,
          heldOut: s.heldOut,
          size: s.scoreSize,
          crop: s.crop,
          onProgress: (done, total) => update(`${done}/${total} channel × seed`),
        }),
      (r) => `scored ${channels.length} channels × ${s.seeds.length} seeds against ${r.dataset.images} images`,
    );
    return { exemplars, channels, am, metric, result };
  } finally {
    store.close();
  }
}
