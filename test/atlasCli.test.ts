/**
 * `featvis atlas` end to end through the command line on a small real model:
 * the site is written, a rerun finishes nothing new, other settings into the
 * same folder are refused, `--site-only` writes a selection elsewhere, labels
 * come from a JSON file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sampleFolder } from '../src/data/sample.js';
import { loadAtlas } from '../src/atlas/load.js';
import { repoRoot, sharedDir, skipWithoutShared } from './helpers/python.js';

const MODEL = path.join(sharedDir, 'models', 'tfjs_mobilenet_v1_0.25_224');

function featvis(...args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'featvis.mjs'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('featvis atlas: site, resume, refusal of other settings, --site-only selection, labels', { skip: skipWithoutShared(), timeout: 600_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-atlas-cli-'));
  try {
    const images = path.join(tmp, 'images');
    fs.mkdirSync(images);
    for (const f of sampleFolder(path.join(sharedDir, 'images', 'imagenette2_224', 'val'), 30)) fs.copyFileSync(f, path.join(images, path.basename(f)));
    fs.writeFileSync(path.join(tmp, 'labels.json'), JSON.stringify({ 2: 'curved edges' }));
    const out = path.join(tmp, 'atlas');
    const args = [
      'atlas', '--model', MODEL, '--layer', 'conv_pw_5_relu', '--channels', '0-3', '--images', images, '--out', out,
      '--steps', '8', '--size', '48', '--batch', '2', '--diverse', '2', '--mine-batch', '15', '--score-size', '64', '--probe', '16', '--thumb', '48',
      '--metric', 'lpips-like', '--features', MODEL, '--feature-layers', 'conv_pw_1_relu,conv_pw_3_relu', '--labels', path.join(tmp, 'labels.json'),
    ];
    const r = featvis(...args);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /4 channels \(0 already finished, 4 now\)/);
    assert.match(r.err, /am\b.*image-steps/, 'a progress line for the AM phase');
    assert.match(r.err, /ETA|in \d/, 'the progress bar shows a time');
    for (const c of [0, 1, 2, 3]) assert.ok(fs.existsSync(path.join(out, 'channels', `c${c}.html`)));
    assert.match(fs.readFileSync(path.join(out, 'channels', 'c2.html'), 'utf8'), /channel 2 · <span class="label">curved edges<\/span>/);
    const again = featvis(...args);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /4 channels \(4 already finished, 0 now\)/);
    const clash = featvis(...args.map((a) => (a === '8' ? '9' : a)));
    assert.equal(clash.code, 1);
    assert.match(clash.err, /holds an atlas made with other settings/);
    const sel = path.join(tmp, 'example');
    const site = featvis('atlas', '--site-only', '--out', out, '--site-out', sel, '--site-channels', '1-2');
    assert.equal(site.code, 0, site.err);
    assert.match(site.out, /2 channel pages/);
    assert.deepEqual(fs.readdirSync(path.join(sel, 'channels')).sort(), ['c1.html', 'c2.html']);
    // A selection carries the JSON records of what it shows (so it is itself an atlas that a
    // notebook card can load), never the stores, AM PNGs or other channels' records.
    assert.deepEqual(fs.readdirSync(path.join(sel, 'work', 'channels')).sort(), ['c1.json', 'c2.json']);
    assert.ok(!fs.existsSync(path.join(sel, 'work', 'exemplars.sqlite')) && !fs.existsSync(path.join(sel, 'work', 'am')), 'no stores or PNGs');
    assert.deepEqual(loadAtlas(sel).records.map((r) => r.channel), [1, 2]);
    assert.ok(fs.readdirSync(path.join(sel, 'img', 'exemplars')).every((f) => /^c[12]_/.test(f)), 'only the selection\'s images are copied');
    const help = featvis('atlas', '--help');
    assert.equal(help.code, 0);
    assert.match(help.out, /--site-only/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
