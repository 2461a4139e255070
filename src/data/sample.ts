/** Subsets of an image folder: an evenly spaced sample, so a limit still covers every class. */
import { listImages } from './folder.js';

/** Evenly spaced subset of a sorted folder listing (all images when `limit` is absent or ≥ the count). */
export function sampleFolder(root: string, limit?: number): string[] {
  const all = listImages(root).map((e) => e.path);
  if (!limit || limit >= all.length) return all;
  return Array.from({ length: limit }, (_, i) => all[Math.floor((i * all.length) / limit)]!);
}
