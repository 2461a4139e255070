/**
 * Notebook views of a LayerScore (experiments/layerScore.ts): one grid per
 * channel (AM image + top-k with their distances), the tables of scores and
 * controls, and charts of the controls and of channel identification.
 */
import { readImage, type RgbImage } from '../data/image.js';
import { SCORE_VARIANTS, VARIANT_TITLES, type ScoreVariant } from '../metrics/embedding.js';
import type { Identification } from '../metrics/identification.js';
import type { MeanCI } from '../metrics/stats.js';
import type { AmSample, LayerScore } from '../experiments/layerScore.js';
import { showGrid, showMarkdown, showPlot, showTable } from './display.js';
import type { PlotTrace } from './plot.js';

const ci = (m: MeanCI | null | undefined, d = 3): string => (!m || !Number.isFinite(m.mean) ? '—' : m.halfWidth === null ? m.mean.toFixed(d) : `${m.mean.toFixed(d)} ± ${m.halfWidth.toFixed(d)}`);
const acc = (p: Identification | null): string => (!p || !Number.isFinite(p.rate) ? '—' : `${(100 * p.rate).toFixed(1)} % [${(100 * p.low).toFixed(1)}, ${(100 * p.high).toFixed(1)}] (${p.trials} trials)`);

/** One grid per channel: the AM image of the first seed, then its top-k captioned with their distances (study's formula). */
export async function showScoreGrids(res: LayerScore, am: readonly AmSample[], tile = 128): Promise<void> {
  const e = res.variants.lpips ?? Object.values(res.variants)[0];
  if (!e) return;
  for (let i = 0; i < res.channels.length; i++) {
    const c = e.channels[i]!;
    const a = c.am[0];
    const img: RgbImage | undefined = am[0]?.images[i];
    const top = await Promise.all(res.exemplars[i]!.top.map((r) => readImage(r.path, [tile, tile], 'cover')));
    await showGrid(img ? [img, ...top] : top, {
      captions: [...(img ? ['AM image'] : []), ...(a ? a.distances.map((d) => `d = ${d.toFixed(3)}`) : top.map(() => ''))],
      cols: 5,
      tile,
      title: `channel ${c.channel}: score ${a?.score.toFixed(3) ?? '—'}, chance ${a?.chance.toFixed(3) ?? '—'}, ceiling ${c.ceiling?.toFixed(3) ?? '—'} → normalised ${a?.normalized?.toFixed(3) ?? '—'}`,
    });
  }
}

/** Per channel (study's formula) and per variant (layer level): scores, controls and identification. */
export function showScoreTables(res: LayerScore): void {
  const e = res.variants.lpips ?? Object.values(res.variants)[0];
  if (!e) return;
  showTable(
    e.channels.map((c) => ({
      channel: c.channel,
      score: c.am.length ? c.am.reduce((s, x) => s + x.score, 0) / c.am.length : null,
      chance: c.am.length ? c.am.reduce((s, x) => s + x.chance, 0) / c.am.length : null,
      ceiling: c.ceiling,
      'held-out score': c.positive?.score ?? null,
      'normalised (95 % CI over seeds)': ci(c.normalized),
      'held-out normalised': c.positive?.normalized ?? null,
    })),
    { title: `${res.metric} · ${VARIANT_TITLES[e.variant]}: per channel (score: lower = closer; normalised: 0 = chance, 1 = ceiling)`, digits: 4 },
  );
  showTable(
    SCORE_VARIANTS.filter((v) => res.variants[v]).map((v) => {
      const x = res.variants[v]!;
      return {
        variant: `${v}: ${VARIANT_TITLES[v]}`,
        'AM normalised': ci(x.normalized),
        'held-out normalised (positive control)': ci(x.positive),
        'random normalised (negative control)': ci(x.negative),
        'AM identified': acc(x.identification.am),
        'held-out identified': acc(x.identification.heldOut),
        'random identified (≈ 50 %)': acc(x.identification.random),
      };
    }),
    { title: `Layer ${res.layer}, ${res.channels.length} channels × seeds ${res.seeds.join(', ')}: normalised interpretability (95 % CI) and channel identification (Wilson 95 %)` },
  );
}

/** Per channel: the study's score next to its chance level, the ceiling and the positive control. */
export function controlsChart(res: LayerScore, variant: ScoreVariant = 'lpips'): void {
  const e = res.variants[variant];
  if (!e) return;
  const xs = e.channels.map((c) => `ch ${c.channel}`);
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN);
  const data: PlotTrace[] = [
    { x: xs, y: e.channels.map((c) => mean(c.am.map((a) => a.score))), name: 'score: AM vs top-k', mode: 'markers' },
    { x: xs, y: e.channels.map((c) => mean(c.am.map((a) => a.chance))), name: 'chance: AM vs random', mode: 'markers' },
    { x: xs, y: e.channels.map((c) => c.ceiling ?? Number.NaN), name: 'ceiling: within top-k', mode: 'markers' },
    { x: xs, y: e.channels.map((c) => c.positive?.score ?? Number.NaN), name: 'positive control: held-out vs top-k', mode: 'markers' },
  ].filter((t) => t.y.some(Number.isFinite)) as PlotTrace[]; // a channel without a value is a gap, not a missing legend entry
  showPlot({
    data,
    layout: { title: { text: `Score and controls, ${res.layer}` }, xaxis: { title: { text: 'channel' }, type: 'category' }, yaxis: { title: { text: `${res.metric} (lower = closer)` } } },
  });
}

/** Channel identification accuracy (2AFC) of AM images, held-out exemplars and random images, per variant, with the 50 % chance line. */
export function identificationChart(res: LayerScore): void {
  const kinds = [
    ['am', 'AM images'],
    ['heldOut', 'held-out exemplars (positive control)'],
    ['random', 'random images (negative control)'],
  ] as const;
  const variants = SCORE_VARIANTS.filter((v) => res.variants[v]);
  const data: Array<Record<string, unknown>> = variants.map((v) => {
    const id = res.variants[v]!.identification;
    const ps = kinds.map(([k]) => id[k]);
    const ok = ps.map((p) => p !== null && Number.isFinite(p.rate));
    return {
      type: 'bar',
      name: v,
      x: kinds.filter((_, i) => ok[i]).map(([, label]) => label),
      y: ps.filter((_, i) => ok[i]).map((p) => 100 * p!.rate),
      error_y: { type: 'data', symmetric: false, array: ps.filter((_, i) => ok[i]).map((p) => 100 * (p!.high - p!.rate)), arrayminus: ps.filter((_, i) => ok[i]).map((p) => 100 * (p!.rate - p!.low)) },
    };
  });
  data.push({ type: 'scatter', mode: 'lines', name: 'chance (50 %)', x: kinds.map(([, l]) => l), y: kinds.map(() => 50), line: { dash: 'dot', color: '#888' } });
  showPlot({
    data,
    layout: { title: { text: `Channel identification, ${res.layer} (${res.metric})` }, xaxis: { type: 'category' }, yaxis: { title: { text: 'accuracy % (Wilson 95 %)' } } },
  });
  showMarkdown(
    `Identification: for a query image of channel c and every other channel c′ of the ${res.channels.length} scored, is the query closer to the top-${res.k} of c than to that of c′? ` +
      `Held-out exemplars (ranks ${res.k + 1}–${res.k + res.heldOut}) must be identified well above 50 % for the metric to mean anything; random images should sit at 50 %.`,
  );
}
