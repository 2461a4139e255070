/**
 * The atlas as a static, offline site: `index.html` (a card per channel,
 * sortable by channel, score, identification, AM activation and dataset
 * maximum, filterable by channel number / range / label and by minimum score
 * and activation), `channels/c<c>.html` (the channel card, links to the
 * neighbouring channels), `assets/atlas.css` and `assets/atlas.js`, images in
 * `img/`. Written from the work files alone (load.ts), so the same atlas
 * always gives the same site. Text is escaped with escapeHtml, data for the
 * script embedded with jsonForScript; nothing is fetched from the network.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../data/image.js';
import { escapeHtml, jsonForScript } from '../core/html.js';
import { FeatvisError } from '../core/errors.js';
import { ATLAS_CSS, ATLAS_JS } from './assets.js';
import { channelCard, formatIdentified } from './card.js';
import { fmt } from './histogramSvg.js';
import { channelLabel, channelScore, loadAtlas, primaryVariant, type AtlasData } from './load.js';
import { AtlasFiles } from './workFiles.js';

export interface SiteOptions {
  /** Folder to write the site to (default: the atlas folder itself); images are copied there. */
  out?: string;
  /** Only these channels (default: every finished one); links to others become plain text. */
  channels?: readonly number[];
}

export interface SiteResult {
  index: string;
  pages: number;
  files: string[];
  bytes: number;
}

/** One index row: what the script sorts and filters on. */
export interface IndexRow {
  channel: number;
  label: string | null;
  /** Normalised interpretability of the AM image (study's formula). */
  score: number | null;
  /** Identification accuracy of the AM image. */
  identified: number | null;
  /** AM image's activation. */
  activation: number;
  /** Top-1 exemplar's activation (dataset maximum). */
  datasetMax: number | null;
}

function page(title: string, body: string, depth: 0 | 1): string {
  const up = depth ? '../' : '';
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><link rel="stylesheet" href="${up}assets/atlas.css"></head>\n<body>\n${body}\n<script src="${up}assets/atlas.js"></script>\n</body></html>\n`
  );
}

function summary(data: AtlasData, shown: number): string {
  const m = data.manifest;
  const v = primaryVariant(data.score);
  const am = m.am;
  const parts = [
    `${shown} of the layer's ${m.layerChannels} channels${shown < m.channels.length ? ` (a selection from an atlas of ${m.channels.length}: scores, identification and nearest channels were computed over those ${m.channels.length})` : ''}.`,
    `AM images: the default recipe (${escapeHtml(am.param)}, ${am.steps} steps, ${am.size} px, lr ${am.learningRate}, seed ${am.seed}, batches of ${am.batchSize})` +
      (m.diverse.n > 0 ? `, plus a diverse set of ${m.diverse.n} per channel (Gram-similarity penalty ${m.diverse.relativeWeight} × the channel's activation).` : '.'),
    `Exemplars: top-${m.exemplars.k} (and ${m.exemplars.heldOut} held out) of ${m.exemplars.images} images under …/${escapeHtml(path.basename(m.exemplars.root))}, ranked by spatial-mean activation at ${m.exemplars.size.join('×')} px.`,
  ];
  if (data.score && v) {
    const id = v.identification;
    parts.push(
      `Score (${escapeHtml(data.score.metric)}, ${escapeHtml(v.variant === 'lpips' ? "study's formula" : v.variant)}): normalised interpretability ${fmt(v.normalized.mean)}` +
        (v.normalized.halfWidth !== null ? ` ± ${fmt(v.normalized.halfWidth, 2)}` : '') +
        ` (0 = chance, 1 = ceiling); positive control ${fmt(v.positive?.mean ?? null)}. Identification: AM images ${escapeHtml(formatIdentified(id.am))}; held-out exemplars ${escapeHtml(formatIdentified(id.heldOut))}; random images ${escapeHtml(formatIdentified(id.random))} (should be ≈ 50 %).`,
    );
  } else parts.push('Not scored yet: run the atlas again to finish it.');
  return `<p class="summary">${parts.join(' ')}</p>`;
}

export function indexRows(data: AtlasData, channels: readonly number[]): IndexRow[] {
  const v = primaryVariant(data.score);
  return channels.map((c) => {
    const r = data.records.find((x) => x.channel === c)!;
    const s = channelScore(v, c);
    return {
      channel: c,
      label: channelLabel(data.manifest, c),
      score: s?.normalized ?? null,
      identified: s?.identified && Number.isFinite(s.identified.rate) ? s.identified.rate : null,
      activation: r.am.activation,
      datasetMax: r.exemplars[0]?.value ?? null,
    };
  });
}

function indexHtml(data: AtlasData, channels: readonly number[]): string {
  const m = data.manifest;
  const rows = indexRows(data, channels);
  const cards = rows
    .map((row) => {
      const r = data.records.find((x) => x.channel === row.channel)!;
      const crop = r.exemplars[0]?.crop;
      return (
        `<a class="card" data-channel="${row.channel}" href="${AtlasFiles.channelPage(row.channel)}">` +
        `<div class="pair"><img src="${escapeHtml(r.am.image)}" alt="AM image" width="72" height="72" loading="lazy">` +
        (crop ? `<img src="${escapeHtml(crop)}" alt="top exemplar crop" width="72" height="72" loading="lazy">` : '') +
        `</div><div class="name">${row.channel}${row.label ? ` · ${escapeHtml(row.label)}` : ''}</div>` +
        `<div class="nums">score ${fmt(row.score, 2)} · id ${row.identified === null ? '–' : `${(100 * row.identified).toFixed(0)} %`}<br>act ${fmt(row.activation)} · max ${fmt(row.datasetMax)}</div></a>`
      );
    })
    .join('\n');
  const controls =
    `<div id="controls">` +
    `<label>sort by <select id="sort"><option value="channel">channel</option><option value="score">normalised score</option><option value="identified">identification</option><option value="activation">AM activation</option><option value="datasetMax">dataset maximum</option></select></label>` +
    `<button id="order" type="button">ascending</button>` +
    `<label>channel or label <input id="filter" type="search" placeholder="12, 10-20 or text"></label>` +
    `<label>score ≥ <input id="min-score" type="number" step="0.05"></label>` +
    `<label>activation ≥ <input id="min-act" type="number" step="any"></label>` +
    `<span id="count" class="muted">${rows.length} channels</span></div>`;
  const body =
    `<h1>${escapeHtml(m.model)} · ${escapeHtml(m.layer)}</h1>` +
    `<p class="muted">featvis layer atlas: every card opens the channel's page (AM images, exemplars, score, histogram, nearest channels).</p>` +
    summary(data, rows.length) +
    controls +
    `<div id="grid">\n${cards}\n</div>\n` +
    `<script type="application/json" id="atlas-data">${jsonForScript({ model: m.model, layer: m.layer, channels: rows })}</script>`;
  return page(`${m.model} · ${m.layer} — featvis atlas`, body, 0);
}

function channelHtml(data: AtlasData, channels: readonly number[], i: number): string {
  const m = data.manifest;
  const c = channels[i]!;
  const set = new Set(channels);
  const prev = i > 0 ? channels[i - 1]! : null;
  const next = i < channels.length - 1 ? channels[i + 1]! : null;
  const nav =
    `<nav class="pager">` +
    (prev !== null ? `<a rel="prev" href="c${prev}.html">← channel ${prev}</a>` : '<span class="muted">first channel</span>') +
    `<a href="../index.html">index</a>` +
    (next !== null ? `<a rel="next" href="c${next}.html">channel ${next} →</a>` : '<span class="muted">last channel</span>') +
    `</nav>`;
  const card = channelCard(data, c, { img: (rel) => `../${rel}`, link: (o) => (set.has(o) ? `c${o}.html` : null) });
  const label = channelLabel(m, c);
  return page(`${m.model} · ${m.layer} · channel ${c}${label ? ` · ${label}` : ''} — featvis atlas`, `${nav}<h1>${escapeHtml(m.model)} · ${escapeHtml(m.layer)}</h1>${card}${nav}`, 1);
}

/** Site-relative images a channel's page and card show. */
function imagesOf(data: AtlasData, c: number): string[] {
  const r = data.records.find((x) => x.channel === c);
  if (!r) return [];
  return [r.am.image, ...(r.diverse?.images ?? []), ...r.exemplars.flatMap((e) => [e.image, e.crop])];
}

export function writeAtlasSite(dir: string, opts: SiteOptions = {}): SiteResult {
  const data = loadAtlas(dir);
  const out = path.resolve(opts.out ?? dir);
  const finished = new Set(data.records.map((r) => r.channel));
  const channels = (opts.channels ?? data.manifest.channels).filter((c) => finished.has(c));
  if (opts.channels) {
    const missing = opts.channels.filter((c) => !finished.has(c));
    if (missing.length) throw new FeatvisError(`channels ${missing.slice(0, 10).join(', ')} are not in the atlas or not finished`);
  }
  if (channels.length === 0) throw new FeatvisError(`the atlas in ${dir} has no finished channel yet`);
  const shown = { ...data, records: data.records.filter((r) => channels.includes(r.channel)) };
  const files: string[] = [];
  const write = (rel: string, text: string | Buffer): void => {
    writeFileAtomic(path.join(out, rel), text);
    files.push(rel);
  };
  write('assets/atlas.css', ATLAS_CSS);
  write('assets/atlas.js', ATLAS_JS);
  write('index.html', indexHtml(shown, channels));
  channels.forEach((_, i) => write(AtlasFiles.channelPage(channels[i]!), channelHtml(shown, channels, i)));
  const images = channels.flatMap((c) => imagesOf(shown, c));
  if (out !== path.resolve(dir)) {
    for (const rel of images) write(rel, fs.readFileSync(path.join(dir, rel)));
    // The copy is itself an atlas that loadAtlas reads (a notebook card, --site-only again):
    // the manifest, scores, neighbours and the shown channels' records, no stores or PNGs.
    const work = new AtlasFiles(dir);
    for (const f of [work.manifest, work.score, work.neighbours, ...channels.map((c) => work.channel(c))]) {
      if (fs.existsSync(f)) write(path.relative(path.resolve(dir), path.resolve(f)), fs.readFileSync(f));
    }
  } else files.push(...images);
  const bytes = files.reduce((n, f) => n + fs.statSync(path.join(out, f)).size, 0);
  return { index: path.join(out, 'index.html'), pages: channels.length, files, bytes };
}
