/**
 * DeepDream of one photo at several layers, side by side: how the study picks
 * the layer worth exploring. The CLI (`featvis dream`), the study and the
 * notebooks call this.
 */
import { batchToImages, readImage, readImageBatch, type RgbImage } from '../data/image.js';
import { FeatvisError } from '../core/errors.js';
import type { FeatModel } from '../core/types.js';
import { deepDream, type DreamOptions } from './dream.js';
import { parseObjective } from './objectiveParse.js';

export interface LayerDream {
  /** Objective expression (a layer name, or e.g. `mixed6:48`). */
  layer: string;
  image: RgbImage;
  before: number;
  after: number;
}

export interface DreamLayersResult {
  photo: RgbImage;
  /** Size the photo was resized to, [h, w]. */
  size: [number, number];
  dreams: LayerDream[];
}

/** Reads `photoPath` with its longer side at `size` px and dreams it at each of `layers`. */
export async function dreamLayers(
  model: FeatModel,
  photoPath: string,
  layers: readonly string[],
  opts: DreamOptions & { size?: number; onLayer?: (d: LayerDream) => void } = {},
): Promise<DreamLayersResult> {
  if (layers.length === 0) throw new FeatvisError('dreamLayers needs at least one layer');
  const objectives = layers.map((l) => parseObjective(l));
  for (const o of objectives) o.validate(model);
  const meta = await readImage(photoPath).catch((err: unknown) => {
    if (err instanceof FeatvisError) throw err;
    throw new FeatvisError(`cannot read photo ${photoPath}: ${err instanceof Error ? err.message : String(err)}`);
  });
  const side = opts.size ?? 256;
  const scale = side / Math.max(meta.width, meta.height);
  const dims: [number, number] = [Math.max(32, Math.round(meta.height * scale)), Math.max(32, Math.round(meta.width * scale))];
  const photo = await readImageBatch([photoPath], dims, 'fill');
  try {
    const dreams: LayerDream[] = [];
    for (const [i, layer] of layers.entries()) {
      const r = await deepDream(model, objectives[i]!, photo, opts);
      const image = (await batchToImages(r.image))[0]!;
      r.image.dispose();
      const d = { layer, image, before: r.before, after: r.after };
      dreams.push(d);
      opts.onLayer?.(d);
    }
    return { photo: (await batchToImages(photo))[0]!, size: dims, dreams };
  } finally {
    photo.dispose();
  }
}
