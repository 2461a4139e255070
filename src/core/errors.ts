/** Errors users see when they name things that do not exist. */

export class FeatvisError extends Error {
  override name = 'FeatvisError';
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

export function closestNames(name: string, candidates: readonly string[], n = 5): string[] {
  return [...candidates]
    .map((c) => ({ c, d: editDistance(name.toLowerCase(), c.toLowerCase()) - (c.includes(name) ? 2 : 0) }))
    .sort((x, y) => x.d - y.d)
    .slice(0, n)
    .map((x) => x.c);
}

export function unknownLayerError(name: string, candidates: readonly string[], model: string): FeatvisError {
  return new FeatvisError(
    `unknown layer '${name}' in model '${model}'. Closest layer names: ${closestNames(name, candidates).join(', ')}. ` +
      `List all layers with \`featvis layers --model …\`.`,
  );
}

export function channelRangeError(layer: string, channel: number, channels: number): FeatvisError {
  return new FeatvisError(`channel ${channel} is out of range for layer '${layer}': valid channels are 0–${channels - 1}.`);
}
