/** `featvis sweep <config.json>`: a regularisation sweep and its report (options: specs/sweep.ts). */
import path from 'node:path';
import { readSweepConfig } from '../experiments/config.js';
import { writeSweepReport } from '../experiments/report.js';
import { runSweep } from '../experiments/sweep.js';
import type { CommandArgs } from './options.js';
import { PhaseBars, Progress } from './progress.js';

export async function run(a: CommandArgs): Promise<void> {
  const file = a.positionals[0]!;
  const out = a.optStr('out') ?? path.join('runs', 'sweep', path.parse(file).name);
  const cfg = readSweepConfig(file);
  const bars = new PhaseBars((phase, total, start) => new Progress({ label: phase, total, unit: phase === 'mining' ? 'images' : phase, start }));
  const started = Date.now();
  const res = await runSweep(cfg, {
    outDir: out,
    onProgress: (p) => {
      const q = p.cell?.scores.lpips;
      const extra = p.cell && q ? `${p.cell.knob}=${p.cell.strength} ch ${p.cell.channel}: score ${q.score.toFixed(4)}, normalised ${q.normalized?.toFixed(3) ?? '–'}` : undefined;
      // Mining reports images done in earlier sessions too: the rate counts this session's only.
      const start = p.mining ? p.done - p.mining.doneThisCall : p.done;
      bars.update(p.phase, p.done, p.total, { start, ...(extra !== undefined ? { extra } : {}) });
    },
  });
  bars.finishAll();
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
