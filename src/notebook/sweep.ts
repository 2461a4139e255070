/**
 * Notebook 06's step: a regularisation sweep from the notebook's settings (the
 * same fv.runSweep as `featvis sweep config.json`), resumable, and its views:
 * the verdicts, every strength, the charts and the images.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FeatvisError } from '../core/errors.js';
import { fileSafe } from '../core/names.js';
import { parseSweepConfig, SWEEP_KNOBS, type SweepConfig } from '../experiments/config.js';
import { bestGrid, loadSweepReport, type SweepReport } from '../experiments/report.js';
import { runSweep, sweepRunKey } from '../experiments/sweep.js';
import type { Identification } from '../metrics/identification.js';
import type { MeanCI } from '../metrics/stats.js';
import { STANDARD_TRANSFORMS } from '../optvis/transforms.js';
import { layerChannels, paramKind } from './am.js';
import { showPlot, showPng, showTable, showText, withProgress } from './display.js';
import { chooseMetric } from './model.js';
import type { NotebookSettings } from './notebookSettings.js';
import { outputDir, resolvePath } from './settings.js';
import { openStudy, type Study } from './study.js';

type SweepSettings = NotebookSettings<'sweep'>;

export interface StudySweep {
  study: Study;
  config: SweepConfig;
  dir: string;
  report: SweepReport;
}

/** The strengths to sweep: `sweep` names the regularisers, each one's list is its own setting, cut to `sweepPoints`. */
export function sweepStrengths(s: SweepSettings): Record<string, number[]> {
  const lists: Record<string, number[]> = { l1: s.l1, l2: s.l2, tv: s.tv, freq: s.freq, decay: s.decay, blur: s.blur, clipNormPct: s.clipNormPct, clipContribPct: s.clipContribPct };
  const out: Record<string, number[]> = {};
  for (const k of s.sweep.split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!Object.hasOwn(lists, k)) throw new FeatvisError(`sweep: no strengths for '${k}' (known: ${Object.keys(lists).join(', ')})`);
    if (!(SWEEP_KNOBS as readonly string[]).includes(k)) throw new FeatvisError(`sweep: '${k}' is not a sweep knob (${SWEEP_KNOBS.join(', ')})`);
    out[k] = s.sweepPoints > 0 ? lists[k]!.slice(0, s.sweepPoints) : [...lists[k]!];
  }
  if (Object.keys(out).length === 0) throw new FeatvisError('sweep: name at least one regulariser (e.g. tv,blur)');
  return out;
}

/** Runs (or resumes) the sweep the settings describe; one folder per configuration. */
export async function runStudySweep(s: SweepSettings): Promise<StudySweep> {
  const study = await openStudy(s);
  const metric = await chooseMetric(s.metric);
  showText(`metric: ${metric.why}`);
  const config = parseSweepConfig(
    {
      model: study.source,
      layer: study.layer,
      channels: layerChannels(study, s.scoreChannels),
      seeds: s.seeds,
      steps: s.steps,
      size: s.size,
      param: paramKind(s.param),
      decorrelate: true,
      transforms: STANDARD_TRANSFORMS,
      blurEvery: 4,
      sweep: sweepStrengths(s),
      exemplars: { images: resolvePath(s.imageFolder), ...(s.imageLimit > 0 ? { limit: s.imageLimit } : {}), k: s.k, heldOut: s.heldOut, batchSize: s.mineBatch },
      metric: metric.config,
      metricSize: s.scoreSize,
      randomImages: s.k,
    },
    'notebook settings',
  );
  const dir = path.join(outputDir('sweeps'), `${fileSafe(study.layer)}-${sweepRunKey(config)}`);
  await withProgress(
    'starting …',
    (update) =>
      runSweep(config, {
        outDir: dir,
        model: study.model,
        onProgress: (p) => update(p.cell ? `${p.done}/${p.total} cells · ${p.cell.knob} = ${p.cell.strength}, channel ${p.cell.channel}` : `${p.phase} ${p.done}/${p.total}`),
      }),
    (r) => `${r.cells.length} cells (${r.newCells} new) → ${dir}`,
  );
  return { study, config, dir, report: loadSweepReport(dir) };
}

const ci = (m: MeanCI | null): string => (m && Number.isFinite(m.mean) ? (m.halfWidth === null ? m.mean.toFixed(3) : `${m.mean.toFixed(3)} ± ${m.halfWidth.toFixed(3)}`) : '—');
const pct = (p: Identification | null): string => (p && Number.isFinite(p.rate) ? `${(100 * p.rate).toFixed(1)} % [${(100 * p.low).toFixed(1)}, ${(100 * p.high).toFixed(1)}]` : '—');

/** Per regulariser: the best strength where the paired CI excludes 0, the verdict; and the controls. */
export function showVerdicts(run: StudySweep): void {
  const rep = run.report;
  const v0 = rep.variants[0]!;
  showTable(
    rep.verdicts.map((v) => ({ regulariser: v.knob, 'best strength': v.best ? v.best.strength : '—', verdict: v.verdict })),
    { title: `${rep.metricLabel} · ${v0.title}: verdict per regulariser (higher normalised interpretability = better)` },
  );
  const c = v0.controls;
  showText(`controls: ceiling ${c.ceiling?.toFixed(4) ?? '—'}; held-out exemplars normalised ${ci(c.positive)}, identified ${pct(c.positiveIdentification)}; random images identified ${pct(c.randomIdentification)} (≈ 50 %)`);
}

/** Every strength with its 95 % CIs (the baseline rows are the same cells for every regulariser). */
export function showStrengths(run: StudySweep): void {
  const v0 = run.report.variants[0]!;
  showTable(
    v0.summary.map((s) => ({
      regulariser: s.knob,
      strength: s.strength,
      baseline: s.baseline,
      cells: s.n,
      'score (lower = closer)': ci(s.score),
      normalised: ci(s.normalized),
      'Δ normalised vs baseline': ci(s.diff),
      'Δ score vs baseline': ci(s.scoreDiff),
      'AM identified': pct(s.identification),
    })),
    { title: 'Every strength (95 % CIs; the baseline rows are the same cells for every regulariser)' },
  );
}

/** One chart per regulariser: normalised interpretability ('normalised') or the study's raw score ('score') against strength. */
export function showSweepCharts(run: StudySweep, kind: 'normalised' | 'score' = 'normalised'): void {
  const v0 = run.report.variants[0]!;
  for (const f of kind === 'normalised' ? v0.figures : v0.scoreFigures) showPlot(f.figure);
}

/** The baseline and each regulariser at its best strength, per channel, with each channel's top-1 exemplar. */
export async function showSweepImages(run: StudySweep): Promise<void> {
  const png = await bestGrid(run.dir, run.report);
  fs.writeFileSync(path.join(run.dir, 'best.png'), png);
  showPng(png, 'baseline and best strengths');
}
