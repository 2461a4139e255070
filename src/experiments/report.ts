/**
 * Sweep report: `report.html` (Plotly charts of score vs strength per
 * regulariser and channel, the best strength per regulariser, image grids of
 * the best results next to the channels' exemplars), `best.png`, and the data
 * as `cells.csv` / `summary.csv`. Self-contained folder: plotly.min.js is
 * copied beside the HTML (no network needed to view it).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { composeGrid } from '../data/grid.js';
import { readImage, writeFileAtomic, type RgbImage } from '../data/image.js';
import { FeatvisError } from '../core/errors.js';
import { escapeHtml, jsonForScript } from '../core/html.js';
import { SweepStore, type CellRow, type ControlRow } from './sweep.js';
import { bestPerKnob, controlsSummary, summarize, type KnobBest, type StrengthSummary } from './summary.js';
import type { SweepConfig } from './config.js';

export interface PlotlyFigure {
  data: Array<Record<string, unknown>>;
  layout: Record<string, unknown>;
}

export interface SweepReport {
  config: SweepConfig;
  model: string;
  metric: string;
  metricLabel: string;
  cells: CellRow[];
  controls: Map<number, ControlRow>;
  summary: StrengthSummary[];
  best: KnobBest[];
  floor: number | null;
  ceiling: number | null;
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
    const controls = store.controls();
    const summary = summarize(cells);
    const { floor, ceiling } = controlsSummary(controls);
    return {
      config,
      model: store.meta('model') ?? config.model,
      metric: store.meta('metric') ?? '?',
      metricLabel: store.meta('metricLabel') ?? '?',
      cells,
      controls,
      summary,
      best: bestPerKnob(summary),
      floor,
      ceiling,
      figures: figures(cells, summary, floor, ceiling, store.meta('metricLabel') ?? 'distance'),
    };
  } finally {
    store.close();
  }
}

/** One Plotly figure per knob: score vs strength, a line per channel plus the mean. */
export function figures(cells: readonly CellRow[], summary: readonly StrengthSummary[], floor: number | null, ceiling: number | null, metric: string): Array<{ knob: string; figure: PlotlyFigure }> {
  const knobs = [...new Set(summary.map((s) => s.knob))];
  return knobs.map((knob) => {
    const rows = summary.filter((s) => s.knob === knob);
    const xs = rows.map((r) => r.strength);
    const channels = [...new Set(cells.filter((c) => c.knob === knob).map((c) => c.channel))].sort((a, b) => a - b);
    const data: Array<Record<string, unknown>> = channels.map((ch) => {
      const pts = xs.map((x) => {
        const cs = cells.filter((c) => c.knob === knob && c.strength === x && c.channel === ch);
        return cs.length ? cs.reduce((a, c) => a + c.score, 0) / cs.length : null;
      });
      return { type: 'scatter', mode: 'lines+markers', name: `channel ${ch}`, x: xs, y: pts, line: { width: 1 }, opacity: 0.6 };
    });
    data.push({
      type: 'scatter',
      mode: 'lines+markers',
      name: 'mean',
      x: xs,
      y: rows.map((r) => r.score),
      line: { width: 3, color: 'black' },
      ...(rows.some((r) => r.ci !== null) ? { error_y: { type: 'data', array: rows.map((r) => r.ci ?? 0), visible: true } } : {}),
    });
    const shapes: Array<Record<string, unknown>> = [];
    for (const [v, name, color] of [
      [floor, 'floor (random images)', 'red'],
      [ceiling, 'ceiling (within top-9)', 'green'],
    ] as const) {
      if (v !== null) shapes.push({ type: 'line', xref: 'paper', x0: 0, x1: 1, y0: v, y1: v, line: { dash: 'dot', color }, name });
    }
    return {
      knob,
      figure: {
        data,
        layout: {
          title: { text: `${knob}: interpretability vs strength<br><sub>${escapeHtml(metric)}</sub>` },
          xaxis: { title: { text: `${knob} strength` } },
          yaxis: { title: { text: 'mean distance to top-9 (lower = closer)' } },
          shapes,
          width: 640,
          height: 400,
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

/** Grid: one row per knob (best strength), one column per channel, plus a row of each channel's top exemplar. */
export async function bestGrid(outDir: string, rep: SweepReport, seed?: number): Promise<Buffer> {
  const channels = rep.config.channels;
  const s = seed ?? rep.config.seeds[0]!;
  const tiles: Array<RgbImage | Buffer> = [];
  const captions: string[] = [];
  for (const b of rep.best) {
    for (const ch of channels) {
      const cell = rep.cells.find((c) => c.knob === b.knob && c.strength === b.strength && c.channel === ch && c.seed === s);
      if (!cell) continue;
      tiles.push(fs.readFileSync(path.join(outDir, cell.image)));
      captions.push(`${b.knob}=${b.strength} · ch ${ch} · ${cell.score.toFixed(3)}`);
    }
  }
  for (const ch of channels) {
    const ex = rep.controls.get(ch)?.exemplars[0];
    if (!ex) continue;
    tiles.push(await readImage(ex.path, [rep.config.size, rep.config.size], 'cover'));
    captions.push(`ch ${ch}: top-1 exemplar`);
  }
  if (tiles.length === 0) throw new FeatvisError('no finished cells to show');
  return composeGrid(tiles, { cols: channels.length, tile: Math.max(128, Math.min(160, rep.config.size)), captions, title: `best strength per regulariser · ${rep.model} ${rep.config.layer}` });
}

export async function writeSweepReport(outDir: string): Promise<{ html: string; best: string; rep: SweepReport }> {
  const rep = loadSweepReport(outDir);
  writeFileAtomic(path.join(outDir, 'cells.csv'), csv(rep.cells.map((c) => ({ ...c }))));
  writeFileAtomic(path.join(outDir, 'summary.csv'), csv(rep.summary.map((s) => ({ ...s }))));
  const bestFile = path.join(outDir, 'best.png');
  writeFileAtomic(bestFile, await bestGrid(outDir, rep));
  const require = createRequire(import.meta.url);
  fs.copyFileSync(require.resolve('plotly.js-dist-min'), path.join(outDir, 'plotly.min.js'));
  const bestRows = rep.best
    .map((b) => `<tr><td>${escapeHtml(b.knob)}</td><td>${escapeHtml(b.strength)}</td><td>${b.score.toFixed(4)}</td><td>${b.baseline === null ? '–' : b.baseline.toFixed(4)}</td></tr>`)
    .join('\n');
  const plots = rep.figures
    .map((f, i) => `<div id="plot${i}" class="plot"></div>\n<script>Plotly.newPlot('plot${i}', ${jsonForScript(f.figure.data)}, ${jsonForScript(f.figure.layout)});</script>`)
    .join('\n');
  const complete = rep.cells.length;
  const expected = Object.values(rep.config.sweep).reduce((s, v) => s + (v?.length ?? 0), 0) * rep.config.channels.length * rep.config.seeds.length;
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>featvis sweep · ${escapeHtml(rep.model)} ${escapeHtml(rep.config.layer)}</title>
<script src="plotly.min.js"></script>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}.plot{display:inline-block}.note{background:#fff6dd;padding:8px 12px;border-left:4px solid #e0b000}</style>
</head><body>
<h1>Regularisation sweep: ${escapeHtml(rep.model)} · ${escapeHtml(rep.config.layer)}</h1>
<p class="note"><b>Metric:</b> ${escapeHtml(rep.metric)}</p>
<p>Channels ${escapeHtml(rep.config.channels.join(', '))}; seeds ${escapeHtml(rep.config.seeds.join(', '))}; ${escapeHtml(rep.config.steps)} steps at ${escapeHtml(rep.config.size)} px, ${escapeHtml(rep.config.param)} parameterisation;
exemplars: top-${escapeHtml(rep.config.exemplars.k)} by spatial-${escapeHtml(rep.config.exemplars.reduce)} activation over ${escapeHtml(rep.config.exemplars.images)}${rep.config.exemplars.limit ? ` (${escapeHtml(rep.config.exemplars.limit)} images, evenly sampled)` : ''};
images compared at ${escapeHtml(rep.config.metricSize)}×${escapeHtml(rep.config.metricSize)} (exemplars centre-cropped). ${complete}/${expected} cells finished.</p>
<p>Score = mean distance between a channel's AM image and its top-9 exemplars (lower = closer to real images).
Controls, averaged over channels: floor (top-9 vs random images) = ${rep.floor?.toFixed(4) ?? '–'}, ceiling (within the top-9) = ${rep.ceiling?.toFixed(4) ?? '–'}.</p>
<h2>Best strength per regulariser</h2>
<table><tr><th>regulariser</th><th>best strength</th><th>score</th><th>score at 0</th></tr>
${bestRows}
</table>
<h2>Score vs strength</h2>
<p>Thin lines: channels; black: mean (error bars: 95 % CI over seeds when there are several). Dotted red: floor; dotted green: ceiling.</p>
${plots}
<h2>Best result per regulariser</h2>
<p>Rows: regularisers at their best strength; last row: each channel's top-1 dataset exemplar.</p>
<img src="best.png" alt="best results per regulariser">
<p>Data: <a href="summary.csv">summary.csv</a>, <a href="cells.csv">cells.csv</a>.</p>
</body></html>
`;
  const htmlFile = path.join(outDir, 'report.html');
  writeFileAtomic(htmlFile, html);
  return { html: htmlFile, best: bestFile, rep };
}
