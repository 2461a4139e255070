/**
 * Charts for notebooks as Plotly figures: JupyterLab draws the
 * `application/vnd.plotly.v1+json` output interactively (with the
 * jupyterlab-plotly renderer that the `plotly` Python package installs; core
 * JupyterLab has no Plotly renderer); every other viewer (nbviewer, GitHub, a
 * JupyterLab without it) shows the static SVG drawn here from the same figure.
 * The SVG covers what the notebooks need: line/marker scatter traces, bars,
 * log / linear / category x axes, horizontal reference lines (line shapes).
 */
import { FeatvisError } from '../core/errors.js';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

export interface PlotTrace {
  x: ReadonlyArray<number | string>;
  y: readonly number[];
  name?: string;
  type?: 'scatter' | 'bar';
  mode?: 'lines' | 'markers' | 'lines+markers';
  line?: { dash?: 'solid' | 'dash' | 'dot'; color?: string };
  marker?: { color?: string };
}

export interface PlotAxis {
  title?: { text: string };
  type?: 'linear' | 'log' | 'category';
}

export interface PlotShape {
  type: 'line';
  xref: 'paper';
  x0: 0;
  x1: 1;
  yref: 'y';
  y0: number;
  y1: number;
  line?: { dash?: 'solid' | 'dash' | 'dot'; color?: string };
  /** Label the SVG fallback draws at the line's right end. */
  name?: string;
}

export interface PlotLayout {
  title?: { text: string };
  xaxis?: PlotAxis;
  yaxis?: PlotAxis;
  width?: number;
  height?: number;
  shapes?: PlotShape[];
  showlegend?: boolean;
}

export interface PlotFigure {
  data: PlotTrace[];
  layout?: PlotLayout;
}

/** A horizontal reference line across the plot at y (e.g. a chance floor). */
export function hline(y: number, name: string, dash: 'dash' | 'dot' = 'dash', color = '#888'): PlotShape {
  return { type: 'line', xref: 'paper', x0: 0, x1: 1, yref: 'y', y0: y, y1: y, line: { dash, color }, name };
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function esc(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** Plotly titles may carry <br> and <sub>…</sub>: as plain text for the SVG. */
function plainText(s: string): string {
  return s.replace(/<br\s*\/?>/gi, ' · ').replace(/<\/?(sub|sup|b|i|em)>/gi, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Shortens text to at most n characters (ellipsis). */
function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, Math.max(1, n - 1))}…`;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  return Number(v.toPrecision(3)).toString();
}

/** "Nice" linear ticks covering [lo, hi]. */
function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/** Checks a figure before it leaves the kernel (bad data would only show as an empty chart). */
export function validateFigure(fig: PlotFigure): void {
  if (!Array.isArray(fig.data) || fig.data.length === 0) throw new FeatvisError('plot: a figure needs at least one trace');
  fig.data.forEach((t, i) => {
    if (t.x.length !== t.y.length) throw new FeatvisError(`plot: trace ${i} (${t.name ?? 'unnamed'}) has ${t.x.length} x values but ${t.y.length} y values`);
  });
}

/** Static SVG rendering of a figure (the fallback for viewers without Plotly). */
export function figureSvg(fig: PlotFigure): string {
  validateFigure(fig);
  const W = fig.layout?.width ?? 640;
  const H = fig.layout?.height ?? 360;
  const legend = fig.data.some((t) => t.name) && fig.layout?.showlegend !== false;
  const m = { l: 64, r: legend ? 170 : 20, t: fig.layout?.title ? 34 : 14, b: 46 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const categorical = fig.layout?.xaxis?.type === 'category' || fig.data.some((t) => t.x.some((v) => typeof v === 'string'));
  const logX = !categorical && fig.layout?.xaxis?.type === 'log';
  const categories = categorical ? [...new Set(fig.data.flatMap((t) => t.x.map(String)))] : [];
  const xsNum = categorical ? [] : fig.data.flatMap((t) => t.x.map(Number)).filter((v) => Number.isFinite(v) && (!logX || v > 0));
  const ys = [...fig.data.flatMap((t) => [...t.y]), ...(fig.layout?.shapes ?? []).map((s) => s.y0)].filter(Number.isFinite);
  const hasBar = fig.data.some((t) => t.type === 'bar');
  let yLo = ys.length ? Math.min(...ys) : 0;
  let yHi = ys.length ? Math.max(...ys) : 1;
  if (hasBar) yLo = Math.min(0, yLo);
  if (yHi === yLo) {
    yHi += 1;
    yLo -= hasBar && yLo === 0 ? 0 : 1;
  }
  const pad = (yHi - yLo) * 0.05;
  const yTicks = niceTicks(yLo - (hasBar && yLo === 0 ? 0 : pad), yHi + pad);
  const y0 = Math.min(yTicks[0]!, yLo - (hasBar && yLo === 0 ? 0 : pad));
  const y1 = Math.max(yTicks[yTicks.length - 1]!, yHi + pad);
  const Y = (v: number): number => m.t + ph - ((v - y0) / (y1 - y0 || 1)) * ph;
  let X: (v: number | string, i: number) => number;
  let xTickVals: Array<{ pos: number; label: string }>;
  if (categorical) {
    const band = pw / Math.max(1, categories.length);
    X = (v) => m.l + band * (categories.indexOf(String(v)) + 0.5);
    xTickVals = categories.map((c, i) => ({ pos: m.l + band * (i + 0.5), label: c }));
  } else {
    const tx = (v: number): number => (logX ? Math.log10(v) : v);
    const lo = xsNum.length ? Math.min(...xsNum.map(tx)) : 0;
    const hi = xsNum.length ? Math.max(...xsNum.map(tx)) : 1;
    const span = hi - lo || 1;
    const x0 = lo - (hi === lo ? 0.5 : span * 0.04);
    const x1 = hi + (hi === lo ? 0.5 : span * 0.04);
    X = (v) => m.l + ((tx(Number(v)) - x0) / (x1 - x0)) * pw;
    const ticks = logX ? niceTicks(Math.floor(x0), Math.ceil(x1), Math.min(8, Math.ceil(x1) - Math.floor(x0))).filter((t) => Number.isInteger(t)).map((t) => 10 ** t) : niceTicks(x0, x1);
    xTickVals = ticks.filter((t) => tx(t) >= x0 - 1e-9 && tx(t) <= x1 + 1e-9).map((t) => ({ pos: X(t, 0), label: fmt(t) }));
  }
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  if (fig.layout?.title) parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(clip(plainText(fig.layout.title.text), Math.floor(W / 8)))}</text>`);
  for (const t of yTicks) {
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${Y(t).toFixed(1)}" y2="${Y(t).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${(Y(t) + 4).toFixed(1)}" text-anchor="end">${esc(fmt(t))}</text>`);
  }
  for (const t of xTickVals) parts.push(`<text x="${t.pos.toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle">${esc(t.label)}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  if (fig.layout?.xaxis?.title) parts.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(clip(fig.layout.xaxis.title.text, Math.floor(pw / 6.5)))}</text>`);
  if (fig.layout?.yaxis?.title) parts.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(clip(fig.layout.yaxis.title.text, Math.floor(ph / 6.5)))}</text>`);
  const dashArray = (d?: string): string => (d === 'dash' ? ' stroke-dasharray="6 4"' : d === 'dot' ? ' stroke-dasharray="2 3"' : '');
  for (const s of fig.layout?.shapes ?? []) {
    const y = Y(s.y0).toFixed(1);
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="${s.line?.color ?? '#888'}"${dashArray(s.line?.dash)}/>`);
    if (s.name) parts.push(`<text x="${m.l + pw - 4}" y="${(Number(y) - 4).toFixed(1)}" text-anchor="end" fill="${s.line?.color ?? '#888'}">${esc(s.name)}</text>`);
  }
  const bars = fig.data.filter((t) => t.type === 'bar');
  fig.data.forEach((t, i) => {
    const color = t.line?.color ?? t.marker?.color ?? PALETTE[i % PALETTE.length]!;
    const pts = t.x.map((x, j) => ({ x, y: t.y[j]! })).filter((p) => Number.isFinite(p.y) && (categorical || (Number.isFinite(Number(p.x)) && (!logX || Number(p.x) > 0))));
    if (t.type === 'bar') {
      const bi = bars.indexOf(t);
      const slot = categorical ? pw / Math.max(1, categories.length) : pw / Math.max(2, pts.length * 1.5);
      const bw = (slot * 0.8) / bars.length;
      for (const p of pts) {
        const cx = X(p.x, 0) - (slot * 0.8) / 2 + bi * bw;
        const ya = Y(Math.max(0, p.y));
        const yb = Y(Math.min(0, p.y));
        parts.push(`<rect x="${cx.toFixed(1)}" y="${ya.toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(0.5, yb - ya).toFixed(1)}" fill="${color}"/>`);
      }
      return;
    }
    const mode = t.mode ?? 'lines+markers';
    if (mode.includes('lines') && pts.length > 1) {
      const d = pts.map((p, j) => `${j ? 'L' : 'M'}${X(p.x, j).toFixed(1)} ${Y(p.y).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dashArray(t.line?.dash)}/>`);
    }
    if (mode.includes('markers') || pts.length === 1) {
      for (const p of pts) parts.push(`<circle cx="${X(p.x, 0).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="3.5" fill="${color}"/>`);
    }
  });
  if (legend) {
    // Reference lines and summaries first, then per-channel traces, as many as fit: a long
    // list of channels never pushes chance, ceiling or the controls out of the legend.
    const entries = fig.data.map((t, i) => ({ t, i })).filter((e) => e.t.name);
    const perChannel = (name: string): boolean => /^(channel|ch) \d+/.test(name);
    entries.sort((a, b) => Number(perChannel(a.t.name!)) - Number(perChannel(b.t.name!)) || a.i - b.i);
    const fit = Math.max(1, Math.floor((H - m.t - 10) / 16));
    const shown = entries.length > fit ? entries.slice(0, fit - 1) : entries;
    shown.forEach(({ t, i }, row) => {
      const color = t.line?.color ?? t.marker?.color ?? PALETTE[i % PALETTE.length]!;
      const y = m.t + 10 + row * 16;
      parts.push(`<rect x="${W - m.r + 10}" y="${y - 8}" width="12" height="10" fill="${color}"/>`);
      parts.push(`<text x="${W - m.r + 28}" y="${y + 1}">${esc(clip(t.name!, 22))}</text>`);
    });
    if (shown.length < entries.length) parts.push(`<text x="${W - m.r + 10}" y="${m.t + 11 + shown.length * 16}">+${entries.length - shown.length} more</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Any Plotly figure as JSON (e.g. the sweep report's figures in src/experiments/report.ts). */
export interface PlotlyJson {
  data: ReadonlyArray<Record<string, unknown>>;
  layout?: Record<string, unknown>;
}

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function titleOf(v: unknown): { text: string } | undefined {
  const t = typeof v === 'string' ? v : str(rec(v)?.text);
  return t === undefined ? undefined : { text: t };
}

function dashOf(v: unknown): 'solid' | 'dash' | 'dot' | undefined {
  return v === 'dash' || v === 'dot' || v === 'solid' ? v : v === 'dashdot' || v === 'longdash' ? 'dash' : undefined;
}

/**
 * The subset of a Plotly JSON figure the SVG fallback draws (scatter / bar
 * traces, axis titles and types, horizontal line shapes). Missing y values
 * (null) become NaN and are skipped.
 */
export function toPlotFigure(json: PlotlyJson | PlotFigure): PlotFigure {
  const data: PlotTrace[] = [];
  for (const t of json.data as ReadonlyArray<Record<string, unknown>>) {
    const xs = Array.isArray(t.x) ? (t.x as unknown[]) : [];
    const ys = Array.isArray(t.y) ? (t.y as unknown[]) : [];
    const mode = str(t.mode);
    const line = rec(t.line);
    const marker = rec(t.marker);
    const dash = dashOf(line?.dash);
    const color = str(line?.color);
    const mColor = str(marker?.color);
    data.push({
      x: xs.map((v) => (typeof v === 'number' || typeof v === 'string' ? v : String(v))),
      y: ys.map((v) => (typeof v === 'number' ? v : Number.NaN)),
      ...(str(t.name) !== undefined ? { name: str(t.name)! } : {}),
      type: t.type === 'bar' ? 'bar' : 'scatter',
      ...(mode === 'lines' || mode === 'markers' || mode === 'lines+markers' ? { mode } : {}),
      ...(dash || color ? { line: { ...(dash ? { dash } : {}), ...(color ? { color } : {}) } } : {}),
      ...(mColor ? { marker: { color: mColor } } : {}),
    });
  }
  const l = rec(json.layout) ?? {};
  const axis = (v: unknown): PlotAxis | undefined => {
    const a = rec(v);
    if (!a) return undefined;
    const title = titleOf(a.title);
    const type = a.type === 'log' || a.type === 'linear' || a.type === 'category' ? a.type : undefined;
    return { ...(title ? { title } : {}), ...(type ? { type } : {}) };
  };
  const shapes: PlotShape[] = [];
  for (const sh of Array.isArray(l.shapes) ? (l.shapes as unknown[]) : []) {
    const r = rec(sh);
    if (!r || r.type !== 'line' || typeof r.y0 !== 'number' || r.y0 !== r.y1) continue;
    const line = rec(r.line);
    shapes.push(hline(r.y0, str(r.name) ?? '', dashOf(line?.dash) === 'dot' ? 'dot' : 'dash', str(line?.color) ?? '#888'));
  }
  const title = titleOf(l.title);
  const xaxis = axis(l.xaxis);
  const yaxis = axis(l.yaxis);
  return {
    data,
    layout: {
      ...(title ? { title } : {}),
      ...(xaxis ? { xaxis } : {}),
      ...(yaxis ? { yaxis } : {}),
      ...(typeof l.width === 'number' ? { width: l.width } : {}),
      ...(typeof l.height === 'number' ? { height: l.height } : {}),
      ...(shapes.length ? { shapes } : {}),
    },
  };
}

/**
 * Mime bundle for a figure: Plotly JSON (interactive, passed through as given),
 * SVG (static fallback, see toPlotFigure) and plain text. Accepts featvis' typed
 * figures and any Plotly JSON figure.
 */
export function figureBundle(input: PlotFigure | PlotlyJson): Record<string, unknown> {
  const fig = toPlotFigure(input);
  validateFigure(fig);
  const traces: ReadonlyArray<object> = input.data;
  return {
    [PLOTLY_MIME]: { data: traces.map((t) => ({ type: 'scatter', ...t })), layout: input.layout ?? {} },
    'image/svg+xml': figureSvg(fig),
    'text/plain': `${fig.layout?.title?.text ?? 'chart'}: ${fig.data.map((t) => `${t.name ?? 'trace'} (${t.y.length} points)`).join(', ')}`,
  };
}
