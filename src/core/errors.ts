/** Errors users see when they name things that do not exist. */

export class FeatvisError extends Error {
  override name = 'FeatvisError';
}

/** Names longer than this are compared on their first MAX_COMPARED characters (the distance is quadratic). */
const MAX_COMPARED = 256;

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

function typeError(fn: string, arg: string, want: string, got: unknown): FeatvisError {
  const what = got === null ? 'null' : Array.isArray(got) ? 'an array' : typeof got;
  return new FeatvisError(`${fn}: ${arg} must be ${want}, got ${what}`);
}

/** The `n` candidates closest to `name` (edit distance, substring matches first). */
export function closestNames(name: string, candidates: readonly string[], n = 5): string[] {
  if (typeof name !== 'string') throw typeError('closestNames', 'name', 'a string', name);
  if (!Array.isArray(candidates)) throw typeError('closestNames', 'candidates', 'an array of strings', candidates);
  if (!Number.isInteger(n) || n < 0) throw typeError('closestNames', 'n', 'an integer ≥ 0', n);
  const key = name.slice(0, MAX_COMPARED).toLowerCase();
  return candidates
    .filter((c): c is string => typeof c === 'string')
    .map((c) => ({ c, d: editDistance(key, c.slice(0, MAX_COMPARED).toLowerCase()) - (name.length > 0 && c.includes(name) ? 2 : 0) }))
    .sort((x, y) => x.d - y.d)
    .slice(0, n)
    .map((x) => x.c);
}

/** `text` (e.g. a parser's message quoting the input) on one line, control characters as spaces, cut to `max` characters. */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Shows a user-given name in a message: quoted, control characters escaped, long names cut. */
export function quoteName(name: unknown): string {
  const s = typeof name === 'string' ? name : String(name);
  const shown = s.length > 120 ? `${s.slice(0, 120)}…` : s;
  return `'${shown.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}

export function unknownLayerError(name: string, candidates: readonly string[], model: string): FeatvisError {
  if (typeof name !== 'string') return typeError('layer lookup', 'the layer name', 'a string', name);
  return new FeatvisError(
    `unknown layer ${quoteName(name)} in model '${model}'. Closest layer names: ${closestNames(name, candidates).join(', ')}. ` +
      `List all layers with \`featvis layers --model …\`.`,
  );
}

export function channelRangeError(layer: string, channel: number, channels: number): FeatvisError {
  return new FeatvisError(`channel ${channel} is out of range for layer '${layer}': valid channels are 0–${channels - 1}.`);
}
