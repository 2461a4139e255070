/**
 * Rich output for the tslab notebooks: PNG images and grids, tables, notes,
 * Plotly charts, progress lines. Each call sends one Jupyter `display_data`
 * message with a mime bundle through the running tslab kernel. Outside a
 * kernel (plain node, tests) the text/plain part is printed instead, or the
 * bundle goes to a sink installed with `setDisplaySink`.
 */
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { composeGrid, type GridOptions } from '../data/grid.js';
import { encodePng, type RgbImage } from '../data/image.js';
import { figureBundle, type PlotFigure, type PlotlyJson } from './plot.js';

export type MimeBundle = Record<string, unknown>;

export interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id?: string };
}

export type DisplaySink = (msg: DisplayMessage, update: boolean) => void;

let sink: DisplaySink | null = null;

/** Redirects every display to `fn` (null restores the kernel / console). Used by tests. */
export function setDisplaySink(fn: DisplaySink | null): void {
  sink = fn;
}

type WriteDisplayData = (msg: DisplayMessage, update: boolean) => void;

/** tslab's current display writer, when this process is a tslab kernel executing a cell. */
function kernelWriter(): WriteDisplayData | null {
  const req = createRequire(import.meta.url);
  let file: string;
  try {
    file = req.resolve('tslab/dist/jupyter.js');
  } catch {
    return null;
  }
  // Only a running kernel has loaded it; never load zeromq just to print.
  if (!req.cache[file]) return null;
  const mod: unknown = req(file);
  if (typeof mod !== 'object' || mod === null) return null;
  const w: unknown = (mod as { lastWriteDisplayData?: unknown }).lastWriteDisplayData;
  return typeof w === 'function' ? (w as WriteDisplayData) : null;
}

/** True inside a tslab kernel. */
export function inKernel(): boolean {
  return kernelWriter() !== null;
}

function send(data: MimeBundle, displayId?: string, update = false): void {
  const msg: DisplayMessage = { data, metadata: {}, transient: displayId ? { display_id: displayId } : {} };
  if (sink) return sink(msg, update);
  const w = kernelWriter();
  if (w) return w(msg, update);
  const text = data['text/plain'];
  if (typeof text === 'string') console.log(text);
}

/** Displays a raw mime bundle (e.g. {'text/html': …, 'text/plain': …}). */
export function displayBundle(data: MimeBundle): void {
  send(data);
}

/** Displays PNG bytes inline. */
export function showPng(png: Uint8Array, alt = 'image'): void {
  send({ 'image/png': Buffer.from(png).toString('base64'), 'text/plain': `<${alt}: PNG, ${png.length} bytes>` });
}

/** Displays one RGB image ([0,1] floats) or PNG buffer. */
export async function showImage(img: RgbImage | Buffer, alt?: string): Promise<void> {
  const png = Buffer.isBuffer(img) ? img : await encodePng(img);
  showPng(png, alt ?? (Buffer.isBuffer(img) ? 'image' : `image ${img.width}×${img.height}`));
}

/** Displays images as one captioned grid (src/data/grid.ts, the same grids the CLI writes; fv.composeGrid gives the PNG). */
export async function showGrid(tiles: ReadonlyArray<RgbImage | Buffer>, opts: GridOptions = {}): Promise<void> {
  showPng(await composeGrid(tiles, opts), `${opts.title ?? 'grid'} (${tiles.length} images)`);
}

function escapeHtml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

export type Cell = string | number | boolean | null | undefined;

export interface TableOptions {
  title?: string;
  /** Significant digits for non-integer numbers (default 4). */
  digits?: number;
}

function formatCell(v: Cell, digits: number): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? Number(v.toPrecision(digits)).toString() : String(v);
  return String(v);
}

/** HTML + plain-text table of rows (columns: the keys of the first row, then any new ones). */
export function tableBundle(rows: ReadonlyArray<Record<string, Cell>>, opts: TableOptions = {}): MimeBundle {
  const digits = opts.digits ?? 4;
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const cells = rows.map((r) => cols.map((c) => formatCell(r[c], digits)));
  const numeric = cols.map((c) => rows.every((r) => typeof r[c] === 'number' || r[c] === null || r[c] === undefined));
  const html =
    (opts.title ? `<p><b>${escapeHtml(opts.title)}</b></p>` : '') +
    `<table><thead><tr>${cols.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>` +
    cells.map((r) => `<tr>${r.map((v, i) => `<td style="text-align:${numeric[i] ? 'right' : 'left'}">${escapeHtml(v)}</td>`).join('')}</tr>`).join('') +
    `</tbody></table>`;
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (vals: string[]): string => vals.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  const text = [...(opts.title ? [opts.title] : []), line(cols), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
  return { 'text/html': html, 'text/plain': text };
}

export function showTable(rows: ReadonlyArray<Record<string, Cell>>, opts: TableOptions = {}): void {
  send(tableBundle(rows, opts));
}

/** Displays a line of text (like console.log, as a display output). */
export function showText(text: string): void {
  send({ 'text/plain': text });
}

/** Displays Markdown (plain text for viewers without it). */
export function showMarkdown(md: string): void {
  send({ 'text/markdown': md, 'text/plain': md });
}

/** A visible note in the output (e.g. "InceptionV3 weights unavailable: using …"). */
export function showNote(text: string): void {
  // Each line of `text` stays a line (Markdown hard breaks inside the quote).
  const md = text.split('\n').map((l) => l.trim()).filter(Boolean).join('  \n> ');
  send({ 'text/markdown': `> **Note.** ${md}`, 'text/plain': `Note: ${text}` });
}

/** Displays a Plotly figure (interactive in JupyterLab with jupyterlab-plotly, SVG elsewhere). */
export function showPlot(fig: PlotFigure | PlotlyJson): void {
  send(figureBundle(fig));
}

export interface ProgressLine {
  update(text: string): void;
  done(text?: string): void;
}

/** One output line updated in place (a display with an id); throttled to 2 updates per second. */
export function progressLine(initial: string): ProgressLine {
  const id = crypto.randomBytes(8).toString('hex');
  let last = 0;
  let pending: string | null = null;
  send({ 'text/plain': initial }, id, false);
  return {
    update(text: string): void {
      const now = Date.now();
      if (now - last < 500) {
        pending = text;
        return;
      }
      last = now;
      pending = null;
      send({ 'text/plain': text }, id, true);
    },
    done(text?: string): void {
      const t = text ?? pending;
      if (t !== null && t !== undefined) send({ 'text/plain': t }, id, true);
    },
  };
}

/**
 * Runs `work` with a progress line; the line always ends: with `summary(result)`,
 * or with what stopped it (the error still reaches the cell).
 */
export async function withProgress<T>(initial: string, work: (update: (text: string) => void) => Promise<T>, summary: (result: T) => string): Promise<T> {
  const line = progressLine(initial);
  try {
    const result = await work((t) => line.update(t));
    line.done(summary(result));
    return result;
  } catch (err) {
    line.done(`stopped: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    throw err;
  }
}
