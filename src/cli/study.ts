/** `featvis study <config.json>`: the reference study end to end (DeepDream, exemplars, AM overview, sweep, report). */
import path from 'node:path';
import { loadSweepReport } from '../experiments/report.js';
import { readStudyConfig, runStudy, type StudyPhase } from '../experiments/study.js';
import type { CommandArgs } from './options.js';
import { PhaseBars, Progress } from './progress.js';

export async function run(a: CommandArgs): Promise<void> {
  const file = a.positionals[0]!;
  const out = a.optStr('out') ?? path.join('runs', 'study', path.parse(file).name);
  const cfg = readStudyConfig(file);
  const unit = (key: string): string =>
    key === 'mining' ? 'images' : key === 'overview' ? 'channel-steps' : key.startsWith('sweep:') ? key.slice(6) : 'steps';
  const bars = new PhaseBars((key, total, start) => new Progress({ label: key, total, unit: unit(key), start }));
  let current: StudyPhase | null = null;
  const res = await runStudy(cfg, {
    outDir: out,
    onProgress: (p) => {
      if (p.phase !== current) {
        current = p.phase;
        console.error(`== ${p.phase}`);
      }
      if (p.total === undefined || p.done === undefined) return;
      bars.update(p.phase === 'sweep' ? `sweep:${p.sweep?.phase ?? 'cells'}` : p.phase, p.done, p.total);
    },
  });
  bars.finishAll();
  const rep = loadSweepReport(out);
  console.log(`study: ${cfg.name}`);
  console.log(`metric: ${rep.metricWhy}`);
  for (const v of rep.verdicts) console.log(`  ${v.knob.padEnd(14)} ${v.verdict}`);
  console.log(`this run: ${Object.entries(res.seconds).map(([k, s]) => `${k} ${(s / 60).toFixed(1)} min`).join(', ')}`);
  console.log(`open ${res.index}`);
}
