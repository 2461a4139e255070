/**
 * A channel's activation histogram as inline SVG (no script, numbers only):
 * bars of the per-image spatial-mean activation over the dataset, a line at
 * the top-k threshold (the k-th exemplar's value).
 */
import { histogramEdges, type HistogramData } from '../exemplars/histogram.js';

const W = 520;
const H = 150;
const PAD = { left: 8, right: 8, top: 10, bottom: 34 };

export const fmt = (x: number | null | undefined, digits = 3): string => (typeof x === 'number' && Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : '–');

export function histogramSvg(h: HistogramData, threshold: number | null): string {
  const edges = histogramEdges(h);
  const lo = edges[0]!;
  const hi = edges.at(-1)!;
  const span = hi - lo || 1;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (v: number): number => PAD.left + ((v - lo) / span) * plotW;
  const maxCount = Math.max(1, ...h.counts);
  const bars = h.counts
    .map((c, i) => {
      if (c === 0) return '';
      const bh = Math.max(1, (c / maxCount) * plotH);
      const x0 = x(edges[i]!);
      const bw = Math.max(1, x(edges[i + 1]!) - x0 - 0.5);
      return `<rect x="${x0.toFixed(1)}" y="${(PAD.top + plotH - bh).toFixed(1)}" width="${bw.toFixed(1)}" height="${bh.toFixed(1)}"><title>${fmt(edges[i]!)} to ${fmt(edges[i + 1]!)}: ${c} images</title></rect>`;
    })
    .join('');
  const base = PAD.top + plotH;
  const thr =
    threshold !== null && Number.isFinite(threshold)
      ? `<line class="thr" x1="${x(threshold).toFixed(1)}" x2="${x(threshold).toFixed(1)}" y1="${PAD.top}" y2="${base}"/><text class="thr" x="${Math.min(W - 90, x(threshold) + 3).toFixed(1)}" y="${PAD.top + 10}">top-k ≥ ${fmt(threshold)}</text>`
      : '';
  const zero = lo < 0 && hi > 0 ? `<line class="zero" x1="${x(0).toFixed(1)}" x2="${x(0).toFixed(1)}" y1="${PAD.top}" y2="${base}"/>` : '';
  return (
    `<svg class="hist" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="activation histogram">` +
    `<g class="bars">${bars}</g>${zero}${thr}` +
    `<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${base}" y2="${base}"/>` +
    `<text x="${PAD.left}" y="${base + 14}">${fmt(lo)}</text>` +
    `<text x="${W - PAD.right}" y="${base + 14}" text-anchor="end">${fmt(hi)}</text>` +
    `<text x="${W / 2}" y="${base + 28}" text-anchor="middle">spatial-mean activation per image (${h.n} images; tallest bar ${maxCount})</text>` +
    `</svg>`
  );
}
