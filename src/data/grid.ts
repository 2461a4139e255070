/**
 * Image grids ("contact sheets") of equally sized tiles, with optional
 * captions under each tile, rendered with sharp (captions as SVG text).
 */
import sharp from 'sharp';
import { encodePng, type RgbImage } from './image.js';

export interface GridOptions {
  /** Columns (default: ceil(sqrt(n))). */
  cols?: number;
  /** Tile side in pixels (tiles are resized to tile×tile; default: first tile's width). */
  tile?: number;
  gap?: number;
  /** One caption per tile (drawn below it). */
  captions?: readonly string[];
  title?: string;
  background?: { r: number; g: number; b: number };
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

function textSvg(text: string, width: number, height: number, maxFontSize: number): Buffer {
  // Shrink the font so the line fits the width (DejaVu Sans averages ~0.6 em per character).
  const fontSize = Math.max(6, Math.min(maxFontSize, Math.floor((width - 4) / (0.6 * Math.max(1, text.length)))));
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<text x="${width / 2}" y="${height - Math.max(2, (height - fontSize) / 2) - 1}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${fontSize}" fill="#222" text-anchor="middle">${escapeXml(text)}</text></svg>`,
  );
}

/** Tiles (RGB images or encoded PNG/JPEG buffers) → one PNG. */
export async function composeGrid(tiles: ReadonlyArray<RgbImage | Buffer>, opts: GridOptions = {}): Promise<Buffer> {
  if (tiles.length === 0) throw new Error('composeGrid: no tiles');
  const pngs = await Promise.all(tiles.map((t) => (Buffer.isBuffer(t) ? t : encodePng(t))));
  const first = await sharp(pngs[0]!).metadata();
  const tile = opts.tile ?? first.width ?? 128;
  const gap = opts.gap ?? 4;
  const cols = Math.max(1, Math.min(tiles.length, opts.cols ?? Math.ceil(Math.sqrt(tiles.length))));
  const rows = Math.ceil(tiles.length / cols);
  const capH = opts.captions ? Math.max(12, Math.round(tile / 9)) : 0;
  const titleH = opts.title ? Math.max(16, Math.round(tile / 6)) : 0;
  const width = cols * tile + (cols + 1) * gap;
  const height = titleH + rows * (tile + capH) + (rows + 1) * gap;
  const resized = await Promise.all(pngs.map((p) => sharp(p).resize(tile, tile, { fit: 'fill' }).png().toBuffer()));
  const layers: sharp.OverlayOptions[] = [];
  if (opts.title) layers.push({ input: textSvg(opts.title, width, titleH, Math.round(titleH * 0.6)), left: 0, top: 0 });
  resized.forEach((buf, i) => {
    const r = Math.floor(i / cols);
    const c = i % cols;
    const left = gap + c * (tile + gap);
    const top = titleH + gap + r * (tile + capH + gap);
    layers.push({ input: buf, left, top });
    const cap = opts.captions?.[i];
    if (cap) layers.push({ input: textSvg(cap, tile, capH, Math.round(capH * 0.75)), left, top: top + tile });
  });
  return sharp({ create: { width, height, channels: 3, background: opts.background ?? { r: 255, g: 255, b: 255 } } })
    .composite(layers)
    .png()
    .toBuffer();
}
