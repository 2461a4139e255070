/**
 * Contact sheets of mined exemplars (PNG, sharp composite + SVG text):
 *
 * - channel sheet: one channel's top-k (3 × 3 for k = 9) images or receptive-field
 *   crops, with a title and optional captions (value, image id);
 * - range sheet: many channels (e.g. "top-9 for channels 0–119") in one big PNG,
 *   one labelled k-grid per channel.
 *
 * Images are decoded exactly as mining saw them (run size and fit), so crop
 * boxes land where the activation was. Missing or unreadable files become
 * grey tiles rather than failing the sheet.
 */
import { FeatvisError } from '../core/errors.js';
import sharp from 'sharp';
import { readImage, toUint8, writeFileAtomic, type ResizeFit } from '../data/image.js';
import type { Exemplar, ExemplarStore, Reduce, RunInfo } from './store.js';

export interface SheetOptions {
  /** Reduce mode to show (default: the run's). */
  reduce?: Reduce;
  /** Run to read (default: the latest run that mined the layer). */
  runId?: number;
  /** Show receptive-field crops instead of whole images (default false). */
  crop?: boolean;
  /** Crop box side in strides (default: the run's rfFactor). */
  rfFactor?: number;
  /** Tile side in pixels (default 128 for channel sheets, 64 for range sheets). */
  tile?: number;
  /** Space between tiles (default 4 for channel sheets, 1 inside range-sheet cells). */
  gap?: number;
  /** Caption under each tile: value and image id (default: true for channel sheets, false for range sheets). */
  captions?: boolean;
  /** Title strip; a string replaces the default "<layer> channel <c> (<reduce>)". false hides it. */
  title?: boolean | string;
}

export interface RangeSheetOptions extends SheetOptions {
  /** Channel cells per row (default: ceil(sqrt(n · 1.2)), a landscape-ish grid). */
  columns?: number;
  /** Space between channel cells (default 8). */
  cellGap?: number;
}

export interface SheetResult {
  file: string;
  width: number;
  height: number;
  channels: number[];
}

export const TITLE_HEIGHT = 20;
export const CAPTION_HEIGHT = 14;
export const LABEL_HEIGHT = 14;
const MAX_SIDE = 16_000;
const MAX_CHANNELS = 2048;

export interface GridLayout {
  cols: number;
  rows: number;
  tile: number;
  gap: number;
  captionH: number;
  titleH: number;
  width: number;
  height: number;
}

/**
 * Geometry of a k-grid: cols = ceil(sqrt(k)), rows = ceil(k / cols);
 * width = cols·tile + (cols+1)·gap; height = titleH + rows·(tile + captionH) + (rows+1)·gap.
 */
export function gridLayout(k: number, tile: number, gap: number, captions: boolean, titleH: number): GridLayout {
  const cols = Math.max(1, Math.ceil(Math.sqrt(k)));
  const rows = Math.max(1, Math.ceil(k / cols));
  const captionH = captions ? CAPTION_HEIGHT : 0;
  return {
    cols,
    rows,
    tile,
    gap,
    captionH,
    titleH,
    width: cols * tile + (cols + 1) * gap,
    height: titleH + rows * (tile + captionH) + (rows + 1) * gap,
  };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

interface Text {
  x: number;
  y: number;
  text: string;
  size: number;
  /** Max width in px; longer text is cut with an ellipsis. */
  maxWidth: number;
  bold?: boolean;
}

function fitText(s: string, size: number, maxWidth: number): string {
  const maxChars = Math.max(1, Math.floor(maxWidth / (size * 0.6)));
  return s.length <= maxChars ? s : `…${s.slice(s.length - maxChars + 1)}`;
}

function svgOverlay(width: number, height: number, texts: readonly Text[]): Buffer {
  const body = texts
    .map(
      (t) =>
        `<text x="${t.x}" y="${t.y}" font-size="${t.size}"${t.bold ? ' font-weight="bold"' : ''}>${escapeXml(fitText(t.text, t.size, t.maxWidth))}</text>`,
    )
    .join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g font-family="DejaVu Sans, Arial, sans-serif" fill="#222">${body}</g></svg>`,
  );
}

function asFit(s: string): ResizeFit {
  if (s === 'cover' || s === 'fill' || s === 'contain') return s;
  throw new FeatvisError(`unknown fit '${s}' in exemplar store`);
}

/** Decodes run images at the run's size (cached) and cuts tiles (raw RGB, tile × tile): whole images or receptive-field crops. */
export class TileMaker {
  private readonly cache = new Map<string, Buffer | null>();

  constructor(private readonly run: RunInfo, private readonly tile: number, private readonly crop: boolean) {}

  private async base(file: string): Promise<Buffer | null> {
    if (this.cache.has(file)) return this.cache.get(file) ?? null;
    let buf: Buffer | null = null;
    try {
      const img = await readImage(file, this.run.size, asFit(this.run.fit));
      buf = Buffer.from(toUint8(img.data).buffer);
    } catch {
      buf = null;
    }
    if (this.cache.size >= 512) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(file, buf);
    return buf;
  }

  async make(e: Exemplar): Promise<Buffer> {
    const [h, w] = this.run.size;
    const base = await this.base(e.path);
    if (!base) return Buffer.alloc(this.tile * this.tile * 3, 160);
    let img = sharp(base, { raw: { width: w, height: h, channels: 3 } });
    if (this.crop) {
      img = sharp(await img.extract(e.box).raw().toBuffer(), { raw: { width: e.box.width, height: e.box.height, channels: 3 } });
    }
    return img.resize({ width: this.tile, height: this.tile, fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
  }
}

interface Cell {
  left: number;
  top: number;
  exemplars: Exemplar[];
}

async function compose(
  width: number,
  height: number,
  cells: readonly Cell[],
  layout: GridLayout,
  maker: TileMaker,
  texts: Text[],
): Promise<Buffer> {
  if (width > MAX_SIDE || height > MAX_SIDE) {
    throw new FeatvisError(`sheet would be ${width}x${height} px (max ${MAX_SIDE}): use a smaller tile, fewer channels or more columns`);
  }
  const overlays: sharp.OverlayOptions[] = [];
  for (const cell of cells) {
    for (const [i, e] of cell.exemplars.entries()) {
      const col = i % layout.cols;
      const row = Math.floor(i / layout.cols);
      const left = cell.left + layout.gap + col * (layout.tile + layout.gap);
      const top = cell.top + layout.titleH + layout.gap + row * (layout.tile + layout.captionH + layout.gap);
      overlays.push({ input: await maker.make(e), raw: { width: layout.tile, height: layout.tile, channels: 3 }, left, top });
      if (layout.captionH > 0) {
        const value = e.value.toPrecision(4);
        const name = fitText(e.imageId.slice(e.imageId.lastIndexOf('/') + 1), 10, layout.tile - 2 - (value.length + 1) * 6);
        texts.push({ x: left + 1, y: top + layout.tile + layout.captionH - 3, size: 10, maxWidth: layout.tile - 2, text: `${value} ${name}` });
      }
    }
  }
  if (texts.length > 0) overlays.push({ input: svgOverlay(width, height, texts), left: 0, top: 0 });
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(overlays)
    .png()
    .toBuffer();
}

function sheetRun(store: ExemplarStore, layer: string, opts: SheetOptions): RunInfo {
  return store.runForLayer(layer, opts.runId);
}

function topKOf(store: ExemplarStore, run: RunInfo, layer: string, channel: number, opts: SheetOptions): Exemplar[] {
  return store.topK(layer, channel, opts.reduce, { runId: run.id, ...(opts.rfFactor !== undefined ? { rfFactor: opts.rfFactor } : {}) });
}

function checkTile(tile: number, gap: number): void {
  if (!Number.isInteger(tile) || tile < 8 || tile > 1024) throw new FeatvisError(`tile must be an integer in 8..1024, got ${tile}`);
  if (!Number.isInteger(gap) || gap < 0 || gap > 256) throw new FeatvisError(`gap must be an integer in 0..256, got ${gap}`);
}

/** One channel's top-k as a PNG buffer. */
export async function renderChannelSheet(store: ExemplarStore, layer: string, channel: number, opts: SheetOptions = {}): Promise<{ png: Buffer; width: number; height: number }> {
  const run = sheetRun(store, layer, opts);
  const tile = opts.tile ?? 128;
  const gap = opts.gap ?? 4;
  checkTile(tile, gap);
  const exemplars = topKOf(store, run, layer, channel, opts);
  const titleText = opts.title === false ? null : typeof opts.title === 'string' ? opts.title : `${layer} channel ${channel} (${opts.reduce ?? run.reduce}${opts.crop ? ', crops' : ''})`;
  const layout = gridLayout(run.k, tile, gap, opts.captions ?? true, titleText === null ? 0 : TITLE_HEIGHT);
  const texts: Text[] = titleText === null ? [] : [{ x: gap, y: TITLE_HEIGHT - 5, size: 13, bold: true, maxWidth: layout.width - 2 * gap, text: titleText }];
  const maker = new TileMaker(run, tile, opts.crop ?? false);
  const png = await compose(layout.width, layout.height, [{ left: 0, top: 0, exemplars }], layout, maker, texts);
  return { png, width: layout.width, height: layout.height };
}

/** Writes one channel's top-k grid (3 × 3 for k = 9) to `file` (PNG). */
export async function writeChannelSheet(store: ExemplarStore, layer: string, channel: number, file: string, opts: SheetOptions = {}): Promise<SheetResult> {
  const r = await renderChannelSheet(store, layer, channel, opts);
  writeFileAtomic(file, r.png);
  return { file, width: r.width, height: r.height, channels: [channel] };
}

/** Channels from `[first, last]` (inclusive) or an explicit list. */
function channelList(channels: readonly [number, number] | readonly number[], explicit: boolean): number[] {
  if (explicit) return [...channels];
  const [a, b] = channels as readonly [number, number];
  if (!Number.isInteger(a) || !Number.isInteger(b) || b < a) throw new FeatvisError(`channel range must be [first, last] with first <= last, got [${a}, ${b}]`);
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/**
 * Many channels' top-k in one PNG: one labelled grid per channel.
 * `channels`: `{ first, last }` (inclusive, e.g. { first: 0, last: 119 }) or an explicit list.
 */
export async function writeRangeSheet(
  store: ExemplarStore,
  layer: string,
  channels: { first: number; last: number } | readonly number[],
  file: string,
  opts: RangeSheetOptions = {},
): Promise<SheetResult> {
  const run = sheetRun(store, layer, opts);
  const list = Array.isArray(channels)
    ? channelList(channels as readonly number[], true)
    : channelList([(channels as { first: number }).first, (channels as { last: number }).last], false);
  if (list.length === 0) throw new FeatvisError('writeRangeSheet: no channels given');
  if (list.length > MAX_CHANNELS) throw new FeatvisError(`writeRangeSheet: ${list.length} channels in one sheet (max ${MAX_CHANNELS}); split the range`);
  const tile = opts.tile ?? 64;
  const gap = opts.gap ?? 1;
  checkTile(tile, gap);
  const cellGap = opts.cellGap ?? 8;
  const layout = gridLayout(run.k, tile, gap, opts.captions ?? false, LABEL_HEIGHT);
  const columns = opts.columns ?? Math.max(1, Math.ceil(Math.sqrt(list.length * 1.2)));
  if (!Number.isInteger(columns) || columns < 1) throw new FeatvisError(`columns must be a positive integer, got ${columns}`);
  const rows = Math.ceil(list.length / columns);
  const titleText = opts.title === false ? null : typeof opts.title === 'string' ? opts.title : `${layer}, channels ${list[0]}–${list[list.length - 1]} (top-${run.k}, ${opts.reduce ?? run.reduce}${opts.crop ? ', crops' : ''})`;
  const titleH = titleText === null ? 0 : TITLE_HEIGHT + 4;
  const width = columns * layout.width + (columns + 1) * cellGap;
  const height = titleH + rows * layout.height + (rows + 1) * cellGap;
  const texts: Text[] = titleText === null ? [] : [{ x: cellGap, y: TITLE_HEIGHT - 2, size: 15, bold: true, maxWidth: width - 2 * cellGap, text: titleText }];
  const cells: Cell[] = list.map((c, i) => {
    const left = cellGap + (i % columns) * (layout.width + cellGap);
    const top = titleH + cellGap + Math.floor(i / columns) * (layout.height + cellGap);
    texts.push({ x: left + gap, y: top + LABEL_HEIGHT - 3, size: 11, bold: true, maxWidth: layout.width - 2 * gap, text: `ch ${c}` });
    return { left, top, exemplars: topKOf(store, run, layer, c, opts) };
  });
  const maker = new TileMaker(run, tile, opts.crop ?? false);
  const png = await compose(width, height, cells, layout, maker, texts);
  writeFileAtomic(file, png);
  return { file, width, height, channels: list };
}
