/**
 * One channel of a layer atlas (featvis atlas / runAtlas) inline in a
 * notebook: the same card as the channel's page (card.ts), with its images
 * embedded as data: URIs and the card's own scoped styles, so the output
 * survives the notebook being moved or shared.
 *
 *   await nb.showAtlasCard('runs/atlas/mobilenet_v2-expanded_conv_7', 12);
 */
import fs from 'node:fs';
import path from 'node:path';
import { CARD_CSS } from '../atlas/assets.js';
import { channelCard } from '../atlas/card.js';
import { channelScore, loadAtlas, primaryVariant } from '../atlas/load.js';
import { FeatvisError } from '../core/errors.js';
import { displayBundle } from './display.js';

const MIME: Readonly<Record<string, string>> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png' };

/** The card of `channel` as self-contained HTML (inline styles and images) and a one-line text summary. */
export function atlasCard(dir: string, channel: number): { html: string; text: string } {
  const data = loadAtlas(dir);
  if (!data.manifest.channels.includes(channel)) throw new FeatvisError(`channel ${channel} is not in the atlas in ${dir} (it has ${data.manifest.channels.length} channels: ${data.manifest.channels.slice(0, 8).join(', ')}…)`);
  const img = (rel: string): string => {
    const file = path.join(dir, rel);
    if (!fs.existsSync(file)) return '';
    return `data:${MIME[path.extname(rel).toLowerCase()] ?? 'application/octet-stream'};base64,${fs.readFileSync(file).toString('base64')}`;
  };
  const html = `<div class="featvis-atlas"><style>${CARD_CSS}</style>${channelCard(data, channel, { img, link: () => null })}</div>`;
  const s = channelScore(primaryVariant(data.score), channel);
  const r = data.records.find((x) => x.channel === channel);
  const text = `${data.manifest.model} · ${data.manifest.layer} · channel ${channel}: ${r ? `AM activation ${r.am.activation.toFixed(3)}` : 'not rendered yet'}${s?.normalized != null ? `, normalised interpretability ${s.normalized.toFixed(3)}` : ''}`;
  return { html, text };
}

/** Displays one channel's atlas card inline. */
export function showAtlasCard(dir: string, channel: number): void {
  const { html, text } = atlasCard(dir, channel);
  displayBundle({ 'text/html': html, 'text/plain': text });
}
