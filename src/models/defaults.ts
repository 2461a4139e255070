import type { FeatModel } from '../core/types.js';

/** The embedded model (data/featvis-imagenette): works offline on any machine. */
export const DEFAULT_MODEL = 'featvis-imagenette';

/** A layer worth looking at when the user names none: a zoo hint, else the middle spatial layer. */
export function defaultLayer(model: FeatModel): string {
  if (model.suggestedLayer) return model.suggestedLayer;
  const spatial = model.layers.filter((l) => l.shape.length === 3 && l.shape[2]! >= 16);
  const pick = spatial[Math.floor(spatial.length * 0.6)] ?? model.layers[Math.floor(model.layers.length / 2)];
  if (!pick) throw new Error(`model ${model.name} has no layers`);
  return pick.name;
}
