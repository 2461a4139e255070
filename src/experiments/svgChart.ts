/**
 * Static SVG rendering of the reports' line charts (the subset of Plotly
 * figures featvis writes: scatter traces with lines/markers, optional dash,
 * colour, width, opacity and symmetric error bars; a title and axis titles),
 * for pages that must stay small and script-free, such as the published study.
 * Every label is escaped.
 */
import { escapeHtml } from '../core/html.js';
import { wrapWords } from '../core/text.js';
import type { PlotlyFigure } from './report.js';

interface Trace {
  name: string;
  x: number[];
  y: number[];
  err: number[] | null;
  color: string;
  width: number;
  dash: string | null;
  opacity: number;
  markers: boolean;
}

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const SAFE_COLOR = /^(#[0-9a-fA-F]{3,8}|[a-z]{3,20})$/;

const nums = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : []);

function traces(fig: PlotlyFigure): Trace[] {
  return fig.data.map((t, i) => {
    const line = (t.line ?? {}) as Record<string, unknown>;
    const err = t.error_y as { array?: unknown } | undefined;
    const color = typeof line.color === 'string' && SAFE_COLOR.test(line.color) ? line.color : PALETTE[i % PALETTE.length]!;
    return {
      name: String(t.name ?? ''),
      x: nums(t.x),
      y: nums(t.y),
      err: err?.array ? nums(err.array) : null,
      color,
      width: typeof line.width === 'number' ? line.width : 2,
      dash: line.dash === 'dot' ? '2,4' : line.dash === 'dash' ? '7,4' : null,
      opacity: typeof t.opacity === 'number' ? t.opacity : 1,
      markers: String(t.mode ?? '').includes('markers'),
    };
  });
}

function ticks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / n));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= n) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-9 * span; v += nice) out.push(Number(v.toPrecision(6)));
  return out;
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };
/** Plotly's HTML-ish label as plain text: <br> as a dash, other tags dropped, entities decoded (escaped again once, on output). */
const strip = (s: string): string =>
  s
    .replace(/<br>/g, ' — ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ENTITIES[e]!);
const text = (v: unknown): string => (typeof v === 'object' && v !== null && 'text' in v ? String((v as { text: unknown }).text) : typeof v === 'string' ? v : '');

export function figureSvg(fig: PlotlyFigure, width = 720, height = 380): string {
  const ts = traces(fig).filter((t) => t.x.length > 0 && t.x.length === t.y.length);
  const all = ts.flatMap((t) => t.x.map((x, i) => ({ x, y: t.y[i]!, e: t.err?.[i] ?? 0 }))).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const legendH = 16 * ts.length + 8;
  // The title, left-aligned and wrapped to the width (bold 14 px ≈ 8 px a character).
  const titleLines = wrapWords(strip(text(fig.layout.title)), Math.max(20, Math.floor((width - 16) / 8)));
  const m = { left: 64, right: 16, top: 40 + 18 * Math.max(0, titleLines.length - 1), bottom: 44 + legendH };
  const w = width - m.left - m.right;
  const h = height + legendH - m.top - m.bottom;
  const xs = all.map((p) => p.x);
  const ys = all.flatMap((p) => [p.y - p.e, p.y + p.e]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (!Number.isFinite(x0)) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  const pad = (y1 - y0) * 0.08 || 1;
  [y0, y1] = [y0 - pad, y1 + pad];
  const X = (v: number): number => m.left + ((v - x0) / (x1 - x0)) * w;
  const Y = (v: number): number => m.top + (1 - (v - y0) / (y1 - y0)) * h;
  const f = (v: number): string => v.toFixed(1);
  const parts: string[] = [];
  titleLines.forEach((line, i) => parts.push(`<text x="8" y="${20 + 18 * i}" font-size="14" font-weight="bold">${escapeHtml(line)}</text>`));
  for (const t of ticks(y0, y1)) parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${f(Y(t))}" y2="${f(Y(t))}" stroke="#eee"/><text x="${m.left - 6}" y="${f(Y(t) + 4)}" text-anchor="end" font-size="11">${escapeHtml(t)}</text>`);
  for (const t of ticks(x0, x1)) parts.push(`<text x="${f(X(t))}" y="${m.top + h + 16}" text-anchor="middle" font-size="11">${escapeHtml(t)}</text>`);
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${m.left + w / 2}" y="${m.top + h + 34}" text-anchor="middle" font-size="12">${escapeHtml(strip(text((fig.layout.xaxis as Record<string, unknown> | undefined)?.title)))}</text>`);
  parts.push(`<text transform="translate(14 ${m.top + h / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeHtml(strip(text((fig.layout.yaxis as Record<string, unknown> | undefined)?.title)))}</text>`);
  ts.forEach((t, i) => {
    const pts = t.x.map((x, j) => [x, t.y[j]!] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const style = `stroke="${t.color}" stroke-width="${t.width}" opacity="${t.opacity}"${t.dash ? ` stroke-dasharray="${t.dash}"` : ''}`;
    parts.push(`<polyline fill="none" ${style} points="${pts.map(([x, y]) => `${f(X(x))},${f(Y(y))}`).join(' ')}"/>`);
    if (t.markers) for (const [x, y] of pts) parts.push(`<circle cx="${f(X(x))}" cy="${f(Y(y))}" r="3" fill="${t.color}" opacity="${t.opacity}"/>`);
    if (t.err) {
      t.x.forEach((x, j) => {
        const e = t.err![j] ?? 0;
        const y = t.y[j]!;
        if (e > 0 && Number.isFinite(y)) parts.push(`<line x1="${f(X(x))}" x2="${f(X(x))}" y1="${f(Y(y - e))}" y2="${f(Y(y + e))}" stroke="${t.color}" stroke-width="1.5"/>`);
      });
    }
    const ly = m.top + h + 50 + 16 * i;
    parts.push(`<line x1="${m.left}" x2="${m.left + 24}" y1="${ly - 4}" y2="${ly - 4}" ${style}/><text x="${m.left + 30}" y="${ly}" font-size="12">${escapeHtml(t.name)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + legendH}" viewBox="0 0 ${width} ${height + legendH}" font-family="system-ui,sans-serif">${parts.join('')}</svg>`;
}
