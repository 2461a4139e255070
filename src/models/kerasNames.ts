/**
 * Keras auto-generated layer names: a family (the layer class in snake case)
 * and a per-session counter. Keras 2.0 counts from 1 (`conv2d_1` is the first
 * convolution), current Keras from 0 (`conv2d`, `conv2d_1`, …), and a model
 * built after others in one session continues the counters, so the same
 * architecture can reach featvis under names shifted by a constant per family.
 */

/** Splits `conv2d_12` into family `conv2d` and number 12; `conv2d` is number 0. */
export function kerasFamily(name: string): [string, number] {
  const m = /^(.*?)_(\d+)$/.exec(name);
  return m ? [m[1]!, Number(m[2])] : [name, 0];
}

function minIndex(names: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of names) {
    const [fam, i] = kerasFamily(n);
    m.set(fam, Math.min(i, m.get(fam) ?? Infinity));
  }
  return m;
}

/**
 * Maps architecture names (current Keras numbering) to the names a file uses:
 * per family, the offset between the smallest numbers. An auto-named family
 * (`x`, `x_1`, … in the architecture) that the file does not list (e.g.
 * weightless layers in a weights-only file) takes the offset of
 * `fallbackFamily` (default `conv2d`); other names (`mixed9_0`, `avg_pool`)
 * keep theirs. Only names that change are in the map.
 */
export function kerasRenaming(arch: readonly string[], inFile: readonly string[], fallbackFamily = 'conv2d'): Map<string, string> {
  const archMin = minIndex(arch);
  const fileMin = minIndex(inFile);
  const archSet = new Set(arch);
  const counted = new Set(arch.filter((n) => /_\d+$/.test(n)).map((n) => kerasFamily(n)[0]).filter((fam) => archSet.has(fam)));
  const offset = (fam: string): number => {
    const f = fileMin.get(fam);
    if (f !== undefined) return f - archMin.get(fam)!;
    if (!counted.has(fam)) return 0;
    const g = fileMin.get(fallbackFamily);
    const a = archMin.get(fallbackFamily);
    return g !== undefined && a !== undefined ? g - a : 0;
  };
  const out = new Map<string, string>();
  for (const n of arch) {
    const [fam, i] = kerasFamily(n);
    const d = offset(fam);
    if (d === 0) continue;
    const j = i + d;
    if (j < 0) continue;
    const target = j === 0 ? fam : `${fam}_${j}`;
    if (target !== n) out.set(n, target);
  }
  return out;
}
