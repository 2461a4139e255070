/**
 * What a sweep concludes. The quantity is the normalised interpretability
 * (higher = more interpretable; 0 = chance, 1 = ceiling), the study's raw score
 * beside it (lower = closer to the exemplars). Per knob and strength:
 *
 *   - the paired difference from the baseline (the same channel and seed rendered
 *     with nothing swept), with its 95 % Student-t interval over channels × seeds;
 *   - channel identification of the AM images (2AFC over the sweep's channels, Wilson 95 %).
 *
 * A knob gets a "best strength" only where that interval excludes 0 in the good
 * direction; otherwise its verdict is "no measurable effect".
 */
import { SCORE_VARIANTS, type ScoreVariant } from '../metrics/embedding.js';
import { identification, type Identification } from '../metrics/identification.js';
import { finiteMean, normalizedOverUnits, type QueryScore } from '../metrics/interpretability.js';
import { excludesZero, meanCI, pairedDifference, type MeanCI } from '../metrics/stats.js';
import { BASELINE_KNOB } from './config.js';
import type { CellRow, ChannelRow, ControlRow } from './sweepStore.js';

export interface StrengthSummary {
  knob: string;
  strength: number;
  /** True for the baseline, and for a strength that renders exactly the baseline. */
  baseline: boolean;
  /** Cells (channels × seeds). */
  n: number;
  /** The study's score, mean over cells with a 95 % CI (lower = closer to the exemplars). */
  score: MeanCI;
  chance: number;
  /** Normalised interpretability over cells (ratio of means, 95 % delta-method CI; higher = better). */
  normalized: MeanCI;
  /** Paired difference of the normalised interpretability from the baseline (null for the baseline). */
  diff: MeanCI | null;
  /** Paired difference of the raw score from the baseline (negative = closer). */
  scoreDiff: MeanCI | null;
  /** Channel identification of the AM images. */
  identification: Identification;
  activation: number;
}

export interface KnobVerdict {
  knob: string;
  /** The strength with the largest improvement whose 95 % CI excludes 0, or null. */
  best: StrengthSummary | null;
  /** Strengths measurably worse than the baseline. */
  worse: number[];
  verdict: string;
}

export interface ControlsSummary {
  /** Mean ceiling over channels. */
  ceiling: number | null;
  /** Held-out exemplars: mean score, normalised (ratio over channel × seed units) and identification. */
  positiveScore: number | null;
  positive: MeanCI | null;
  positiveIdentification: Identification | null;
  /** Random images: normalised (≈ 0) and identification (≈ 50 %). */
  negative: MeanCI | null;
  randomIdentification: Identification | null;
}

const key = (c: { channel: number; seed: number }): string => `${c.channel}/${c.seed}`;

/** Cells of a knob at a strength, with baseline-equivalent strengths answered by the baseline cells. */
function cellsAt(cells: readonly CellRow[], knob: string, strength: number, baseline: boolean): CellRow[] {
  return baseline ? cells.filter((c) => c.knob === BASELINE_KNOB) : cells.filter((c) => c.knob === knob && c.strength === strength);
}

function scoresOf(cells: readonly CellRow[], variant: ScoreVariant): QueryScore[] {
  return cells.map((c) => c.scores[variant]).filter((q): q is QueryScore => q !== undefined);
}

function strengthSummary(knob: string, strength: number, baseline: boolean, cells: readonly CellRow[], base: readonly CellRow[], channels: readonly number[], variant: ScoreVariant): StrengthSummary {
  const qs = scoresOf(cells, variant);
  const unitMap = (xs: readonly CellRow[], f: (q: QueryScore) => number | null): Map<string, number> =>
    new Map(
      xs.flatMap((c) => {
        const q = c.scores[variant];
        const v = q ? f(q) : null;
        return v === null || !Number.isFinite(v) ? [] : [[key(c), v] as [string, number]];
      }),
    );
  const diff = baseline ? null : pairedDifference(unitMap(cells, (q) => q.normalized), unitMap(base, (q) => q.normalized));
  const scoreDiff = baseline ? null : pairedDifference(unitMap(cells, (q) => q.score), unitMap(base, (q) => q.score));
  return {
    knob,
    strength,
    baseline,
    n: cells.length,
    score: meanCI(qs.map((q) => q.score)),
    chance: finiteMean(qs.map((q) => q.chance)),
    normalized: normalizedOverUnits(qs),
    diff: diff ? { mean: diff.mean, halfWidth: diff.halfWidth, n: diff.n } : null,
    scoreDiff: scoreDiff ? { mean: scoreDiff.mean, halfWidth: scoreDiff.halfWidth, n: scoreDiff.n } : null,
    identification: identification(qs, channels),
    activation: finiteMean(cells.map((c) => c.activation)),
  };
}

/**
 * One row per knob and strength (strength 0 and any other baseline-equivalent
 * strength show the baseline cells), sorted by knob then strength.
 * `isBaseline(knob, strength)` says which strengths render the baseline.
 */
export function summarize(cells: readonly CellRow[], sweep: Readonly<Partial<Record<string, readonly number[]>>>, channels: readonly number[], isBaseline: (knob: string, strength: number) => boolean, variant: ScoreVariant = 'lpips'): StrengthSummary[] {
  const base = cells.filter((c) => c.knob === BASELINE_KNOB);
  const out: StrengthSummary[] = [];
  for (const [knob, strengths] of Object.entries(sweep).sort(([a], [b]) => a.localeCompare(b))) {
    for (const strength of [...(strengths ?? [])].sort((a, b) => a - b)) {
      const b = isBaseline(knob, strength);
      const cs = cellsAt(cells, knob, strength, b);
      if (cs.length === 0) continue;
      out.push(strengthSummary(knob, strength, b, cs, base, channels, variant));
    }
  }
  return out;
}

/** "best strength" only where the paired 95 % CI excludes 0 (improvement), else "no measurable effect". */
export function verdicts(summary: readonly StrengthSummary[]): KnobVerdict[] {
  const knobs = [...new Set(summary.map((s) => s.knob))];
  return knobs.map((knob) => {
    const rows = summary.filter((s) => s.knob === knob && s.diff !== null);
    const better = rows.filter((s) => s.diff!.mean > 0 && excludesZero(s.diff!));
    const worse = rows.filter((s) => s.diff!.mean < 0 && excludesZero(s.diff!)).map((s) => s.strength);
    const best = better.length ? better.reduce((a, b) => (b.diff!.mean > a.diff!.mean ? b : a)) : null;
    const worseText = worse.length ? `; measurably worse at ${worse.join(', ')}` : '';
    const verdict = best
      ? `best strength ${best.strength}: normalised interpretability +${best.diff!.mean.toFixed(3)} ± ${best.diff!.halfWidth!.toFixed(3)} over the baseline${worseText}`
      : rows.some((s) => s.diff!.halfWidth === null)
        ? `no measurable effect (too few channels × seeds for an interval)${worseText}`
        : `no measurable effect${worseText}`;
    return { knob, best, worse, verdict };
  });
}

/** The sweep's controls for one variant. */
export function controlsSummary(channels: ReadonlyMap<number, ChannelRow>, controls: readonly ControlRow[], channelList: readonly number[], variant: ScoreVariant = 'lpips'): ControlsSummary {
  const ceilings = [...channels.values()].map((c) => c.ceiling[variant]).filter((v): v is number => typeof v === 'number');
  const qs = controls.flatMap((c) => c.queries[variant] ?? []);
  const held = qs.filter((q) => q.kind === 'heldOut');
  const rand = qs.filter((q) => q.kind === 'random');
  const firstSeed = new Map<number, number>();
  for (const q of held) if (!firstSeed.has(q.channel)) firstSeed.set(q.channel, q.seed);
  const units = (xs: readonly QueryScore[]) => {
    const g = new Map<string, QueryScore[]>();
    for (const q of xs) g.set(key(q), [...(g.get(key(q)) ?? []), q]);
    return [...g.values()].map((v) => ({ score: finiteMean(v.map((q) => q.score)), chance: finiteMean(v.map((q) => q.chance)), ceiling: v[0]!.ceiling }));
  };
  return {
    ceiling: ceilings.length ? finiteMean(ceilings) : null,
    positiveScore: held.length ? finiteMean(held.map((q) => q.score)) : null,
    positive: held.length ? normalizedOverUnits(units(held)) : null,
    positiveIdentification: held.length ? identification(held.filter((q) => q.seed === firstSeed.get(q.channel)), channelList) : null,
    negative: rand.length ? normalizedOverUnits(units(rand)) : null,
    randomIdentification: rand.length ? identification(rand, channelList) : null,
  };
}

/** Variants present in a sweep's cells, in the canonical order. */
export function sweepVariants(cells: readonly CellRow[]): ScoreVariant[] {
  return SCORE_VARIANTS.filter((v) => cells.some((c) => c.scores[v] !== undefined));
}
