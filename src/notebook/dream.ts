/** Notebook 01's step: DeepDream on one photo across layers, to choose the layer the study visualises. */
import { FeatvisError } from '../core/errors.js';
import { batchToImages, readImageBatch, type RgbImage } from '../data/image.js';
import { deepDream } from '../optvis/dream.js';
import { parseObjective } from '../optvis/objectiveParse.js';
import { showGrid, showImage, showTable, withProgress } from './display.js';
import { spreadLayers } from './model.js';
import type { NotebookSettings } from './notebookSettings.js';
import { resolvePath } from './settings.js';
import { openStudy, type Study } from './study.js';

export interface DreamRow {
  '#': number;
  layer: string;
  'objective before': number;
  'objective after': number;
  seconds: number;
}

export interface DreamRun {
  study: Study;
  layers: string[];
  rows: DreamRow[];
}

/** Layer names without the prefix they all share ("MobilenetV2/expanded_conv_5/add" → "expanded_conv_5/add"). */
export function shortLayerNames(names: readonly string[]): string[] {
  if (names.length < 2) return [...names];
  const split = names.map((n) => n.split('/'));
  let common = 0;
  while (split.every((s) => s.length > common + 1 && s[common] === split[0]![common])) common++;
  return split.map((s) => s.slice(common).join('/'));
}

/** The layers to dream with: a comma-separated list, or 'auto' (layerCount layers spread over the network, the study's among them). */
function dreamLayerList(study: Study, layers: string, count: number): string[] {
  if (layers === 'auto') return spreadLayers(study.model, count, study.layer);
  const list = layers.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new FeatvisError(`layers: '${layers}' names no layer (use 'auto' or a comma-separated list)`);
  for (const l of list) parseObjective(l); // objective syntax (a layer, 'mixed6:3', sums) checked before anything runs
  return list;
}

/** DeepDream on the photo with each layer: the layer table, the photo, one grid (photo + a dream per layer) and the objectives. */
export async function dreamLayers(s: NotebookSettings<'dream'>): Promise<DreamRun> {
  const study = await openStudy(s);
  const layers = dreamLayerList(study, s.layers, s.layerCount);
  const shape = (name: string): string => study.model.layers.find((l) => l.name === name)?.shape.join('×') ?? 'objective';
  showTable(layers.map((name, i) => ({ '#': i + 1, layer: name, 'shape (H×W×C)': shape(name) })), { title: 'Layers to dream with (early → late)' });
  const photoPath = resolvePath(s.photo);
  // centre-cropped to a square, so the grid shows it undistorted
  const photo = await readImageBatch([photoPath], [s.dreamSize, s.dreamSize], 'cover');
  try {
    const input = (await batchToImages(photo))[0]!;
    await showImage(input, `${photoPath} at ${s.dreamSize}×${s.dreamSize}`);
    const opts = { octaves: s.octaves, octaveScale: s.octaveScale, stepsPerOctave: s.dreamSteps, stepSize: s.stepSize, jitter: s.jitter, seed: s.seed };
    const tiles: RgbImage[] = [input];
    const rows: DreamRow[] = [];
    await withProgress(
      'dreaming …',
      async (update) => {
        for (const [i, l] of layers.entries()) {
          update(`layer ${i + 1}/${layers.length}: ${l}`);
          const t0 = Date.now();
          const r = await deepDream(study.model, parseObjective(l), photo, opts);
          tiles.push((await batchToImages(r.image))[0]!);
          r.image.dispose();
          rows.push({ '#': i + 1, layer: l, 'objective before': r.before, 'objective after': r.after, seconds: (Date.now() - t0) / 1000 });
        }
      },
      () => `${layers.length} layers dreamed`,
    );
    const captions = ['input', ...shortLayerNames(layers).map((n, i) => `${i + 1}. ${n}`)];
    await showGrid(tiles, { captions, cols: Math.min(tiles.length, 3), tile: 256, title: `DeepDream · ${study.model.name}` });
    showTable(rows.map((r) => ({ ...r })), { title: 'Layer objective (mean activation) before → after dreaming' });
    return { study, layers, rows };
  } finally {
    photo.dispose();
  }
}
