/**
 * The reference study's interpretability score and the controls that make it
 * readable. Given distances (scorer.ts), for a query image q of channel c:
 *
 *   score    mean distance from q to c's top-k exemplars (the study's number;
 *            lower = closer to the real images that excite the channel);
 *   chance   mean distance from q to k random dataset images (same resize policy):
 *            what "no closer than an unrelated photo" is FOR THIS IMAGE — an AM
 *            image is synthetic and far from every photo, so only its own
 *            distance to random photos is a fair chance level;
 *   ceiling  mean pairwise distance within c's top-k: how close images that truly
 *            excite the channel are to each other;
 *   normalised interpretability = (chance − score) / (chance − ceiling):
 *            0 = chance, 1 = as close as the exemplars are to each other (higher =
 *            more interpretable); null when chance ≤ ceiling (no room to measure).
 *            Over several channels / seeds it is the ratio of the means,
 *            Σ(chance − score) / Σ(chance − ceiling), with a delta-method CI: single
 *            ratios blow up where a photo's chance is barely above the ceiling;
 *            undefined where the mean of chance − ceiling is not clearly above 0.
 *
 * Queries: the AM image (per seed); the positive control, held-out exemplars
 * (ranks k+1…2k) — real images that excite the channel but did not define its
 * top-k, so they show what a perfect visualisation scores; and the negative
 * control, the random images themselves (each against the others).
 */
import type { QueryDistances } from './scorer.js';
import type { ScoreVariant } from './embedding.js';
import { identification, type Identification } from './identification.js';
import { ratioCI, type MeanCI } from './stats.js';

export type { ExemplarRef } from './scorer.js';
export { meanCI, type MeanCI } from './stats.js';

export type QueryKind = 'am' | 'heldOut' | 'random';

export interface QueryScore {
  kind: QueryKind;
  /** The channel the query belongs to. */
  channel: number;
  /** The sample (AM seed) whose random draw gives the chance level. */
  seed: number;
  /** Mean distance to each channel's top-k, in the scorer's channel order. */
  toTop: number[];
  /** Distances to the query's own channel's top-k (NaN: the query itself). */
  distances: number[];
  score: number;
  chance: number;
  ceiling: number | null;
  normalized: number | null;
}

/** Mean of the finite values (NaN when none). */
export function finiteMean(xs: readonly number[]): number {
  let s = 0;
  let n = 0;
  for (const x of xs) if (Number.isFinite(x)) {
    s += x;
    n++;
  }
  return n ? s / n : Number.NaN;
}

/** (chance − score) / (chance − ceiling), or null when chance ≤ ceiling or a value is missing. */
export function normalizedInterpretability(score: number, chance: number, ceiling: number | null): number | null {
  if (ceiling === null || !Number.isFinite(score) || !Number.isFinite(chance) || !(chance - ceiling > 1e-12)) return null;
  return (chance - score) / (chance - ceiling);
}

/** One query's numbers for one variant; `owner` is its channel's index in the scorer's channel order. */
export function queryScore(kind: QueryKind, owner: number, channel: number, seed: number, d: QueryDistances, variant: ScoreVariant, ceiling: number | null): QueryScore {
  const toTop = d.toTop[variant].map(finiteMean);
  const score = toTop[owner]!;
  const chance = finiteMean(d.toRandom[variant]);
  return { kind, channel, seed, toTop, distances: d.toTop[variant][owner]!, score, chance, ceiling, normalized: normalizedInterpretability(score, chance, ceiling) };
}

export interface ControlValue {
  score: number;
  chance: number;
  normalized: number | null;
}

export interface ChannelEvaluation {
  channel: number;
  ceiling: number | null;
  /** The AM image of each seed. */
  am: Array<ControlValue & { seed: number; distances: number[] }>;
  /** Normalised interpretability of the AM images (ratio of means over seeds, 95 % CI). */
  normalized: MeanCI;
  /** Held-out exemplars (positive control): means over them and the seeds' draws. */
  positive: ControlValue | null;
  /** Random images (negative control), likewise. */
  negative: ControlValue | null;
}

export interface LayerEvaluation {
  variant: ScoreVariant;
  channels: ChannelEvaluation[];
  /**
   * AM images: normalised interpretability over channels × seeds, as a ratio of
   * means Σ(chance − score) / Σ(chance − ceiling) with a 95 % delta-method CI.
   */
  normalized: MeanCI;
  /** Positive control (held-out exemplars), the same ratio over (channel, seed) units: near 1 when the metric works. */
  positive: MeanCI | null;
  /** Negative control (random images, each against the others): near or below 0 (photos are often closer to each other than to a channel's top-k). */
  negative: MeanCI | null;
  /** Raw means over channels × seeds (the study's units). */
  score: number;
  chance: number;
  ceiling: number;
  positiveScore: number | null;
  identification: { am: Identification | null; heldOut: Identification | null; random: Identification | null };
}

/** A (channel, seed) unit of one kind: its queries' mean score and chance. */
interface Unit {
  channel: number;
  seed: number;
  score: number;
  chance: number;
  ceiling: number | null;
}

function units(queries: readonly QueryScore[], kind: QueryKind): Unit[] {
  const groups = new Map<string, QueryScore[]>();
  for (const q of queries) {
    if (q.kind !== kind) continue;
    const key = `${q.channel}/${q.seed}`;
    groups.set(key, [...(groups.get(key) ?? []), q]);
  }
  return [...groups.values()].map((qs) => ({
    channel: qs[0]!.channel,
    seed: qs[0]!.seed,
    score: finiteMean(qs.map((q) => q.score)),
    chance: finiteMean(qs.map((q) => q.chance)),
    ceiling: qs[0]!.ceiling,
  }));
}

/** Σ(chance − score) / Σ(chance − ceiling) over units with all three values. */
export function normalizedOverUnits(us: ReadonlyArray<{ score: number; chance: number; ceiling: number | null }>): MeanCI {
  const ok = us.filter((u) => u.ceiling !== null && Number.isFinite(u.score) && Number.isFinite(u.chance));
  return ratioCI(
    ok.map((u) => u.chance - u.score),
    ok.map((u) => u.chance - u.ceiling!),
  );
}

function control(us: readonly Unit[]): ControlValue | null {
  if (us.length === 0) return null;
  const r = normalizedOverUnits(us);
  return { score: finiteMean(us.map((u) => u.score)), chance: finiteMean(us.map((u) => u.chance)), normalized: Number.isFinite(r.mean) ? r.mean : null };
}

/**
 * Everything the score reports for one variant, from the query scores of a set
 * of channels (`channels` in the scorer's order, `ceilings` aligned with them).
 */
export function evaluateLayer(variant: ScoreVariant, channels: readonly number[], ceilings: ReadonlyArray<number | null>, queries: readonly QueryScore[]): LayerEvaluation {
  const amU = units(queries, 'am');
  const heldU = units(queries, 'heldOut');
  const randU = units(queries, 'random');
  const perChannel: ChannelEvaluation[] = channels.map((ch, i) => {
    const am = queries.filter((q) => q.channel === ch && q.kind === 'am').map((q) => ({ seed: q.seed, score: q.score, chance: q.chance, normalized: q.normalized, distances: q.distances }));
    return {
      channel: ch,
      ceiling: ceilings[i] ?? null,
      am,
      normalized: normalizedOverUnits(amU.filter((u) => u.channel === ch)),
      positive: control(heldU.filter((u) => u.channel === ch)),
      negative: control(randU.filter((u) => u.channel === ch)),
    };
  });
  const amQ = queries.filter((q) => q.kind === 'am');
  const held = queries.filter((q) => q.kind === 'heldOut');
  const rand = queries.filter((q) => q.kind === 'random');
  const ceil = ceilings.filter((v): v is number => v !== null);
  return {
    variant,
    channels: perChannel,
    normalized: normalizedOverUnits(amU),
    positive: heldU.length ? normalizedOverUnits(heldU) : null,
    negative: randU.length ? normalizedOverUnits(randU) : null,
    score: finiteMean(amQ.map((q) => q.score)),
    chance: finiteMean(amQ.map((q) => q.chance)),
    ceiling: finiteMean(ceil),
    positiveScore: held.length ? finiteMean(held.map((q) => q.score)) : null,
    identification: {
      am: amQ.length ? identification(amQ, channels) : null,
      // held-out exemplars are the same images for every seed: each takes part once
      heldOut: held.length ? identification(held.filter((q) => q.seed === held.find((h) => h.channel === q.channel)!.seed), channels) : null,
      random: rand.length ? identification(rand, channels) : null,
    },
  };
}
