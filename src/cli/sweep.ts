/** `featvis sweep <config.json>` and `featvis report <dir>`: regularisation sweeps and their report. */
import path from 'node:path';
import { readSweepConfig } from '../experiments/config.js';
import { writeSweepReport } from '../experiments/report.js';
import { runSweep } from '../experiments/sweep.js';
import { FeatvisError } from '../core/errors.js';
import { Args, parseArgs } from './args.js';
import { Progress } from './progress.js';

export const SWEEP_HELP = `featvis sweep <config.json> [--out <dir>] — regulariser × strength × channel × seed, scored, resumable

Config (JSON): {"model", "layer", "channels": [..], "seeds": [0, 1, 2], "steps": 128, "size": 128, "param": "pixel",
  "sweep": {"tv": [0, 0.5, 1, 2, 4], "l2": [...], "blur": [sigmas], "jitter": [pixels], ...},
  "exemplars": {"images": "<folder>", "limit": 2000, "k": 9, "heldOut": 9},
  "randomImages": 9,
  "metric": "auto" | {"kind": "lpips", "net": "alex"} | {"kind": "backbone", "backbone": "squeezenet"}
            | {"kind": "lpips-like", "model": "<path>", "layers": [..], "preset": "squeezenet-caffe"}}
The baseline (nothing swept) is rendered once per (channel, seed); every other cell is compared with it
(paired, 95 % CI over channels × seeds): a regulariser gets a best strength only where that CI excludes 0.
Rerun with the same --out to resume. Writes sweep.sqlite, images/, report.html, best.png, summary.csv, cells.csv.`;

export async function runSweepCli(argv: readonly string[]): Promise<void> {
  const a = new Args(parseArgs(argv, ['help']));
  if (a.bool('help', false)) {
    console.log(SWEEP_HELP);
    return;
  }
  const file = a.positionals[0];
  if (!file) throw new FeatvisError('featvis sweep: give a config file (see --help)');
  const out = a.str('out', path.join('runs', 'sweep', path.parse(file).name));
  a.finish();
  const cfg = readSweepConfig(file);
  const bars = new Map<string, Progress>();
  const started = Date.now();
  const res = await runSweep(cfg, {
    outDir: out,
    onProgress: (p) => {
      let bar = bars.get(p.phase);
      if (!bar) {
        bar = new Progress({ label: p.phase, total: p.total, unit: p.phase === 'mining' ? 'images' : p.phase, start: p.done });
        bars.set(p.phase, bar);
      }
      const q = p.cell?.scores.lpips;
      bar.update(p.done, p.cell && q ? `${p.cell.knob}=${p.cell.strength} ch ${p.cell.channel}: score ${q.score.toFixed(4)}, normalised ${q.normalized?.toFixed(3) ?? '–'}` : undefined);
    },
  });
  for (const b of bars.values()) b.finish();
  const { html, rep } = await writeSweepReport(out);
  console.log(`${res.newCells} new cells, ${res.cells.length} in all, in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`metric: ${rep.metricWhy}`);
  const c = rep.variants[0]?.controls;
  if (c) {
    const acc = (p: typeof c.positiveIdentification) => (p ? `${(100 * p.rate).toFixed(1)} % [${(100 * p.low).toFixed(1)}, ${(100 * p.high).toFixed(1)}]` : '–');
    console.log(`controls: ceiling ${c.ceiling?.toFixed(4) ?? '–'}; held-out exemplars identified ${acc(c.positiveIdentification)}, random images ${acc(c.randomIdentification)} (≈ 50 %)`);
  }
  console.log('verdict per regulariser (normalised interpretability, higher = better; paired vs the baseline, 95 % CI over channels × seeds):');
  for (const v of rep.verdicts) console.log(`  ${v.knob.padEnd(14)} ${v.verdict}`);
  console.log(`report: ${html}`);
}

export async function runReport(argv: readonly string[]): Promise<void> {
  const a = new Args(parseArgs(argv, ['help']));
  if (a.bool('help', false)) {
    console.log('featvis report <sweep-dir> — (re)writes report.html, best.png and the CSV tables of a sweep');
    return;
  }
  const dir = a.positionals[0];
  if (!dir) throw new FeatvisError('featvis report: give a sweep folder');
  a.finish();
  const { html } = await writeSweepReport(dir);
  console.log(`report: ${html}`);
}
