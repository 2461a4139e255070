/**
 * The study's model and layer, as every notebook opens them: the model is
 * loaded once per kernel (cached by source, never disposed, so any cell can be
 * re-run in any order), the layer is the notebook's setting, else what
 * notebook 01 saved (project.ts), else the study's (mixed6 on InceptionV3) or
 * the model's suggested layer.
 */
import { unknownLayerError } from '../core/errors.js';
import type { FeatModel, LayerInfo } from '../core/types.js';
import { showNote, showText } from './display.js';
import { chooseLayer, chooseModel } from './model.js';
import { writeProject } from './project.js';

export interface Study {
  model: FeatModel;
  /** The model source (zoo id, path, URL). */
  source: string;
  layer: string;
  info: LayerInfo;
  /** True for the study's InceptionV3 with its official weights. */
  isStudyModel: boolean;
}

/** Opens the study's model and layer from a notebook's settings (`model`, `layer`) and says which. */
export async function openStudy(s: { model: string; layer: string }): Promise<Study> {
  const chosen = await chooseModel(s.model);
  const layer = chooseLayer(chosen, s.layer);
  const info = chosen.model.layers.find((l) => l.name === layer)!;
  showText(`model ${chosen.model.name} (${chosen.model.layers.length} layers), layer ${layer} (${info.shape.join('×')})`);
  return { model: chosen.model, source: chosen.source, layer, info, isStudyModel: chosen.isStudyModel };
}

/**
 * Saves the layer (and the model it belongs to) as the study's: notebooks
 * 02–06 use it wherever their `layer` setting is 'auto'.
 */
export function saveStudyLayer(study: Study, layer: string = study.layer): void {
  const names = study.model.layers.map((l) => l.name);
  if (!names.includes(layer)) throw unknownLayerError(layer, names, study.model.name);
  const file = writeProject({ model: study.source, layer });
  showNote(`Notebooks 02–06 will study layer \`${layer}\` of ${study.model.name} (saved in ${file}).`);
}
