/** writeFileAtomic's temp files and their clean-up after a killed run (no ../shared needed). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { removeStaleTemps, writeFileAtomic } from '../src/data/image.js';

test('removeStaleTemps removes what a dead process was writing, never a live one nor real files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-temps-'));
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout);
  assert.ok(deadPid > 0);
  writeFileAtomic(path.join(dir, 'work', 'am', 'c0.png'), 'done');
  const stale = [path.join(dir, `x.png.tmp-${deadPid}-1796247991306`), path.join(dir, 'work', 'am', `c1.png.tmp-${deadPid}-1`)];
  const live = path.join(dir, 'work', `y.json.tmp-${process.pid}-2`);
  const lookalike = path.join(dir, 'notes.tmp-abc-1');
  for (const f of [...stale, live, lookalike]) fs.writeFileSync(f, 'partial');
  assert.equal(removeStaleTemps(dir), 2);
  for (const f of stale) assert.ok(!fs.existsSync(f), `${f} removed`);
  for (const f of [live, lookalike, path.join(dir, 'work', 'am', 'c0.png')]) assert.ok(fs.existsSync(f), `${f} kept`);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'work', 'am')), ['c0.png'], 'writeFileAtomic leaves no temp file behind');
  // the depth bound: nothing below it is touched
  const deep = path.join(dir, 'a', 'b', `z.tmp-${deadPid}-3`);
  fs.mkdirSync(path.dirname(deep), { recursive: true });
  fs.writeFileSync(deep, 'partial');
  assert.equal(removeStaleTemps(dir, 1), 0);
  assert.equal(removeStaleTemps(dir, 2), 1);
  fs.rmSync(dir, { recursive: true, force: true });
});
