/**
 * Notebooks: the display / settings helpers of src/notebook (always), the
 * committed notebooks (always: output-free, one import, thin cells), and — with
 * FEATVIS_TEST_NOTEBOOKS=1 (`npm run test:notebooks`) — headless execution of
 * every notebook through nbclient + the tslab kernel (environment/run-notebooks.py):
 * Run All, then a re-run after editing one setting in the same kernel (the issue-15
 * "tweak and re-run"), with assertions on the outputs each must produce and on
 * stray outputs. A cell error fails it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { setDisplaySink, showGrid, showNote, showPlot, tableBundle, type DisplayMessage } from '../src/notebook/display.js';
import { figureBundle, figureSvg, hline, PLOTLY_MIME, type PlotFigure } from '../src/notebook/plot.js';
import { nbSetting, parseSetting, settingEnvName } from '../src/notebook/settings.js';
import { resolveSettings } from '../src/notebook/notebookSettings.js';
import { projectFile, readProject, writeProject } from '../src/notebook/project.js';
import { shortLayerNames } from '../src/notebook/dream.js';
import { pythonBin, repoRoot } from './helpers/python.js';

const NOTEBOOK_DIR = path.join(repoRoot, 'notebooks');

function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const old: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    old[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(old)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('notebook settings', () => {
  test('env names are FEATVIS_NB_ + snake case', () => {
    assert.equal(settingEnvName('steps'), 'FEATVIS_NB_STEPS');
    assert.equal(settingEnvName('imageFolder'), 'FEATVIS_NB_IMAGE_FOLDER');
    assert.equal(settingEnvName('l1Strengths'), 'FEATVIS_NB_L1_STRENGTHS');
    assert.throws(() => settingEnvName('bad-name'), /camelCase/);
  });

  test('values follow the default type; malformed values are errors, not the default', () => {
    withEnv({ FEATVIS_NB_STEPS: '24', FEATVIS_NB_CROP: 'yes', FEATVIS_NB_L1_STRENGTHS: '0.5, 2,8', FEATVIS_NB_PHOTO: ' /x.jpg ' }, () => {
      assert.equal(nbSetting('steps', 256), 24);
      assert.equal(nbSetting('crop', false), true);
      assert.deepEqual(nbSetting('l1Strengths', [1]), [0.5, 2, 8]);
      assert.equal(nbSetting('photo', 'default.jpg'), '/x.jpg');
    });
    withEnv({ FEATVIS_NB_STEPS: undefined, FEATVIS_NB_SIZE: '' }, () => {
      assert.equal(nbSetting('steps', 256), 256);
      assert.equal(nbSetting('size', 128), 128, 'empty means unset');
    });
    assert.throws(() => parseSetting('steps', 'many', 1), /FEATVIS_NB_STEPS='many' is not a number/);
    assert.throws(() => parseSetting('crop', 'maybe', true), /boolean/);
    assert.throws(() => parseSetting('xs', '1,two', [1]), /list of numbers/);
    const def = [1, 2];
    const got = nbSetting('unsetList', def);
    got.push(3);
    assert.deepEqual(def, [1, 2], 'the default array is not shared with the caller');
  });
});

describe('notebook settings cells: a value typed in the cell beats the environment', () => {
  test('cell edit > FEATVIS_NB_* > shipped value; the source of each is reported', () => {
    withEnv({ FEATVIS_NB_STEPS: '24', FEATVIS_NB_CHANNELS: '0-3', FEATVIS_NB_SIZE: undefined, FEATVIS_NB_OUT: fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-nbset-')) }, () => {
      // The cell leaves steps as shipped (256) and edits channels: env sets steps, the cell wins for channels.
      const { values, sources } = resolveSettings('am', { steps: 256, channels: '4-5', size: 96 });
      assert.equal(values.steps, 24);
      assert.equal(values.channels, '4-5');
      assert.equal(values.size, 96);
      assert.equal(values.seed, 0, 'not in the cell: the shipped value');
      const src = (n: string) => sources.find((x) => x.name === n)!;
      assert.equal(src('steps').from, 'FEATVIS_NB_STEPS');
      assert.equal(src('channels').from, 'cell');
      assert.match(src('channels').note, /FEATVIS_NB_CHANNELS=0-3 ignored: the cell's value wins/);
      assert.equal(src('seed').from, 'default');
    });
  });

  test('typos and wrong types in a settings cell are one-line errors', () => {
    assert.throws(() => resolveSettings('am', { stpes: 3 } as never), /settings\('am'\): unknown setting 'stpes' \(known: model, layer, channels/);
    assert.throws(() => resolveSettings('am', { steps: '3' } as never), /steps must be a number like 256, got the string '3'/);
    assert.throws(() => resolveSettings('score', { seeds: [0, 'a'] } as never), /seeds must be a list of numbers/);
  });

  test("notebook 01's saved model and layer reach the other notebooks' 'auto' settings, never an explicit one", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-study-'));
    try {
      withEnv({ FEATVIS_NB_OUT: dir, FEATVIS_STUDY_FILE: undefined, FEATVIS_NB_LAYER: undefined, FEATVIS_NB_MODEL: undefined }, () => {
        assert.equal(projectFile(), path.join(dir, 'study.json'));
        assert.deepEqual(readProject(), {});
        writeProject({ model: 'featvis-imagenette', layer: 'stage2' });
        const auto = resolveSettings('score', {});
        assert.equal(auto.values.model, 'featvis-imagenette');
        assert.equal(auto.values.layer, 'stage2');
        assert.equal(auto.sources.find((x) => x.name === 'layer')!.from, 'study.json');
        assert.equal(resolveSettings('score', { layer: 'stage4' }).values.layer, 'stage4', 'a layer typed in the cell wins');
        assert.equal(resolveSettings('score', { model: 'other.tflite' }).values.layer, 'auto', "another model: the saved layer is not its");
        fs.writeFileSync(projectFile(), '{"layer": 3}');
        assert.throws(() => readProject(), /layer must be a non-empty string/);
        fs.writeFileSync(projectFile(), '{not json');
        assert.throws(() => readProject(), /is not valid JSON/);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('DeepDream captions keep what tells layers apart', () => {
    assert.deepEqual(shortLayerNames(['MobilenetV2/expanded_conv_5/project/add_fold', 'MobilenetV2/expanded_conv_12/project/add_fold']), [
      'expanded_conv_5/project/add_fold',
      'expanded_conv_12/project/add_fold',
    ]);
    assert.deepEqual(shortLayerNames(['mixed3', 'mixed6']), ['mixed3', 'mixed6']);
  });
});

describe('notebook charts', () => {
  const fig: PlotFigure = {
    data: [
      { x: [0.5, 2, 8], y: [8.9, 8.7, 9.1], name: 'mean', mode: 'lines+markers' },
      { x: [0.5, 2, 8], y: [8.8, 8.6, 9.3], name: 'ch 0', mode: 'markers' },
    ],
    layout: { title: { text: 'tv <sweep>' }, xaxis: { type: 'log', title: { text: 'strength' } }, shapes: [hline(9.5, 'floor'), hline(8.2, 'ceiling', 'dot')] },
  };

  test('bundle: Plotly JSON for JupyterLab, SVG fallback, plain text', () => {
    const b = figureBundle(fig);
    const plotly = b[PLOTLY_MIME] as { data: Array<{ x: number[]; y: number[]; type: string }>; layout: { shapes: Array<Record<string, unknown>> } };
    assert.equal(plotly.data.length, 2);
    assert.deepEqual(plotly.data[0]!.y, [8.9, 8.7, 9.1]);
    assert.equal(plotly.data[0]!.type, 'scatter');
    assert.equal(plotly.layout.shapes.length, 2);
    assert.match(String(b['text/plain']), /mean \(3 points\)/);
    assert.ok(String(b['image/svg+xml']).startsWith('<svg'));
  });

  test('SVG: one marker per point, lines only where asked, reference lines inside the plot, text escaped', () => {
    const svg = figureSvg(fig);
    assert.equal((svg.match(/<circle /g) ?? []).length, 6);
    assert.equal((svg.match(/<path /g) ?? []).length, 1);
    assert.ok(svg.includes('tv &lt;sweep&gt;') && !svg.includes('<sweep>'));
    // x positions increase with strength on the log axis, evenly for equal ratios (×4)
    const cx = [...svg.matchAll(/<circle cx="([\d.]+)"/g)].slice(0, 3).map((m) => Number(m[1]));
    assert.ok(cx[0]! < cx[1]! && cx[1]! < cx[2]!);
    assert.ok(Math.abs(cx[1]! - cx[0]! - (cx[2]! - cx[1]!)) < 0.5);
    // the y axis covers the reference lines: floor above every point, ceiling below
    const lineYs = [...svg.matchAll(/<line x1="64" x2="\d+" y1="([\d.]+)" y2="[\d.]+" stroke="#888"/g)].map((m) => Number(m[1]));
    const cy = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    assert.equal(lineYs.length, 2);
    assert.ok(lineYs[0]! < Math.min(...cy) && lineYs[1]! > Math.max(...cy));
    assert.ok(lineYs.every((y) => y > 14 && y < 360 - 46));
  });

  test('bad figures are rejected before they reach the kernel', () => {
    assert.throws(() => figureBundle({ data: [] }), /at least one trace/);
    assert.throws(() => figureBundle({ data: [{ x: [1, 2], y: [1] }] }), /2 x values but 1 y values/);
  });

  test('categorical axes and bars', () => {
    const svg = figureSvg({ data: [{ x: ['ch 0', 'ch 1'], y: [2, -1], type: 'bar' }] });
    assert.equal((svg.match(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#1f77b4"/g) ?? []).length, 2);
    assert.ok(svg.includes('>ch 1<'));
  });
});

describe('notebook display', () => {
  test('tables: HTML and aligned text, numbers right-aligned and rounded', () => {
    const b = tableBundle([{ channel: 0, activation: 3.14159265 }, { channel: 12, activation: -0.5, note: 'a<b' }], { title: 'T' });
    const html = String(b['text/html']);
    assert.match(html, /<th>note<\/th>/);
    assert.match(html, /a&lt;b/);
    assert.match(html, /<td style="text-align:right">3\.142<\/td>/);
    const lines = String(b['text/plain']).split('\n');
    assert.equal(lines[0], 'T');
    assert.equal(lines[1], 'channel  activation  note');
    assert.equal(lines[3], '      0       3.142  —');
    assert.equal(lines[4], '     12        -0.5  a<b');
  });

  test('grids, plots and notes go out as display bundles (PNG decodable, sized as asked)', async () => {
    const sent: Array<{ msg: DisplayMessage; update: boolean }> = [];
    setDisplaySink((msg, update) => sent.push({ msg, update }));
    try {
      const tile = { width: 8, height: 8, data: new Float32Array(8 * 8 * 3).fill(0.25) };
      assert.equal(await showGrid([tile, tile, tile], { cols: 3, tile: 32, gap: 4 }), undefined, 'display helpers return nothing (no stray <Buffer …> under a grid)');
      showPlot({ data: [{ x: [1, 2], y: [3, 4] }] });
      showNote('using the fallback model');
    } finally {
      setDisplaySink(null);
    }
    assert.equal(sent.length, 3);
    const png = Buffer.from(String(sent[0]!.msg.data['image/png']), 'base64');
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 3 * 32 + 4 * 4);
    assert.ok(PLOTLY_MIME in sent[1]!.msg.data && 'image/svg+xml' in sent[1]!.msg.data);
    assert.match(String(sent[2]!.msg.data['text/markdown']), /^> \*\*Note\.\*\* using the fallback model/);
  });
});

interface NbOutput {
  output_type: string;
  data?: Record<string, unknown>;
  name?: string;
}
interface NbCell {
  cell_type: string;
  outputs?: NbOutput[];
  execution_count?: number | null;
  source: string | string[];
}
interface Notebook {
  cells: NbCell[];
  metadata: { kernelspec?: { name?: string } };
}

/** nbformat stores multi-line strings as lists of lines. */
function mimeText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join('');
  return null;
}

function readNotebook(file: string): Notebook {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
}

const NOTEBOOKS = [
  '01_deepdream.ipynb',
  '02_activation_maximisation.ipynb',
  '03_regularisations.ipynb',
  '04_top9_exemplars.ipynb',
  '05_interpretability.ipynb',
  '06_regularisation_sweeps.ipynb',
];

test('committed notebooks: all six, tslab kernel, no outputs, one import, settings cell first', () => {
  const found = fs.readdirSync(NOTEBOOK_DIR).filter((f) => f.endsWith('.ipynb')).sort();
  assert.deepEqual(found, NOTEBOOKS);
  for (const f of found) {
    const nb = readNotebook(path.join(NOTEBOOK_DIR, f));
    assert.equal(nb.metadata.kernelspec?.name, 'tslab', f);
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    for (const c of code) {
      assert.deepEqual(c.outputs, [], `${f}: committed with outputs`);
      assert.equal(c.execution_count ?? null, null, `${f}: committed with execution counts`);
    }
    const first = Array.isArray(code[0]!.source) ? code[0]!.source.join('') : code[0]!.source;
    assert.match(first, /^import \* as fv from 'featvis';\n[\s\S]*const S = fv\.nb\.settings\('\w+', \{/, `${f}: first code cell: the one import, then the settings`);
    const all = code.map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source)).join('\n');
    assert.equal((all.match(/^import /gm) ?? []).length, 1, `${f}: one import`);
    assert.doesNotMatch(all, /from '\.\.\/|dispose\(\)/, `${f}: no relative imports, nothing disposed in the flow`);
  }
});

test('committed notebooks: thin cells (≤ 12 lines, ≤ 100 characters a line)', () => {
  const fat: string[] = [];
  for (const f of NOTEBOOKS) {
    readNotebook(path.join(NOTEBOOK_DIR, f)).cells.forEach((c, i) => {
      if (c.cell_type !== 'code') return;
      const lines = (Array.isArray(c.source) ? c.source.join('') : c.source).split('\n');
      if (lines.length > 12) fat.push(`${f} cell ${i}: ${lines.length} lines`);
      for (const l of lines) if (l.length > 100) fat.push(`${f} cell ${i}: a line of ${l.length} characters`);
    });
  }
  assert.deepEqual(fat, []);
});

/** Outputs each executed notebook must contain (CI settings of environment/run-notebooks.py). */
const EXPECTED: Record<string, { png: number; plotly: number; tables: number }> = {
  '01_deepdream.ipynb': { png: 2, plotly: 0, tables: 3 }, // photo + dream grid; settings, layers, objectives
  '02_activation_maximisation.ipynb': { png: 2, plotly: 0, tables: 2 }, // grid + channel 0; settings, activations
  '03_regularisations.ipynb': { png: 1, plotly: 0, tables: 2 }, // side-by-side grid; settings, activations
  '04_top9_exemplars.ipynb': { png: 3, plotly: 0, tables: 3 }, // range sheet, channel sheet, crops; settings, mining, per channel
  '05_interpretability.ipynb': { png: 2, plotly: 2, tables: 4 }, // one grid per scored channel (0-1); controls and identification charts; settings, mining, per-channel and per-variant tables
  '06_regularisation_sweeps.ipynb': { png: 1, plotly: 4, tables: 3 }, // normalised and raw charts per swept regulariser (tv, blur), best grid; settings, verdicts, every strength
};

function runRunner(args: string[], env: Record<string, string> = {}): { status: number | null; out: string } {
  const py = pythonBin()!;
  const r = spawnSync(py, [path.join(repoRoot, 'environment', 'run-notebooks.py'), ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 900_000,
    maxBuffer: 64 << 20,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', ...env },
  });
  return { status: r.status, out: `${r.stdout ?? ''}\n${r.stderr ?? ''}` };
}

function nbclientSkip(): string | false {
  if (!process.env.FEATVIS_TEST_NOTEBOOKS) return 'notebook execution runs with FEATVIS_TEST_NOTEBOOKS=1 (npm run test:notebooks)';
  const py = pythonBin();
  const ok = py && spawnSync(py, ['-c', 'import nbclient, nbformat, jupyter_client'], { encoding: 'utf8' }).status === 0;
  if (ok) return false;
  if (process.env.FEATVIS_REQUIRE_REFERENCE) throw new Error('nbclient missing from the venv: run environment/setup-notebooks.sh');
  return 'nbclient not installed in .venv: run environment/setup-notebooks.sh';
}

describe('notebooks executed headless (nbclient + tslab)', { skip: nbclientSkip() }, () => {
  test('a failing cell fails the run', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-nbfail-'));
    try {
      const bad = path.join(dir, 'bad.ipynb');
      const cell = (src: string) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: src });
      fs.writeFileSync(
        bad,
        JSON.stringify({
          nbformat: 4,
          nbformat_minor: 5,
          metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
          cells: [cell("console.log('before');"), cell("await Promise.resolve();\nthrow new Error('deliberate failure');"), cell("console.log('after');")].map((c, i) => ({ ...c, id: `c${i}` })),
        }),
      );
      const r = runRunner([bad, '--no-build', '--out', path.join(dir, 'out')]);
      assert.equal(r.status, 1, r.out);
      assert.match(r.out, /deliberate failure/);
      const summary = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'summary.json'), 'utf8')) as { notebooks: Array<{ ok: boolean }> };
      assert.equal(summary.notebooks[0]!.ok, false);
      const executed = readNotebook(path.join(dir, 'out', 'bad.ipynb'));
      assert.equal(executed.cells[2]!.outputs?.length ?? 0, 0, 'cells after the error do not run');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // FEATVIS_NB_RESULTS=<folder>: check the executed notebooks an earlier
  // `environment/run-notebooks.py --out <folder>` left there instead of running them again.
  test('all notebooks run without errors and show their images, tables and charts', async () => {
    const given = process.env.FEATVIS_NB_RESULTS;
    const out = given ? path.resolve(given) : fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-nbrun-'));
    try {
      const started = Date.now();
      if (!given) {
        const r = runRunner(['--out', out]);
        assert.equal(r.status, 0, r.out.slice(-6000));
      }
      const seconds = (Date.now() - started) / 1000;
      const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as {
        seconds: number;
        notebooks: Array<{ notebook: string; ok: boolean; seconds: number; strayOutputs: string[]; rerun?: { ok: boolean; setting: string; seconds: number; changedCells: number[]; settingFromCell: boolean; error: string | null } }>;
      };
      assert.ok(summary.notebooks.every((n) => n.ok), `failed: ${summary.notebooks.filter((n) => !n.ok).map((n) => n.notebook).join(', ')}`);
      console.log(`notebooks: ${summary.notebooks.map((n) => `${n.notebook} ${n.seconds} s (re-run ${n.rerun?.seconds ?? '–'} s)`).join(', ')}${given ? '' : `; total ${seconds.toFixed(0)} s with build`}`);
      for (const n of summary.notebooks) {
        // Tweak and re-run (issue 15, item 1): after Run All, one setting edited in the cell, every cell re-run in the same kernel.
        assert.ok(n.rerun, `${n.notebook}: re-run after editing a setting`);
        assert.equal(n.rerun.error, null, `${n.notebook}: re-run after editing ${n.rerun.setting}`);
        assert.ok(n.rerun.settingFromCell, `${n.notebook}: the edited ${n.rerun.setting} was used (the cell's value, not the environment's)`);
        assert.ok(n.rerun.changedCells.length > 0, `${n.notebook}: images or charts changed after editing ${n.rerun.setting}`);
        assert.deepEqual(n.strayOutputs, [], `${n.notebook}: stray outputs (a cell's return value, stderr)`);
      }
      assert.deepEqual(summary.notebooks.map((n) => n.notebook).sort(), NOTEBOOKS);
      for (const name of NOTEBOOKS) {
        const nb = readNotebook(path.join(out, name));
        const code = nb.cells.filter((c) => c.cell_type === 'code');
        assert.ok(code.every((c) => typeof c.execution_count === 'number'), `${name}: every code cell ran`);
        const outs = code.flatMap((c) => c.outputs ?? []);
        assert.equal(outs.filter((o) => o.output_type === 'error').length, 0, `${name}: error outputs`);
        const pngs = outs.filter((o) => o.data && 'image/png' in o.data);
        const plots = outs.filter((o) => o.data && PLOTLY_MIME in o.data);
        const tables = outs.filter((o) => o.data && (mimeText(o.data['text/html']) ?? '').includes('<table>'));
        const want = EXPECTED[name]!;
        assert.ok(pngs.length >= want.png, `${name}: ${pngs.length} PNG outputs, expected ≥ ${want.png}`);
        assert.ok(plots.length >= want.plotly, `${name}: ${plots.length} Plotly outputs, expected ≥ ${want.plotly}`);
        assert.ok(tables.length >= want.tables, `${name}: ${tables.length} tables, expected ≥ ${want.tables}`);
        for (const o of pngs) {
          const meta = await sharp(Buffer.from(mimeText(o.data!['image/png']) ?? '', 'base64')).metadata();
          assert.equal(meta.format, 'png', name);
          assert.ok((meta.width ?? 0) >= 64 && (meta.height ?? 0) >= 64, `${name}: image ${meta.width}×${meta.height}`);
        }
        for (const o of plots) {
          const fig = o.data![PLOTLY_MIME] as { data: Array<{ y: number[] }> };
          assert.ok(fig.data.length > 0 && fig.data.every((t) => t.y.some(Number.isFinite) && t.y.every((y) => y === null || Number.isFinite(y))), `${name}: chart with values (a gap is null)`);
          assert.ok('image/svg+xml' in o.data!, `${name}: chart has the SVG fallback`);
        }
      }
    } finally {
      if (!given) fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
