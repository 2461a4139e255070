/** Image-quality numbers of channels' top-k exemplars: the photo reference for an AM run's quality report. */
import { readImage } from '../data/image.js';
import { imageQuality, summarizeQuality, type QualitySummary } from '../data/quality.js';
import { ExemplarStore } from './store.js';

/** Quality summary of the top exemplars of `channels` (each resized to size × size, centre crop, as AM images are square). */
export async function exemplarQuality(storeFile: string, layer: string, channels: readonly number[], size: number): Promise<QualitySummary> {
  const store = new ExemplarStore(storeFile, { readonly: true });
  try {
    const paths = channels.flatMap((c) => store.topK(layer, c).map((e) => e.path));
    const qs = [];
    for (const p of paths) qs.push(imageQuality(await readImage(p, [size, size], 'cover')));
    return summarizeQuality(qs);
  } finally {
    store.close();
  }
}
