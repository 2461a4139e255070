/**
 * A dependency-free progress bar for long commands (mining, sweeps, renders).
 *
 * On a TTY it redraws one line in place (at most every `redrawMs`):
 *   mining  [██████████░░░░░░░░░░]  512/3925  13%  85.3 images/s  ETA 40s
 * Elsewhere (CI logs, pipes, notebooks) it prints a plain line at most every
 * `intervalMs`, and always a last line on `finish()`.
 * The rate is measured over this session (work done before `start`, e.g. a
 * resumed run, does not inflate it).
 */

export interface ProgressStream {
  write(s: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** Unit of the rate (default 'items'), e.g. 'images' → "85.3 images/s". */
  unit?: string;
  /** Work already done when the bar starts (resumed runs). */
  start?: number;
  /** Where to draw (default process.stderr). */
  stream?: ProgressStream;
  /** Force TTY or plain mode (default: stream.isTTY). */
  tty?: boolean;
  /** Plain mode: minimum time between lines (default 10 s). */
  intervalMs?: number;
  /** TTY mode: minimum time between redraws (default 100 ms). */
  redrawMs?: number;
  /** Bar width in characters (default 24). */
  width?: number;
  /** Clock, for tests (default performance.now). */
  now?: () => number;
}

/** 75 → "1m15s", 3700 → "1h01m", 4.2 → "4s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function formatRate(r: number): string {
  if (!Number.isFinite(r)) return '?';
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

export class Progress {
  readonly label: string;
  total: number;
  private done: number;
  private readonly startDone: number;
  private readonly unit: string;
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly intervalMs: number;
  private readonly redrawMs: number;
  private readonly width: number;
  private readonly now: () => number;
  private readonly t0: number;
  private lastDraw = -Infinity;
  private finished = false;
  private extra = '';
  private readonly inheritedColumns: number | undefined;

  constructor(opts: ProgressOptions) {
    this.label = opts.label;
    this.total = Math.max(0, opts.total);
    this.done = opts.start ?? 0;
    this.startDone = this.done;
    this.unit = opts.unit ?? 'items';
    this.stream = opts.stream ?? process.stderr;
    // Under bin/featvis.mjs the command's stderr is a pipe to the launcher, which says whether its own is a terminal.
    this.inheritedColumns = this.stream === process.stderr ? Number(process.env.FEATVIS_STDERR_COLUMNS) || undefined : undefined;
    this.tty = opts.tty ?? (Boolean(this.stream.isTTY) || this.inheritedColumns !== undefined);
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.redrawMs = opts.redrawMs ?? 100;
    this.width = opts.width ?? 24;
    this.now = opts.now ?? (() => performance.now());
    this.t0 = this.now();
  }

  /** Units per second over this session. */
  get rate(): number {
    const dt = (this.now() - this.t0) / 1000;
    // Under half a second the rate is noise (e.g. a bar created at the first callback).
    return dt >= 0.5 ? (this.done - this.startDone) / dt : Number.NaN;
  }

  /** Seconds left at the current rate (Infinity before any progress). */
  get eta(): number {
    const r = this.rate;
    return Number.isFinite(r) && r > 0 ? Math.max(0, this.total - this.done) / r : Infinity;
  }

  /** Advances by n. */
  tick(n = 1, extra?: string): void {
    this.update(this.done + n, extra);
  }

  /** Sets the absolute amount done; `extra` is appended to the line (e.g. "3 skipped"). */
  update(done: number, extra?: string): void {
    if (this.finished) return;
    this.done = Math.min(Math.max(done, 0), Math.max(this.total, done));
    if (extra !== undefined) this.extra = extra;
    const t = this.now();
    if (t - this.lastDraw >= (this.tty ? this.redrawMs : this.intervalMs)) this.draw(t);
  }

  /** The current line, without control characters. */
  line(): string {
    const frac = this.total > 0 ? Math.min(1, this.done / this.total) : 0;
    const pct = `${Math.floor(frac * 100)}%`.padStart(4);
    const n = String(this.total).length;
    const count = `${String(this.done).padStart(n)}/${this.total}`;
    const rate = `${formatRate(this.rate)} ${this.unit}/s`;
    const eta = this.finished ? `in ${formatDuration((this.now() - this.t0) / 1000)}` : `ETA ${formatDuration(this.eta)}`;
    const tail = this.extra ? `  ${this.extra}` : '';
    if (!this.tty) return `${this.label}: ${count} ${pct.trim()}  ${rate}  ${eta}${tail}`;
    const filled = Math.round(frac * this.width);
    const bar = `[${'█'.repeat(filled)}${'░'.repeat(this.width - filled)}]`;
    return `${this.label}  ${bar} ${count} ${pct}  ${rate}  ${eta}${tail}`;
  }

  private draw(t: number): void {
    this.lastDraw = t;
    if (this.tty) {
      let s = this.line();
      const cols = this.stream.columns ?? this.inheritedColumns;
      if (cols && s.length > cols - 1) s = s.slice(0, cols - 1);
      this.stream.write(`\r${s}\x1b[K`);
    } else {
      this.stream.write(`${this.line()}\n`);
    }
  }

  /** Draws the final state and ends the line. */
  finish(extra?: string): void {
    if (this.finished) return;
    if (extra !== undefined) this.extra = extra;
    this.finished = true;
    this.draw(this.now());
    if (this.tty) this.stream.write('\n');
  }
}

/**
 * One bar per phase of a long job (mining, controls, cells…): a phase's bar
 * is finished when it reaches its total or when the next phase starts, so its
 * last line gives that phase's own rate and count, not one diluted by the
 * phases after it.
 */
export class PhaseBars {
  private readonly bars = new Map<string, Progress>();
  private current: string | null = null;

  constructor(private readonly make: (phase: string, total: number, start: number) => Progress) {}

  update(phase: string, done: number, total: number, opts: { start?: number; extra?: string } = {}): void {
    if (this.current !== null && this.current !== phase) this.bars.get(this.current)?.finish();
    this.current = phase;
    let bar = this.bars.get(phase);
    if (!bar) {
      bar = this.make(phase, total, opts.start ?? done);
      this.bars.set(phase, bar);
    }
    bar.update(done, opts.extra);
    if (total > 0 && done >= total) bar.finish();
  }

  finishAll(): void {
    for (const b of this.bars.values()) b.finish();
  }
}
