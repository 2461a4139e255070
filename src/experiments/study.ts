/**
 * The reference study end to end, from one config, resumably:
 *
 *   1. DeepDream of a photo at several layers (choose the layer)          → dream.png
 *   2. top-k exemplars of the layer over an image folder (one mining pass) → exemplars.sqlite, top9-<a>-<b>.png
 *   3. AM with the default recipe for a range of channels                  → overview/ (grid.png, run.json)
 *   4. the regularisation sweep on selected channels, scored with controls → sweep.sqlite, report.html
 *   5. an index page tying them together                                   → index.html
 *
 * A study config is a sweep config (config.ts) plus `dream` and `overview`.
 * Every step reuses the functions the CLI and notebooks call (dreamLayers,
 * mineExemplars, visualizeChannels, runSweep, writeSweepReport); rerunning
 * the same command continues where it stopped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FeatvisError } from '../core/errors.js';
import { escapeHtml } from '../core/html.js';
import { fileSafe } from '../core/names.js';
import type { FeatModel } from '../core/types.js';
import { composeGrid } from '../data/grid.js';
import { savePng, writeFileAtomic, removeStaleTemps } from '../data/image.js';
import { formatQuality } from '../data/quality.js';
import { resolveImageSource } from '../data/folder.js';
import { readTextFile } from '../io/readFile.js';
import { mineExemplars, type MineProgress } from '../exemplars/mine.js';
import { writeRangeSheet } from '../exemplars/sheet.js';
import { ExemplarStore } from '../exemplars/store.js';
import { loadModel } from '../models/load.js';
import { dreamLayers } from '../optvis/dreamLayers.js';
import { visualizeChannels, type VisualizeProgress } from '../optvis/visualize.js';
import { parseSweepConfig, type SweepConfig } from './config.js';
import { writeSweepReport } from './report.js';
import type { ControlsSummary } from './summary.js';
import { figureSvg } from './svgChart.js';
import { runSweep, sweepImages, type SweepProgress } from './sweep.js';

export interface StudyConfig {
  name: string;
  sweep: SweepConfig;
  dream: { photo: string; layers: string[]; size: number; octaves: number; steps: number };
  overview: { channels: number[]; steps: number; batchSize: number };
}

const MAX_OVERVIEW = 1024;
/** Channels per top-9 range sheet (the study's top9-v-0-119 is 3 sheets of 40). */
const SHEET_CHANNELS = 40;

export function parseStudyConfig(raw: unknown, where = 'study config'): StudyConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new FeatvisError(`${where}: expected a JSON object`);
  const { name, dream, overview, ...rest } = raw as Record<string, unknown>;
  const sweep = parseSweepConfig(rest, where);
  const fail = (msg: string): never => {
    throw new FeatvisError(`${where}: ${msg}`);
  };
  const d = (dream ?? {}) as Record<string, unknown>;
  if (typeof dream !== 'object' || dream === null) fail('"dream" must be an object with "photo" and "layers"');
  if (typeof d.photo !== 'string' || !d.photo) fail('"dream.photo" must name a photo');
  if (!Array.isArray(d.layers) || d.layers.length === 0 || d.layers.length > 16 || !d.layers.every((l) => typeof l === 'string' && l)) fail('"dream.layers" must be 1–16 layer names');
  const int = (v: unknown, def: number, lo: number, hi: number, what: string): number => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) fail(`${what} must be an integer in ${lo}–${hi}`);
    return v as number;
  };
  const o = (overview ?? {}) as Record<string, unknown>;
  if (typeof overview !== 'object' || overview === null) fail('"overview" must be an object with "channels" ([first, last])');
  const range = o.channels;
  if (!Array.isArray(range) || range.length !== 2 || !range.every((c) => typeof c === 'number' && Number.isInteger(c) && c >= 0) || range[0] > range[1]) {
    fail('"overview.channels" must be [first, last] channel numbers');
  }
  const [first, last] = range as [number, number];
  if (last - first + 1 > MAX_OVERVIEW) fail(`"overview.channels" spans more than ${MAX_OVERVIEW} channels`);
  return {
    name: typeof name === 'string' && name ? name : `${sweep.model} · ${sweep.layer}`,
    sweep,
    dream: {
      photo: d.photo as string,
      layers: d.layers as string[],
      size: int(d.size, 256, 64, 1024, '"dream.size"'),
      octaves: int(d.octaves, 3, 1, 8, '"dream.octaves"'),
      steps: int(d.steps, 10, 1, 200, '"dream.steps"'),
    },
    overview: {
      channels: Array.from({ length: last - first + 1 }, (_, i) => first + i),
      steps: int(o.steps, 256, 1, 10_000, '"overview.steps"'),
      batchSize: int(o.batchSize, 16, 1, 256, '"overview.batchSize"'),
    },
  };
}

export function readStudyConfig(file: string): StudyConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readTextFile(file, { what: 'study config', maxBytes: 1 << 20 }));
  } catch (err) {
    if (err instanceof FeatvisError) throw err;
    throw new FeatvisError(`cannot read study config ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseStudyConfig(raw, file);
}

export type StudyPhase = 'dream' | 'mining' | 'overview' | 'sweep' | 'report';

export interface StudyProgress {
  phase: StudyPhase;
  /** Progress inside the phase, when it has one. */
  done?: number;
  total?: number;
  note?: string;
  mining?: MineProgress;
  overview?: VisualizeProgress;
  sweep?: SweepProgress;
}

export interface StudyResult {
  outDir: string;
  index: string;
  /** Seconds spent in each phase by this call (0 when a phase was already done). */
  seconds: Record<StudyPhase, number>;
}

interface PhaseLog {
  seconds: Partial<Record<StudyPhase, number>>;
}

function readLog(file: string): PhaseLog {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as PhaseLog;
  } catch {
    return { seconds: {} };
  }
}

export async function runStudy(cfg: StudyConfig, opts: { outDir: string; onProgress?: (p: StudyProgress) => void; model?: FeatModel }): Promise<StudyResult> {
  const out = opts.outDir;
  fs.mkdirSync(out, { recursive: true });
  removeStaleTemps(out); // what a killed run was writing
  const logFile = path.join(out, 'study.json');
  const log = readLog(logFile);
  const seconds: Record<StudyPhase, number> = { dream: 0, mining: 0, overview: 0, sweep: 0, report: 0 };
  const timed = async <T>(phase: StudyPhase, f: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    opts.onProgress?.({ phase });
    const r = await f();
    seconds[phase] = (Date.now() - t0) / 1000;
    log.seconds[phase] = (log.seconds[phase] ?? 0) + seconds[phase];
    writeFileAtomic(logFile, JSON.stringify({ config: cfg, ...log }, null, 2));
    return r;
  };
  const model = opts.model ?? (await loadModel(cfg.sweep.model));
  const layer = cfg.sweep.layer;
  try {
    // 1. DeepDream across layers
    const dreamFile = path.join(out, 'dream.png');
    if (!fs.existsSync(dreamFile)) {
      await timed('dream', async () => {
        let step = 0;
        const total = cfg.dream.layers.length * cfg.dream.octaves * cfg.dream.steps;
        const r = await dreamLayers(model, cfg.dream.photo, cfg.dream.layers, {
          size: cfg.dream.size,
          octaves: cfg.dream.octaves,
          stepsPerOctave: cfg.dream.steps,
          onStep: () => opts.onProgress?.({ phase: 'dream', done: ++step, total }),
        });
        for (const d of r.dreams) await savePng(path.join(out, 'dream', `${fileSafe(d.layer)}.png`), d.image);
        const grid = await composeGrid([r.photo, ...r.dreams.map((d) => d.image)], {
          captions: ['photo', ...r.dreams.map((d) => `${d.layer}: ${d.before.toFixed(2)} → ${d.after.toFixed(2)}`)],
          cols: Math.min(3, r.dreams.length + 1),
          tile: 256,
          title: `DeepDream across layers · ${model.name}`,
        });
        writeFileAtomic(dreamFile, grid);
      });
    }
    // 2. exemplars: the sweep's own mining call, so the sweep resumes it with nothing to do
    const { root, files } = sweepImages(cfg.sweep);
    const exFile = path.join(out, 'exemplars.sqlite');
    const exSize = cfg.sweep.exemplars.size ? ([cfg.sweep.exemplars.size, cfg.sweep.exemplars.size] as [number, number]) : model.preprocess.size;
    const mined = await timed('mining', () =>
      mineExemplars({
        model,
        layers: [layer],
        images: { root, files },
        k: cfg.sweep.exemplars.k + cfg.sweep.exemplars.heldOut,
        batchSize: cfg.sweep.exemplars.batchSize,
        store: exFile,
        size: exSize,
        reduce: cfg.sweep.exemplars.reduce,
        onProgress: (m) => opts.onProgress?.({ phase: 'mining', done: m.done, total: m.total, mining: m }),
      }),
    );
    const sheets: string[] = [];
    const store = new ExemplarStore(exFile, { readonly: true });
    try {
      const chs = cfg.overview.channels;
      for (let i = 0; i < chs.length; i += SHEET_CHANNELS) {
        const part = chs.slice(i, i + SHEET_CHANNELS);
        const f = path.join(out, `top9-${part[0]}-${part.at(-1)}.png`);
        if (!fs.existsSync(f)) await writeRangeSheet(store, layer, { first: part[0]!, last: part.at(-1)! }, f, { runId: mined.runId, tile: 40, columns: 8 });
        sheets.push(path.basename(f));
      }
    } finally {
      store.close();
    }
    // 3. AM overview with the default recipe
    const overview = await timed('overview', () =>
      visualizeChannels(
        model,
        { layer, channels: cfg.overview.channels, steps: cfg.overview.steps, batchSize: cfg.overview.batchSize },
        {
          outDir: path.join(out, 'overview'),
          // In channel-steps, so the bar moves within a batch.
          onProgress: (p) =>
            opts.onProgress?.({ phase: 'overview', overview: p, done: p.done * cfg.overview.steps + (p.step ? p.step.step * (p.batch ?? 1) : 0), total: p.total * cfg.overview.steps }),
        },
      ),
    );
    // 4. the sweep (its mining resumes the store above: nothing left to mine)
    const sweep = await timed('sweep', () => runSweep(cfg.sweep, { outDir: out, model, onProgress: (p) => opts.onProgress?.({ phase: 'sweep', sweep: p, done: p.done, total: p.total }) }));
    if (!sweep.complete) throw new FeatvisError('the sweep stopped before finishing: rerun the same command to continue');
    // 5. reports
    const { rep } = await timed('report', () => writeSweepReport(out));
    const index = path.join(out, 'index.html');
    const imagesMined = resolveImageSource({ root, files }).entries.length;
    writeFileAtomic(
      index,
      studyIndexHtml({
        cfg,
        model: model.name,
        imagesMined,
        sheets,
        overviewQuality: formatQuality(overview.quality),
        verdicts: rep.verdicts.map((v) => ({ knob: v.knob, verdict: v.verdict })),
        charts: rep.figures.map((f) => figureSvg(f.figure)),
        controls: rep.variants[0] ? controlsLine(rep.variants[0].controls) : '',
        metricLabel: rep.metricLabel,
        metricWhy: rep.metricWhy,
        seconds: log.seconds,
      }),
    );
    return { outDir: out, index, seconds };
  } finally {
    if (!opts.model) model.dispose();
  }
}

function controlsLine(c: ControlsSummary): string {
  const acc = (p: ControlsSummary['positiveIdentification']): string => (p ? `${(100 * p.rate).toFixed(1)} % [${(100 * p.low).toFixed(1)}, ${(100 * p.high).toFixed(1)}]` : '–');
  const ci = (m: ControlsSummary['positive']): string => (m && Number.isFinite(m.mean) ? `${m.mean.toFixed(2)}${m.halfWidth !== null ? ` ± ${m.halfWidth.toFixed(2)}` : ''}` : '–');
  return `Controls: held-out exemplars (positive control) normalised ${ci(c.positive)}, identified ${acc(c.positiveIdentification)}; random images (negative control) normalised ${ci(c.negative)}, identified ${acc(c.randomIdentification)} (50 % = chance). Normalised interpretability: 0 = chance, 1 = ceiling; higher = more interpretable.`;
}

interface IndexData {
  cfg: StudyConfig;
  model: string;
  imagesMined: number;
  sheets: string[];
  overviewQuality: string;
  verdicts: Array<{ knob: string; verdict: string }>;
  /** Inline SVG charts (already safe markup from figureSvg). */
  charts: string[];
  controls: string;
  metricLabel: string;
  metricWhy: string;
  seconds: Partial<Record<StudyPhase, number>>;
}

function studyIndexHtml(d: IndexData): string {
  const e = escapeHtml;
  const s = d.cfg.sweep;
  const mins = (x: number | undefined): string => (x === undefined ? '—' : `${(x / 60).toFixed(1)} min`);
  const knobs = Object.entries(s.sweep).map(([k, v]) => `${e(k)} ∈ {${v!.map((x) => e(x)).join(', ')}}`).join('; ');
  const sheetImgs = d.sheets.map((f) => `<figure><img src="${e(f)}" alt="top-9 exemplars ${e(f)}"><figcaption>${e(f)}</figcaption></figure>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(d.cfg.name)}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}img{max-width:100%;border:1px solid #ddd}
figure{margin:1em 0}figcaption{color:#666;font-size:13px}table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:3px 10px;text-align:left}code{background:#f4f4f4;padding:0 3px}</style></head>
<body>
<h1>${e(d.cfg.name)}</h1>
<p>Model <code>${e(d.model)}</code>, layer <code>${e(s.layer)}</code>. Exemplars from ${e(d.imagesMined)} images of <code>${e(s.exemplars.images)}</code>${s.exemplars.limit ? ` (evenly sampled, limit ${e(s.exemplars.limit)})` : ''}. Metric: ${e(d.metricLabel)} — ${e(d.metricWhy)}</p>
<h2>1. DeepDream across layers</h2>
<p>The photo dreamed at ${e(d.cfg.dream.layers.join(', '))} (${e(d.cfg.dream.octaves)} octaves × ${e(d.cfg.dream.steps)} steps): where the network's patterns become object parts is the layer worth exploring.</p>
<figure><img src="dream.png" alt="DeepDream across layers"></figure>
<h2>2. AM images of channels ${e(d.cfg.overview.channels[0])}–${e(d.cfg.overview.channels.at(-1))} (default recipe, ${e(d.cfg.overview.steps)} steps)</h2>
<p>Image quality (median over channels): ${e(d.overviewQuality)}.</p>
<figure><img src="overview/grid.png" alt="AM overview"></figure>
<h2>3. Their top-9 dataset exemplars</h2>
${sheetImgs}
<h2>4. Regularisation sweep (channels ${e(s.channels.join(', '))}, seeds ${e(s.seeds.join(', '))}, ${e(s.param)} parameterisation, ${e(s.steps)} steps)</h2>
<p>${knobs}. Full report with charts and controls: <a href="report.html">report.html</a>.</p>
<table><tr><th>regulariser</th><th>verdict</th></tr>
${d.verdicts.map((v) => `<tr><td>${e(v.knob)}</td><td>${e(v.verdict)}</td></tr>`).join('\n')}
</table>
<p>${e(d.controls)}</p>
${d.charts.map((c) => `<figure>${c}</figure>`).join('\n')}
<figure><img src="best.png" alt="best strength per regulariser"></figure>
<h2>Run time on this machine</h2>
<table>${(['dream', 'mining', 'overview', 'sweep', 'report'] as const).map((p) => `<tr><td>${p}</td><td>${mins(d.seconds[p])}</td></tr>`).join('')}</table>
</body></html>
`;
}
