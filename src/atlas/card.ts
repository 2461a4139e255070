/**
 * One channel's card: AM image and diverse set, score with chance, ceiling,
 * positive control and identification, activation histogram, top-k exemplars
 * (whole images and receptive-field crops), nearest channels. The channel
 * page and the notebook card are this same HTML; they differ only in how an
 * image is addressed (a relative URL, or a data: URI) and whether other
 * channels are links. Every text from the model, the dataset or the user is
 * escaped; the card has no script.
 */
import { escapeHtml } from '../core/html.js';
import { VARIANT_TITLES } from '../metrics/embedding.js';
import type { Identification } from '../metrics/identification.js';
import { fmt, histogramSvg } from './histogramSvg.js';
import { channelLabel, channelScore, primaryVariant, type AtlasData } from './load.js';
import type { ChannelRecord, Neighbour } from './types.js';

export interface CardOptions {
  /** URL of a site-relative image path. */
  img: (rel: string) => string;
  /** URL of another channel's page, or null for plain text. */
  link: (channel: number) => string | null;
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(0)} %` : '–');

export function formatIdentified(p: Identification | null): string {
  if (!p || !Number.isFinite(p.rate)) return '–';
  return `${pct(p.rate)} of ${p.trials} trials [${pct(p.low)}, ${pct(p.high)}]`;
}

function channelRef(data: AtlasData, c: number, opts: CardOptions, extra = ''): string {
  const label = channelLabel(data.manifest, c);
  const text = `${c}${label ? ` · ${label}` : ''}${extra}`;
  const href = opts.link(c);
  return href ? `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>` : escapeHtml(text);
}

function neighbourList(data: AtlasData, list: readonly Neighbour[] | undefined, what: string, opts: CardOptions): string {
  if (!list || list.length === 0) return `<p class="muted">none</p>`;
  const rec = new Map(data.records.map((r) => [r.channel, r]));
  return `<ul class="neighbours">${list
    .map((n) => {
      const r = rec.get(n.channel);
      const thumb = r ? `<img src="${escapeHtml(opts.img(r.am.image))}" alt="channel ${n.channel}" width="48" height="48" loading="lazy">` : '';
      return `<li>${thumb}${channelRef(data, n.channel, opts)} <span class="muted">${what} ${fmt(n.value)}</span></li>`;
    })
    .join('')}</ul>`;
}

function scorePanel(data: AtlasData, channel: number): string {
  const s = data.score;
  const v = primaryVariant(s);
  const c = channelScore(v, channel);
  if (!s || !v || !c) return `<p class="muted">not scored yet (run the atlas again to finish it)</p>`;
  const others = s.variants
    .filter((x) => x !== v)
    .map((x) => {
      const o = channelScore(x, channel);
      return `<tr><td>${escapeHtml(VARIANT_TITLES[x.variant])}</td><td>${fmt(o?.normalized)}</td><td>${fmt(o?.positive?.normalized ?? null)}</td><td>${escapeHtml(formatIdentified(o?.identified ?? null))}</td></tr>`;
    })
    .join('');
  return (
    `<dl class="score">` +
    `<dt>normalised interpretability</dt><dd class="big">${fmt(c.normalized)}</dd><dd class="muted">(chance − score) / (chance − ceiling): 0 = chance, 1 = ceiling, higher = more interpretable</dd>` +
    `<dt>distance of the AM image to its top-${s.k}</dt><dd>score ${fmt(c.score)} · chance ${fmt(c.chance)} · ceiling ${fmt(c.ceiling)} <span class="muted">(lower = closer; chance: to ${s.randomK} random dataset images; ceiling: within the top-${s.k})</span></dd>` +
    `<dt>positive control: held-out exemplars (ranks ${s.k + 1}–${s.k + s.heldOut})</dt><dd>normalised ${fmt(c.positive?.normalized ?? null)} · score ${fmt(c.positive?.score ?? null)}</dd>` +
    `<dt>channel identification of the AM image</dt><dd>closer to its own top-${s.k} than to another channel's in ${escapeHtml(formatIdentified(c.identified))}</dd>` +
    `</dl>` +
    (others ? `<table class="variants"><thead><tr><th>spatially invariant variants</th><th>normalised</th><th>held-out normalised</th><th>identification</th></tr></thead><tbody>${others}</tbody></table>` : '') +
    `<p class="muted">Metric: ${escapeHtml(s.metric)}, images at ${s.size} px; ${escapeHtml(s.why)}.</p>`
  );
}

function exemplarGrid(r: ChannelRecord, which: 'image' | 'crop', opts: CardOptions): string {
  return `<div class="exemplars">${r.exemplars
    .map(
      (e) =>
        `<figure><img src="${escapeHtml(opts.img(e[which]))}" alt="exemplar ${e.rank + 1}" width="112" height="112" loading="lazy" title="${escapeHtml(e.imageId)}">` +
        `<figcaption>${e.rank + 1}. ${fmt(e.value)}<br><span class="id">${escapeHtml(e.imageId.slice(e.imageId.lastIndexOf('/') + 1))}</span></figcaption></figure>`,
    )
    .join('')}</div>`;
}

export function channelCard(data: AtlasData, channel: number, opts: CardOptions): string {
  const r = data.records.find((x) => x.channel === channel);
  const m = data.manifest;
  const label = channelLabel(m, channel);
  const title = `<h2>channel ${channel}${label ? ` · <span class="label">${escapeHtml(label)}</span>` : ''}</h2>`;
  if (!r) return `<section class="atlas-card">${title}<p class="muted">not rendered yet</p></section>`;
  const top = r.exemplars;
  const threshold = top.length ? top[top.length - 1]!.value : null;
  const dmax = top[0]?.value ?? null;
  const diverse = r.diverse
    ? `<div class="diverse">${r.diverse.images.map((f, i) => `<figure><img src="${escapeHtml(opts.img(f))}" alt="diverse image ${i + 1}" width="128" height="128"><figcaption>${fmt(r.diverse!.activations[i])}</figcaption></figure>`).join('')}</div>` +
      `<p class="muted">${r.diverse.images.length} images optimised together with a diversity penalty (Gram-matrix similarity, weight ${fmt(r.diverse.weight)}): mean pairwise similarity ${fmt(r.diverse.similarity)}.</p>`
    : '';
  const hist = r.histogram
    ? `${histogramSvg(r.histogram, threshold)}<p class="muted">Over ${r.histogram.n} dataset images: mean ${fmt(r.histogram.sum / Math.max(1, r.histogram.n))}, max ${fmt(r.histogram.max)}. The AM image reaches ${fmt(r.am.activation)}${dmax && dmax > 0 ? ` (${fmt(r.am.activation / dmax, 2)}× the dataset maximum)` : ''} at ${m.am.size} px.</p>`
    : `<p class="muted">No histogram: the exemplar store was mined before histograms were kept.</p>`;
  return (
    `<section class="atlas-card">${title}` +
    `<div class="row"><div class="am"><img src="${escapeHtml(opts.img(r.am.image))}" alt="AM image of channel ${channel}" width="256" height="256">` +
    `<p>AM image, activation ${fmt(r.am.activation)}</p></div>` +
    `<div class="panel"><h3>Score</h3>${scorePanel(data, channel)}</div></div>` +
    (diverse ? `<h3>Diverse set</h3>${diverse}` : '') +
    `<h3>Activation over the dataset</h3>${hist}` +
    `<h3>Top-${top.length} exemplars</h3>${exemplarGrid(r, 'image', opts)}` +
    `<h3>Receptive-field crops</h3>${exemplarGrid(r, 'crop', opts)}` +
    `<div class="row"><div><h3>Nearest by co-activation</h3>${neighbourList(data, data.neighbours?.coactivation[String(channel)], 'r', opts)}` +
    `<p class="muted">Pearson r of spatial-mean activations over ${data.neighbours?.probeImages ?? 0} dataset images.</p></div>` +
    `<div><h3>Nearest by shared exemplars</h3>${neighbourList(data, data.neighbours?.overlap[String(channel)], 'Jaccard', opts)}` +
    `<p class="muted">Jaccard index of the top-${m.exemplars.k + m.exemplars.heldOut} image sets.</p></div></div>` +
    `</section>`
  );
}
