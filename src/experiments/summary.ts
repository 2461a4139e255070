/** Aggregates sweep cells: score per knob and strength (mean over channels and seeds, with a CI) and the best strength per knob. */
import { meanCI } from '../metrics/interpretability.js';
import type { CellRow, ControlRow } from './sweep.js';

export interface StrengthSummary {
  knob: string;
  strength: number;
  /** Mean interpretability score over channels × seeds (lower = closer to real images). */
  score: number;
  /** 95 % CI half-width over seeds of the per-seed channel means (null with one seed). */
  ci: number | null;
  activation: number;
  n: number;
}

export interface KnobBest {
  knob: string;
  strength: number;
  score: number;
  /** Score without the regulariser (strength 0), when the sweep has it. */
  baseline: number | null;
}

export function summarize(cells: readonly CellRow[]): StrengthSummary[] {
  const groups = new Map<string, CellRow[]>();
  for (const c of cells) {
    const key = `${c.knob}\u0000${c.strength}`;
    const g = groups.get(key) ?? [];
    g.push(c);
    groups.set(key, g);
  }
  const out: StrengthSummary[] = [];
  for (const g of groups.values()) {
    const seeds = [...new Set(g.map((c) => c.seed))];
    const perSeed = seeds.map((s) => {
      const rows = g.filter((c) => c.seed === s);
      return rows.reduce((a, c) => a + c.score, 0) / rows.length;
    });
    const { mean, halfWidth } = meanCI(perSeed);
    out.push({
      knob: g[0]!.knob,
      strength: g[0]!.strength,
      score: mean,
      ci: halfWidth,
      activation: g.reduce((a, c) => a + c.activation, 0) / g.length,
      n: g.length,
    });
  }
  return out.sort((a, b) => (a.knob === b.knob ? a.strength - b.strength : a.knob.localeCompare(b.knob)));
}

export function bestPerKnob(summary: readonly StrengthSummary[]): KnobBest[] {
  const knobs = [...new Set(summary.map((s) => s.knob))];
  return knobs.map((k) => {
    const rows = summary.filter((s) => s.knob === k);
    const best = rows.reduce((a, b) => (b.score < a.score ? b : a));
    const zero = rows.find((r) => r.strength === 0);
    return { knob: k, strength: best.strength, score: best.score, baseline: zero ? zero.score : null };
  });
}

export function controlsSummary(controls: ReadonlyMap<number, ControlRow>): { floor: number | null; ceiling: number | null } {
  const f = [...controls.values()].map((c) => c.floor).filter((v): v is number => v !== null);
  const c = [...controls.values()].map((x) => x.ceiling).filter((v): v is number => v !== null);
  return { floor: f.length ? f.reduce((a, b) => a + b) / f.length : null, ceiling: c.length ? c.reduce((a, b) => a + b) / c.length : null };
}
