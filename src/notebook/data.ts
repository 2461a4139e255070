/**
 * Dataset helpers for the notebooks: the random images of a channel's controls,
 * from the same draw `featvis score`, sweeps and `featvis identify` use
 * (exemplars/channelSets.ts → data/randomDraw.ts). Subsets of a folder:
 * `sampleFolder` (data/sample.ts).
 */
import { channelSets, randomRefs } from '../exemplars/channelSets.js';
import type { ExemplarStore } from '../exemplars/store.js';

/** Paths of the `k` random images of (channel, seed) drawn from the store's mined images (the chance level). */
export function chanceImages(store: ExemplarStore, layer: string, channel: number, seed: number, k = 9, opts: { runId?: number; heldOut?: number } = {}): string[] {
  const sets = channelSets(store, layer, [channel], { k: 9, ...opts });
  return randomRefs(sets, sets.sets[0]!, seed, k).map((r) => r.path);
}
