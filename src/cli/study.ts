/** `featvis study <config.json>`: the reference study end to end (DeepDream, exemplars, AM overview, sweep, report). */
import path from 'node:path';
import { FeatvisError } from '../core/errors.js';
import { loadSweepReport } from '../experiments/report.js';
import { readStudyConfig, runStudy, type StudyPhase } from '../experiments/study.js';
import { Args, parseArgs } from './args.js';
import { Progress } from './progress.js';

export const STUDY_HELP = `featvis study <config.json> [--out <dir>] — the reference study end to end, resumable

  1. DeepDream of a photo across layers          → dream.png
  2. top-k exemplars of the layer (one pass)      → exemplars.sqlite, top9-<a>-<b>.png
  3. AM of a channel range, default recipe        → overview/grid.png
  4. regularisation sweep on selected channels    → report.html, best.png (see featvis sweep --help)
  5. an index page                                → index.html
Config: a sweep config (featvis sweep --help) plus
  "dream": {"photo": "<file>", "layers": ["mixed3", …], "size": 256, "octaves": 3, "steps": 10},
  "overview": {"channels": [0, 119], "steps": 256, "batchSize": 16}
Example: examples/study-inceptionv3.json. Rerun with the same --out to continue.`;

export async function runStudyCli(argv: readonly string[]): Promise<void> {
  const a = new Args(parseArgs(argv, ['help']));
  if (a.bool('help', false)) {
    console.log(STUDY_HELP);
    return;
  }
  const file = a.positionals[0];
  if (!file) throw new FeatvisError('featvis study: give a config file (see --help)');
  const out = a.str('out', path.join('runs', 'study', path.parse(file).name));
  a.finish();
  const cfg = readStudyConfig(file);
  const bars = new Map<string, Progress>();
  let current: StudyPhase | null = null;
  const res = await runStudy(cfg, {
    outDir: out,
    onProgress: (p) => {
      if (p.phase !== current) {
        if (current) bars.get(current)?.finish();
        current = p.phase;
        console.error(`== ${p.phase}`);
      }
      if (p.total === undefined || p.done === undefined) return;
      const key = p.phase === 'sweep' ? `sweep:${p.sweep?.phase}` : p.phase;
      let bar = bars.get(key);
      if (!bar) {
        bar = new Progress({ label: key, total: p.total, unit: p.phase === 'mining' ? 'images' : p.phase === 'overview' ? 'channel-steps' : p.phase === 'sweep' ? p.sweep?.phase ?? 'cells' : 'steps', start: p.done });
        bars.set(key, bar);
      }
      bar.update(p.done);
    },
  });
  for (const b of bars.values()) b.finish();
  const rep = loadSweepReport(out);
  console.log(`study: ${cfg.name}`);
  console.log(`metric: ${rep.metricWhy}`);
  for (const v of rep.verdicts) console.log(`  ${v.knob.padEnd(14)} ${v.verdict}`);
  console.log(`this run: ${Object.entries(res.seconds).map(([k, s]) => `${k} ${(s / 60).toFixed(1)} min`).join(', ')}`);
  console.log(`open ${res.index}`);
}
