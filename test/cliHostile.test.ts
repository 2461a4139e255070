/**
 * Hostile command-line arguments (issue 14, items 7 and 8): `featvis dream` on
 * a folder, a missing file, a FIFO or a non-image answers with one clear line;
 * huge channel ranges are checked against the layer before they are expanded
 * (no V8 "invalid size" crash, no gigabytes allocated). Measured in child
 * processes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FeatvisError } from '../src/core/errors.js';
import { MAX_LISTED_CHANNELS, countChannels, expandChannelRanges, parseChannelList, parseChannelRanges } from '../src/optvis/objectiveParse.js';
import { runMeasured, type Measured } from './helpers/measured.js';

let tmp = '';
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-cli-hostile-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function featvis(args: string[], timeoutMs = 120_000): Promise<Measured> {
  return runMeasured('src/cli/main.ts', args, { timeoutMs, killAboveMB: 3000 });
}

function assertClearError(r: Measured, cmd: string, message: RegExp): void {
  assert.equal(r.killed, null, String(r.killed));
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith(`featvis ${cmd}:`));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, message);
  assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at |FATAL|invalid size|EISDIR|ENOENT/);
}

test('featvis dream on a folder, a missing file, a FIFO or a non-image: one clear line', { timeout: 240_000 }, async () => {
  const folder = path.join(tmp, 'photos');
  fs.mkdirSync(folder);
  assertClearError(await featvis(['dream', folder, '--out', path.join(tmp, 'o1')]), 'dream', /^featvis dream: photo is a folder, not a file: .*photos$/);
  assertClearError(await featvis(['dream', path.join(tmp, 'nope.jpg'), '--out', path.join(tmp, 'o2')]), 'dream', /^featvis dream: photo not found: .*nope\.jpg$/);
  if (spawnSync('mkfifo', [path.join(tmp, 'pipe.jpg')]).status === 0) {
    assertClearError(await featvis(['dream', path.join(tmp, 'pipe.jpg'), '--out', path.join(tmp, 'o3')]), 'dream', /photo is a FIFO \(named pipe\), not a regular file/);
  }
  fs.writeFileSync(path.join(tmp, 'text.jpg'), 'this is not a JPEG');
  assertClearError(await featvis(['dream', path.join(tmp, 'text.jpg'), '--steps', '1', '--octaves', '1', '--out', path.join(tmp, 'o4')]), 'dream', /^featvis dream: cannot read photo .*text\.jpg: /);
  fs.writeFileSync(path.join(tmp, 'empty.jpg'), '');
  assertClearError(await featvis(['dream', path.join(tmp, 'empty.jpg'), '--out', path.join(tmp, 'o5')]), 'dream', /photo is an empty file/);
});

test('featvis am --channels 0-999999999 / 0-99999999: the range error, in bounded memory and time', { timeout: 240_000 }, async (t) => {
  for (const spec of ['0-999999999', '0-99999999', '5,0-99999999999999']) {
    const r = await featvis(['am', '--channels', spec, '--steps', '1', '--out', path.join(tmp, 'am')]);
    assertClearError(r, 'am', /channel \d+ is out of range for layer '[^']+': valid channels are 0–\d+/);
    assert.ok(r.peakRssMB < 1000, `${spec}: peak RSS ${r.peakRssMB} MB`);
    assert.ok(r.seconds < 60, `${spec}: ${r.seconds} s`);
    t.diagnostic(`am --channels ${spec}: exit 1 in ${r.seconds.toFixed(1)} s (model load included), peak RSS ${r.peakRssMB.toFixed(0)} MB`);
  }
  assertClearError(await featvis(['am', '--channels', '0-99999999999999999999', '--out', path.join(tmp, 'am')]), 'am', /is not a channel number/);
  assertClearError(await featvis(['am', '--channels', '3-1', '--out', path.join(tmp, 'am')]), 'am', /bad channel range '3-1'/);
});

test('channel lists are ranges until checked: the layer bound and the count limit apply before expansion', () => {
  const t0 = performance.now();
  const ranges = parseChannelRanges('0-999999999999, 7');
  assert.equal(countChannels(ranges), 1_000_000_000_001);
  assert.throws(() => expandChannelRanges(ranges, { channels: 64, layer: 'mixed6' }), (err: Error) => err instanceof FeatvisError && /channel 999999999999 is out of range for layer 'mixed6': valid channels are 0–63/.test(err.message));
  assert.deepEqual(expandChannelRanges(ranges, { channels: 3, clip: true }), [0, 1, 2]);
  assert.throws(() => parseChannelList('0-999999999'), new RegExp(`names 1000000000 channels, more than the limit of ${MAX_LISTED_CHANNELS}`));
  assert.throws(() => parseChannelList('0-99', { maxCount: 10 }), /names 100 channels, more than the limit of 10/);
  assert.ok(performance.now() - t0 < 100, 'nothing was expanded');
  assert.deepEqual(parseChannelList('0-3,7,9-10', { channels: 11 }), [0, 1, 2, 3, 7, 9, 10]);
  assert.deepEqual(parseChannelList(' 2 - 4 ,1'), [2, 3, 4, 1]);
  assert.throws(() => parseChannelList('1,x'), /bad channel list '1,x'/);
  assert.throws(() => parseChannelList('-1'), /bad channel list/);
});
