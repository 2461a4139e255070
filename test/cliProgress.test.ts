/** Progress lines of multi-phase jobs (sweeps): each phase's last line gives its own rate and count (issue 15, item 10). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PhaseBars, Progress, type ProgressStream } from '../src/cli/progress.js';

test('a phase is finished when it completes or the next starts: its rate is its own, its count complete', () => {
  let now = 0;
  const lines: string[] = [];
  const stream: ProgressStream = { write: (s) => (lines.push(s.trim()), true) };
  const bars = new PhaseBars((phase, total, start) => new Progress({ label: phase, total, start, unit: phase === 'mining' ? 'images' : phase, stream, tty: false, intervalMs: 1e9, now: () => now }));
  // mining: 560 images in 10 s (56 images/s), the first 60 done in an earlier session
  for (let done = 60; done <= 560; done += 50) {
    now += done === 60 ? 0 : 1000;
    bars.update('mining', done, 560, { start: 60 });
  }
  // controls: 2 of them, the last report says 2/2
  now += 500;
  bars.update('controls', 1, 2);
  now += 500;
  bars.update('controls', 2, 2);
  // cells: a long phase that stops early; the mining line must not be recomputed at the end
  for (let done = 1; done <= 10; done++) {
    now += 30_000;
    bars.update('cells', done, 40);
  }
  bars.finishAll();
  const last = (label: string) => lines.filter((l) => l.startsWith(`${label}:`)).at(-1)!;
  assert.match(last('mining'), /^mining: 560\/560 100%\s+50\.0 images\/s/, last('mining'));
  assert.match(last('controls'), /^controls: 2\/2 100%/, last('controls'));
  assert.match(last('cells'), /^cells: 10\/40 25%/);
  assert.equal(lines.filter((l) => l.startsWith('mining:')).length, 2, 'mining: the first line and the finished one');
});
