/**
 * The layer atlas as a resumable job, on a small real model (MobileNetV1 0.25,
 * 40 images, few steps): a child process is killed with SIGKILL once a few
 * channels are finished; the rerun continues, never redoes a finished channel,
 * and writes a site (and work files) identical, byte for byte, to an
 * uninterrupted run's. No tensor leaks; a rerun of a finished atlas does nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { tf } from '../src/backend/tf.js';
import { runAtlas } from '../src/atlas/job.js';
import type { AtlasScore, ChannelRecord } from '../src/atlas/types.js';
import { setDisplaySink, showAtlasCard, type DisplayMessage } from '../src/notebook/index.js';
import { smallAtlasOptions } from './helpers/atlasFixture.js';
import { tinyMobilenet } from './helpers/models.js';
import { repoRoot, skipWithoutShared } from './helpers/python.js';

const skip = skipWithoutShared();
const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tmp(name: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `featvis-atlas-${name}-`));
  dirs.push(d);
  return d;
}

/** Every file under `dir` (relative paths, sorted), except the SQLite store and its journal. */
function listFiles(dir: string, sub = ''): string[] {
  return fs
    .readdirSync(path.join(dir, sub), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, path.join(sub, e.name)) : [path.join(sub, e.name)]))
    .filter((f) => !f.includes('exemplars.sqlite') && f !== path.join('work', 'atlas.json'))
    .sort();
}

const finishedChannels = (dir: string): number[] =>
  fs.existsSync(path.join(dir, 'work', 'channels'))
    ? fs
        .readdirSync(path.join(dir, 'work', 'channels'))
        .filter((f) => /^c\d+\.json$/.test(f))
        .map((f) => Number(f.slice(1, -5)))
        .sort((a, b) => a - b)
    : [];

test('atlas: kill -9 mid-run, rerun continues, finished channels are never redone, the site equals an uninterrupted run', { skip, timeout: 600_000 }, async () => {
  const model = await tinyMobilenet();
  const full = tmp('full');
  const tensors = tf.memory().numTensors;
  const a = await runAtlas(smallAtlasOptions(model, full));
  assert.equal(tf.memory().numTensors, tensors, 'the atlas leaks no tensors');
  assert.deepEqual(a.recorded, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(a.rendered, { main: [0, 1, 2, 3, 4, 5], diverse: [0, 1, 2, 3, 4, 5] });
  assert.equal(a.site.pages, 6);
  const score = JSON.parse(fs.readFileSync(path.join(full, 'work', 'score.json'), 'utf8')) as AtlasScore;
  assert.deepEqual(score.variants.map((v) => v.variant), ['lpips', 'pooled', 'stats']);
  const lp = score.variants[0]!;
  assert.equal(lp.identification.am!.trials, 6 * 5, 'one trial per (channel, other channel)');
  assert.equal(lp.identification.heldOut!.trials, 6 * 9 * 5, 'held-out exemplars: ranks 10–18');
  for (const c of lp.channels) {
    assert.ok(c.ceiling !== null && c.chance !== null && c.score !== null, `channel ${c.channel} has score, chance and ceiling`);
    assert.equal(c.identified?.trials, 5);
  }
  const rec = JSON.parse(fs.readFileSync(path.join(full, 'work', 'channels', 'c1.json'), 'utf8')) as ChannelRecord;
  assert.equal(rec.exemplars.length, 9);
  assert.equal(rec.topIds.length, 18);
  assert.equal(rec.histogram?.n, 40, 'the histogram covers the whole dataset');
  assert.equal(rec.diverse?.images.length, 2);
  for (const f of [rec.am.image, ...rec.diverse!.images, ...rec.exemplars.flatMap((e) => [e.image, e.crop])]) assert.ok(fs.statSync(path.join(full, f)).size > 300, f);

  // the notebook card: the same card, self-contained (images inline), shown through the display sink
  const shown: DisplayMessage[] = [];
  setDisplaySink((m) => shown.push(m));
  try {
    showAtlasCard(full, 1);
  } finally {
    setDisplaySink(null);
  }
  const html = String(shown[0]?.data['text/html'] ?? '');
  assert.equal((html.match(/<img /g) ?? []).length, (html.match(/<img [^>]*src="data:image\/jpeg;base64,/g) ?? []).length, 'every image inline');
  assert.ok((html.match(/<img /g) ?? []).length >= 1 + 2 + 18);
  assert.ok(html.includes('channel identification of the AM image') && html.includes('<svg class="hist"') && !html.includes('<script') && !html.includes('href="c'));
  assert.match(String(shown[0]?.data['text/plain']), /channel 1: AM activation/);

  // a rerun of a finished atlas renders, records and scores nothing
  const again = await runAtlas(smallAtlasOptions(model, full));
  assert.deepEqual([again.recorded, again.rendered.main, again.rendered.diverse, again.scored], [[], [], [], false]);
  assert.deepEqual(again.resumed, [0, 1, 2, 3, 4, 5]);

  // interrupted: a child killed with SIGKILL once 2 channels are finished (while it pauses between channels)
  const killed = tmp('killed');
  const kill = async (delayMs: number, when: () => boolean): Promise<void> => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test', 'helpers', 'atlasChild.ts'), killed, String(delayMs)], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    const t0 = Date.now();
    while (!when()) {
      if (child.exitCode !== null) assert.fail(`child exited early (${child.exitCode}): ${stderr.slice(-2000)}`);
      if (Date.now() - t0 > 300_000) {
        child.kill('SIGKILL');
        assert.fail(`child made no progress: ${stderr.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await exited;
    assert.equal(child.signalCode, 'SIGKILL');
  };
  await kill(1500, () => finishedChannels(killed).length >= 2);
  const first = finishedChannels(killed);
  // and again, without pauses, as soon as it writes its first new AM file: mid-batch, before the batch is committed
  const amFiles = (): number => (fs.existsSync(path.join(killed, 'work', 'am')) ? fs.readdirSync(path.join(killed, 'work', 'am')).length : 0);
  const before = amFiles();
  await kill(0, () => amFiles() > before);
  console.log(`killed with channels [${first.join(', ')}] finished, then [${finishedChannels(killed).join(', ')}] (${amFiles() - before} new AM files)`);
  const atKill = finishedChannels(killed);
  assert.ok(atKill.length >= 2 && atKill.length < 6, `killed with channels ${atKill.join(', ')} finished`);
  const stamp = (c: number): number => fs.statSync(path.join(killed, 'work', 'channels', `c${c}.json`)).mtimeMs;
  const stamps = atKill.map(stamp);
  const mainCommitted = fs.readdirSync(path.join(killed, 'work', 'am')).filter((f) => f.startsWith('main-') && f.endsWith('.json'));

  const resumed = await runAtlas(smallAtlasOptions(model, killed));
  assert.deepEqual(resumed.resumed, atKill);
  assert.deepEqual(resumed.recorded, [0, 1, 2, 3, 4, 5].filter((c) => !atKill.includes(c)), 'only unfinished channels are recorded');
  for (const c of atKill) assert.ok(!resumed.rendered.diverse.includes(c) && !resumed.rendered.main.includes(c), `finished channel ${c} rendered again`);
  assert.ok(mainCommitted.includes('main-0-3.json') && !resumed.rendered.main.includes(0), 'a committed batch is not rendered again');
  assert.deepEqual(atKill.map(stamp), stamps, 'finished channels are not written again');

  // the same site and work files as the uninterrupted run, byte for byte
  const files = listFiles(full);
  assert.deepEqual(listFiles(killed), files);
  assert.ok(files.includes('index.html') && files.includes(path.join('channels', 'c5.html')) && files.includes(path.join('assets', 'atlas.js')));
  // (batch files also hold their render time: compared without it)
  const content = (dir: string, f: string): Buffer | string =>
    /^work\/am\/.*\.json$/.test(f) ? JSON.stringify({ ...(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as object), millis: 0 }) : fs.readFileSync(path.join(dir, f));
  const differ = files.filter((f) => {
    const x = content(full, f);
    const y = content(killed, f);
    return typeof x === 'string' ? x !== y : !x.equals(y as Buffer);
  });
  assert.deepEqual(differ, [], 'files that differ between the resumed and the uninterrupted atlas');
});
