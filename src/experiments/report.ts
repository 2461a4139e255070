/**
 * Sweep report: `report.html` (the metric and why it was chosen; the controls and
 * their identification accuracies; per regulariser the verdict — a best strength
 * only where the paired 95 % CI over channels × seeds excludes 0, else "no
 * measurable effect"; Plotly charts whose legends carry chance, ceiling and the
 * positive control; the same tables for the spatially invariant variants),
 * `best.png`, and the data as `cells.csv` / `summary.csv`. report.html is
 * self-contained: Plotly and the best-strength grid are inside it, so the page
 * alone (mailed, moved, opened offline) still shows its charts and images.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { composeGrid } from '../data/grid.js';
import { readImage, writeFileAtomic, type RgbImage } from '../data/image.js';
import { FeatvisError } from '../core/errors.js';
import { escapeHtml, jsonForScript } from '../core/html.js';
import { VARIANT_TITLES, type ScoreVariant } from '../metrics/embedding.js';
import type { Identification } from '../metrics/identification.js';
import type { MeanCI } from '../metrics/stats.js';
import { BASELINE_KNOB, isBaselineCell, type SweepConfig, type SweepKnob } from './config.js';
import { SweepStore, type CellRow, type ChannelRow, type ControlRow } from './sweepStore.js';
import { controlsSummary, summarize, sweepVariants, verdicts, type ControlsSummary, type KnobVerdict, type StrengthSummary } from './summary.js';

let plotly: string | null = null;

/** plotly.min.js, to inline in the page (`</script` cannot end the element early). */
function plotlyLibrary(): string {
  plotly ??= fs.readFileSync(createRequire(import.meta.url).resolve('plotly.js-dist-min'), 'utf8').replace(/<\/script/gi, '<\\/script');
  return plotly;
}

export interface PlotlyFigure {
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
}

export interface VariantReport {
  variant: ScoreVariant;
  title: string;
  summary: StrengthSummary[];
  verdicts: KnobVerdict[];
  controls: ControlsSummary;
  /** Per knob: normalised interpretability vs strength (legend: chance 0, ceiling 1, positive control). */
  figures: Array<{ knob: string; figure: PlotlyFigure }>;
  /** Per knob: the study's raw score vs strength (legend: chance, ceiling, positive control). */
  scoreFigures: Array<{ knob: string; figure: PlotlyFigure }>;
}

export interface SweepReport {
  config: SweepConfig;
  model: string;
  metric: string;
  metricLabel: string;
  /** Which metric and why (e.g. the default offline metric and the measurement that chose it). */
  metricWhy: string;
  images: number | null;
  cells: CellRow[];
  channels: Map<number, ChannelRow>;
  controls: ControlRow[];
  /** The study's formula first, then the spatially invariant variants. */
  variants: VariantReport[];
  /** Shortcuts to variants[0] (the study's formula). */
  summary: StrengthSummary[];
  verdicts: KnobVerdict[];
  figures: Array<{ knob: string; figure: PlotlyFigure }>;
}

export function loadSweepReport(outDir: string): SweepReport {
  const file = path.join(outDir, 'sweep.sqlite');
  if (!fs.existsSync(file)) throw new FeatvisError(`no sweep found in ${outDir} (expected ${file})`);
  const store = new SweepStore(file, true);
  try {
    const config = JSON.parse(store.meta('config') ?? 'null') as SweepConfig | null;
    if (!config) throw new FeatvisError(`${file} has no configuration recorded`);
    const cells = store.cells();
    const channels = store.channels();
    const controls = store.controls();
    const metricLabel = store.meta('metricLabel') ?? '?';
    const isBase = (knob: string, strength: number): boolean => isBaselineCell(config, knob as SweepKnob, strength);
    const variants = sweepVariants(cells).map((v): VariantReport => {
      const summary = summarize(cells, config.sweep, config.channels, isBase, v);
      const ctl = controlsSummary(channels, controls, config.channels, v);
      return {
        variant: v,
        title: VARIANT_TITLES[v],
        summary,
        verdicts: verdicts(summary),
        controls: ctl,
        figures: figures(cells, summary, ctl, `${metricLabel} · ${VARIANT_TITLES[v]}`, v),
        scoreFigures: scoreFigures(summary, ctl, `${metricLabel} · ${VARIANT_TITLES[v]}`),
      };
    });
    const images = store.meta('images');
    return {
      config,
      model: store.meta('model') ?? config.model,
      metric: store.meta('metric') ?? '?',
      metricLabel,
      metricWhy: store.meta('metricWhy') ?? '',
      images: images === null ? null : Number(images),
      cells,
      channels,
      controls,
      variants,
      summary: variants[0]?.summary ?? [],
      verdicts: variants[0]?.verdicts ?? [],
      figures: variants[0]?.figures ?? [],
    };
  } finally {
    store.close();
  }
}

/** A horizontal reference line as a trace, so it has an entry in the legend. */
function refLine(xs: readonly number[], y: number, name: string, color: string, dash: 'dash' | 'dot'): Record<string, unknown> {
  return { type: 'scatter', mode: 'lines', name, x: [Math.min(...xs), Math.max(...xs)], y: [y, y], line: { dash, color, width: 2 } };
}

const fmtCI = (m: MeanCI | null, d = 3): string => (!m || !Number.isFinite(m.mean) ? '–' : m.halfWidth === null ? m.mean.toFixed(d) : `${m.mean.toFixed(d)} ± ${m.halfWidth.toFixed(d)}`);
const fmtAcc = (p: Identification | null): string => (!p || !Number.isFinite(p.rate) ? '–' : `${(100 * p.rate).toFixed(1)} % [${(100 * p.low).toFixed(1)}, ${(100 * p.high).toFixed(1)}]`);

/** Per knob: normalised interpretability vs strength, a line per channel plus the mean (95 % CI). */
export function figures(cells: readonly CellRow[], summary: readonly StrengthSummary[], ctl: ControlsSummary, metric: string, variant: ScoreVariant = 'lpips'): Array<{ knob: string; figure: PlotlyFigure }> {
  const knobs = [...new Set(summary.map((s) => s.knob))];
  return knobs.map((knob) => {
    const rows = summary.filter((s) => s.knob === knob);
    const xs = rows.map((r) => r.strength);
    const channels = [...new Set(cells.map((c) => c.channel))].sort((a, b) => a - b);
    const data: Array<Record<string, unknown>> = channels.map((ch) => {
      const pts = rows.flatMap((r) => {
        const cs = cells.filter((c) => (r.baseline ? c.knob === BASELINE_KNOB : c.knob === knob && c.strength === r.strength) && c.channel === ch);
        const v = cs.map((c) => c.scores[variant]?.normalized).filter((n): n is number => typeof n === 'number');
        return v.length ? [{ x: r.strength, y: v.reduce((a, b) => a + b, 0) / v.length }] : [];
      });
      return { type: 'scatter', mode: 'lines+markers', name: `channel ${ch}`, x: pts.map((p) => p.x), y: pts.map((p) => p.y), line: { width: 1 }, opacity: 0.5 };
    });
    const mean = rows.filter((r) => Number.isFinite(r.normalized.mean));
    data.push({
      type: 'scatter',
      mode: 'lines+markers',
      name: 'mean (95 % CI)',
      x: mean.map((r) => r.strength),
      y: mean.map((r) => r.normalized.mean),
      line: { width: 3, color: 'black' },
      error_y: { type: 'data', array: mean.map((r) => r.normalized.halfWidth ?? 0), visible: true },
    });
    data.push(refLine(xs, 0, 'chance (AM vs random images) = 0', 'red', 'dot'));
    data.push(refLine(xs, 1, 'ceiling (within the top-k) = 1', 'green', 'dot'));
    if (ctl.positive && Number.isFinite(ctl.positive.mean)) data.push(refLine(xs, ctl.positive.mean, `positive control (held-out exemplars) = ${ctl.positive.mean.toFixed(2)}`, 'blue', 'dash'));
    return {
      knob,
      figure: {
        data: data.filter((t) => (t.x as unknown[]).length > 0),
        layout: {
          title: { text: `${escapeHtml(knob)}: normalised interpretability vs strength<br><sub>${escapeHtml(metric)}</sub>` },
          xaxis: { title: { text: `${knob} strength` } },
          yaxis: { title: { text: 'normalised interpretability (higher = better)' } },
          width: 720,
          height: 420,
        },
      },
    };
  });
}

/** Per knob: the study's score (mean distance to the top-k) vs strength, with chance, ceiling and the positive control. */
export function scoreFigures(summary: readonly StrengthSummary[], ctl: ControlsSummary, metric: string): Array<{ knob: string; figure: PlotlyFigure }> {
  const knobs = [...new Set(summary.map((s) => s.knob))];
  return knobs.map((knob) => {
    const rows = summary.filter((s) => s.knob === knob && Number.isFinite(s.score.mean));
    const xs = rows.map((r) => r.strength);
    const data: Array<Record<string, unknown>> = [
      { type: 'scatter', mode: 'lines+markers', name: 'score: AM vs top-k (95 % CI)', x: xs, y: rows.map((r) => r.score.mean), line: { width: 3, color: 'black' }, error_y: { type: 'data', array: rows.map((r) => r.score.halfWidth ?? 0), visible: true } },
      { type: 'scatter', mode: 'lines+markers', name: 'chance: AM vs random images', x: xs, y: rows.map((r) => r.chance), line: { dash: 'dot', color: 'red' } },
    ];
    if (ctl.ceiling !== null && xs.length) data.push(refLine(xs, ctl.ceiling, 'ceiling: within the top-k', 'green', 'dot'));
    if (ctl.positiveScore !== null && xs.length) data.push(refLine(xs, ctl.positiveScore, 'positive control: held-out vs top-k', 'blue', 'dash'));
    return {
      knob,
      figure: {
        data,
        layout: {
          title: { text: `${escapeHtml(knob)}: study's score vs strength<br><sub>${escapeHtml(metric)}</sub>` },
          xaxis: { title: { text: `${knob} strength` } },
          yaxis: { title: { text: 'mean distance (lower = closer)' } },
          width: 720,
          height: 420,
        },
      },
    };
  });
}

function csv(rows: ReadonlyArray<Record<string, unknown>>): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]!);
  const cell = (v: unknown) => {
    const s = Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x.toFixed(6) : String(x))).join(' ') : v === null || v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [keys.join(','), ...rows.map((r) => keys.map((k) => cell(r[k])).join(','))].join('\n') + '\n';
}

/** Grid: the baseline, then one row per knob at its best strength (where it has one), then each channel's top exemplar. */
export async function bestGrid(outDir: string, rep: SweepReport, seed?: number): Promise<Buffer> {
  const channels = rep.config.channels;
  const s = seed ?? rep.config.seeds[0]!;
  const tiles: Array<RgbImage | Buffer> = [];
  const captions: string[] = [];
  const rows: Array<{ knob: string; strength: number; label: string }> = [{ knob: BASELINE_KNOB, strength: 0, label: 'baseline' }];
  for (const v of rep.verdicts) if (v.best) rows.push({ knob: v.knob, strength: v.best.strength, label: `${v.knob}=${v.best.strength}` });
  for (const r of rows) {
    for (const ch of channels) {
      const cell = rep.cells.find((c) => c.knob === r.knob && c.strength === r.strength && c.channel === ch && c.seed === s);
      if (!cell) continue;
      tiles.push(fs.readFileSync(path.join(outDir, cell.image)));
      const n = cell.scores.lpips?.normalized;
      captions.push(`${r.label} · ch ${ch} · ${typeof n === 'number' ? n.toFixed(2) : '–'}`);
    }
  }
  for (const ch of channels) {
    const ex = rep.channels.get(ch)?.top[0];
    if (!ex) continue;
    tiles.push(await readImage(ex.path, [rep.config.size, rep.config.size], 'cover'));
    captions.push(`ch ${ch}: top-1 exemplar`);
  }
  if (tiles.length === 0) throw new FeatvisError('no finished cells to show');
  return composeGrid(tiles, { cols: channels.length, tile: Math.max(128, Math.min(160, rep.config.size)), captions, title: `baseline and measurable improvements · ${rep.model} ${rep.config.layer}` });
}

function variantHtml(v: VariantReport, plotOffset: number, withCharts: boolean): { html: string; plots: number } {
  const c = v.controls;
  const verdictRows = v.verdicts.map((x) => `<tr><td>${escapeHtml(x.knob)}</td><td>${x.best ? escapeHtml(x.best.strength) : '–'}</td><td style="text-align:left">${escapeHtml(x.verdict)}</td></tr>`).join('\n');
  const rows = v.summary
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.knob)}</td><td>${escapeHtml(s.strength)}${s.baseline ? ' (baseline)' : ''}</td><td>${s.n}</td><td>${fmtCI(s.score)}</td><td>${fmtCI(s.normalized)}</td><td>${fmtCI(s.diff)}</td><td>${fmtCI(s.scoreDiff)}</td><td>${fmtAcc(s.identification)}</td></tr>`,
    )
    .join('\n');
  const figs = withCharts ? [...v.figures, ...v.scoreFigures] : [];
  const plots = figs
    .map((f, i) => `<div id="plot${plotOffset + i}" class="plot"></div>\n<script>Plotly.newPlot('plot${plotOffset + i}', ${jsonForScript(f.figure.data)}, ${jsonForScript(f.figure.layout)});</script>`)
    .join('\n');
  const html = `<h2>${escapeHtml(v.variant)}: ${escapeHtml(v.title)}</h2>
<p>Controls: ceiling (within the top-k) ${c.ceiling?.toFixed(4) ?? '–'}; positive control (held-out exemplars): score ${c.positiveScore?.toFixed(4) ?? '–'}, normalised ${fmtCI(c.positive)},
identification ${fmtAcc(c.positiveIdentification)}; negative control (random images): normalised ${fmtCI(c.negative)} (– = undefined: chance − ceiling not clearly above 0), identification ${fmtAcc(c.randomIdentification)} (should be ≈ 50 %).</p>
<table><tr><th>regulariser</th><th>best strength</th><th style="text-align:left">verdict (paired Δ normalised vs baseline, 95 % CI over channels × seeds)</th></tr>
${verdictRows}
</table>
<h3>Every strength</h3>
<table><tr><th>knob</th><th>strength</th><th>cells</th><th>score (lower = closer)</th><th>normalised (higher = better)</th><th>Δ normalised vs baseline</th><th>Δ score vs baseline</th><th>AM identification</th></tr>
${rows}
</table>
${plots}`;
  return { html, plots: figs.length };
}

export async function writeSweepReport(outDir: string): Promise<{ html: string; best: string; rep: SweepReport }> {
  const rep = loadSweepReport(outDir);
  writeFileAtomic(
    path.join(outDir, 'cells.csv'),
    csv(
      rep.cells.map((c) => ({
        knob: c.knob,
        strength: c.strength,
        channel: c.channel,
        seed: c.seed,
        activation: c.activation,
        image: c.image,
        millis: c.millis,
        ...Object.fromEntries(rep.variants.flatMap((v) => [`${v.variant}_score`, `${v.variant}_chance`, `${v.variant}_normalized`].map((k, i) => [k, [c.scores[v.variant]?.score, c.scores[v.variant]?.chance, c.scores[v.variant]?.normalized][i] ?? null]))),
      })),
    ),
  );
  writeFileAtomic(
    path.join(outDir, 'summary.csv'),
    csv(
      rep.variants.flatMap((v) =>
        v.summary.map((s) => ({
          variant: v.variant,
          knob: s.knob,
          strength: s.strength,
          baseline: s.baseline,
          cells: s.n,
          score: s.score.mean,
          score_ci95: s.score.halfWidth,
          chance: s.chance,
          normalized: s.normalized.mean,
          normalized_ci95: s.normalized.halfWidth,
          diff_vs_baseline: s.diff?.mean ?? null,
          diff_ci95: s.diff?.halfWidth ?? null,
          score_diff_vs_baseline: s.scoreDiff?.mean ?? null,
          score_diff_ci95: s.scoreDiff?.halfWidth ?? null,
          am_identification: s.identification.rate,
          am_identification_low: s.identification.low,
          am_identification_high: s.identification.high,
          activation: s.activation,
        })),
      ),
    ),
  );
  const bestFile = path.join(outDir, 'best.png');
  const bestPng = await bestGrid(outDir, rep);
  writeFileAtomic(bestFile, bestPng);
  // Reports before this one loaded a copy of Plotly beside them; the page now carries its own.
  fs.rmSync(path.join(outDir, 'plotly.min.js'), { force: true });
  const knobCount = Object.values(rep.config.sweep).reduce((s, v) => s + (v?.length ?? 0), 0);
  const expected = knobCount * rep.config.channels.length * rep.config.seeds.length;
  const K = escapeHtml(rep.config.exemplars.k);
  const held = `${escapeHtml(rep.config.exemplars.k + 1)}–${escapeHtml(rep.config.exemplars.k + rep.config.exemplars.heldOut)}`;
  let offset = 0;
  const sections = rep.variants.map((v, i) => {
    const r = variantHtml(v, offset, true);
    offset += r.plots;
    return i === 0 ? r.html : `<details><summary>Beside it (never instead): ${escapeHtml(v.variant)} — ${escapeHtml(v.title)}</summary>${r.html}</details>`;
  });
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>featvis sweep · ${escapeHtml(rep.model)} ${escapeHtml(rep.config.layer)}</title>
<script id="plotly-library">${plotlyLibrary()}</script>
<style>body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}.plot{display:inline-block}.note{background:#fff6dd;padding:8px 12px;border-left:4px solid #e0b000}details{margin:1em 0}</style>
</head><body>
<h1>Regularisation sweep: ${escapeHtml(rep.model)} · ${escapeHtml(rep.config.layer)}</h1>
<p class="note"><b>Metric:</b> ${escapeHtml(rep.metricWhy || rep.metricLabel)}<br>${escapeHtml(rep.metric)}</p>
<p>Channels ${escapeHtml(rep.config.channels.join(', '))}; seeds ${escapeHtml(rep.config.seeds.join(', '))}; ${escapeHtml(rep.config.steps)} steps at ${escapeHtml(rep.config.size)} px, ${escapeHtml(rep.config.param)} parameterisation;
exemplars: top-${escapeHtml(rep.config.exemplars.k)} by spatial-${escapeHtml(rep.config.exemplars.reduce)} activation over ${escapeHtml(rep.images ?? '?')} images of ${escapeHtml(rep.config.exemplars.images)}, held out: ranks ${escapeHtml(rep.config.exemplars.k + 1)}–${escapeHtml(rep.config.exemplars.k + rep.config.exemplars.heldOut)};
${escapeHtml(rep.config.randomImages)} random images per (channel, seed); images compared at ${escapeHtml(rep.config.metricSize)}×${escapeHtml(rep.config.metricSize)} (photos centre-cropped). ${escapeHtml(rep.cells.length)} cells rendered for ${escapeHtml(expected)} (knob, strength, channel, seed) points (the baseline once per channel and seed).</p>
<p><b>How to read it.</b> Score = the study's number: mean distance between a channel's AM image and its top-${K} (lower = closer).
Chance = the same AM image's mean distance to random dataset images; ceiling = mean distance within the top-${K};
normalised interpretability = (chance − score) / (chance − ceiling): 0 = no closer than to random photos, 1 = as close as the exemplars are to each other; <b>higher = more interpretable</b>.
The positive control (held-out exemplars, ranks ${held}) shows what a perfect visualisation scores; the negative control (random images, each against the others) shows where unrelated photos land: near or below 0, where photos are closer to each other than to a channel's top-${K}.
Identification: for every pair of channels (c, c′), is the AM image of c closer to the top-${K} of c than to that of c′? (2AFC, Wilson 95 %; 50 % = chance.)
A regulariser gets a best strength only where the paired difference from the baseline (same channel and seed) has a 95 % CI over channels × seeds that excludes 0; otherwise "no measurable effect".</p>
${sections.join('\n')}
<h2>Images</h2>
<p>First row: the baseline; then each regulariser at its best strength where it has one; last row: each channel's top-1 dataset exemplar. Captions: normalised interpretability.</p>
<img src="data:image/png;base64,${bestPng.toString('base64')}" alt="baseline and best results (also best.png beside this page)">
<p>Data: <a href="summary.csv">summary.csv</a>, <a href="cells.csv">cells.csv</a>.</p>
</body></html>
`;
  const htmlFile = path.join(outDir, 'report.html');
  writeFileAtomic(htmlFile, html);
  return { html: htmlFile, best: bestFile, rep };
}
