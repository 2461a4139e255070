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

/** DejaVu Sans averages about 0.6 em per character. */
const EM_PER_CHAR = 0.6;

/**
 * Breaks `text` into lines of at most `perLine` characters: at spaces, else
 * after '/', '_' or '·' inside long names (layer paths), else anywhere.
 */
export function wrapText(text: string, perLine: number): string[] {
  const n = Math.max(1, perLine);
  const lines: string[] = [];
  let line = '';
  const push = (piece: string, sep: string): void => {
    if (!line) line = piece;
    else if (line.length + sep.length + piece.length <= n) line += sep + piece;
    else {
      lines.push(line);
      line = piece;
    }
  };
  for (const word of text.split(' ').filter(Boolean)) {
    if (word.length <= n) {
      push(word, ' ');
      continue;
    }
    // A long token: cut after separators where possible.
    const parts = word.split(/(?<=[/_·])/);
    let first = true;
    for (let part of parts) {
      while (part.length > n) {
        push(part.slice(0, n), first ? ' ' : '');
        first = false;
        part = part.slice(n);
      }
      push(part, first ? ' ' : '');
      first = false;
    }
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

export interface TextLayout {
  lines: string[];
  fontSize: number;
}

/** The largest font in [minFont, maxFont] at which `text` fits `maxLines` lines of `width` px; at minFont the last line is cut with "…". */
export function layoutText(text: string, width: number, maxFont: number, minFont: number, maxLines: number): TextLayout {
  for (let f = Math.max(minFont, maxFont); f >= minFont; f--) {
    const lines = wrapText(text, Math.floor((width - 4) / (EM_PER_CHAR * f)));
    if (lines.length <= maxLines) return { lines, fontSize: f };
  }
  const per = Math.floor((width - 4) / (EM_PER_CHAR * minFont));
  const lines = wrapText(text, per).slice(0, maxLines);
  const last = lines[maxLines - 1]!;
  lines[maxLines - 1] = `${last.slice(0, Math.max(1, per - 1))}…`;
  return { lines, fontSize: minFont };
}

const lineHeight = (fontSize: number): number => Math.ceil(fontSize * 1.2);

function textSvg(t: TextLayout, width: number, height: number): Buffer {
  const lh = lineHeight(t.fontSize);
  const top = Math.max(0, (height - lh * t.lines.length) / 2);
  const rows = t.lines
    .map((l, i) => `<text x="${width / 2}" y="${(top + lh * (i + 1) - (lh - t.fontSize) / 2 - 1).toFixed(1)}" text-anchor="middle">${escapeXml(l)}</text>`)
    .join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<g font-family="DejaVu Sans, Arial, sans-serif" font-size="${t.fontSize}" fill="#222">${rows}</g></svg>`,
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
  // Titles and captions wrap instead of shrinking to illegible sizes: a title at 12–20 px on up to
  // four lines, captions at 10–14 px (one size for all) on up to three (long layer paths break
  // after '/' or '_').
  const width = cols * tile + (cols + 1) * gap;
  const title = opts.title ? layoutText(opts.title, width - 2 * gap, Math.max(14, Math.min(20, Math.round(tile / 7))), 12, 4) : null;
  const capMax = Math.max(10, Math.min(14, Math.round(tile / 10)));
  const capFont = Math.min(capMax, ...(opts.captions ?? []).map((c) => (c ? layoutText(c, tile, capMax, 10, 3).fontSize : capMax)));
  const caps = (opts.captions ?? []).map((c) => (c ? layoutText(c, tile, capFont, capFont, 3) : null));
  const capLines = Math.max(0, ...caps.map((c) => c?.lines.length ?? 0));
  const capH = opts.captions ? Math.max(12, capLines * lineHeight(capFont) + 2) : 0;
  const titleH = title ? title.lines.length * lineHeight(title.fontSize) + 8 : 0;
  const height = titleH + rows * (tile + capH) + (rows + 1) * gap;
  const resized = await Promise.all(pngs.map((p) => sharp(p).resize(tile, tile, { fit: 'fill' }).png().toBuffer()));
  const layers: sharp.OverlayOptions[] = [];
  if (title) layers.push({ input: textSvg(title, width, titleH), left: 0, top: 0 });
  resized.forEach((buf, i) => {
    const r = Math.floor(i / cols);
    const c = i % cols;
    const left = gap + c * (tile + gap);
    const top = titleH + gap + r * (tile + capH + gap);
    layers.push({ input: buf, left, top });
    const cap = caps[i];
    if (cap) layers.push({ input: textSvg(cap, tile, capH), left, top: top + tile });
  });
  return sharp({ create: { width, height, channels: 3, background: opts.background ?? { r: 255, g: 255, b: 255 } } })
    .composite(layers)
    .png()
    .toBuffer();
}
