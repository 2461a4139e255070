/**
 * The atlas site in headless Chromium (Debian `chromium` + playwright-core),
 * loaded from file:// with every other request refused: the pages load, every
 * image renders, the index sorts by score and filters by channel, label and
 * minimum score, and model, layer and channel labels carrying `</script>`,
 * event-handler and comment payloads are shown as text while no script from
 * the data runs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { Page } from 'playwright-core';
import { runAtlas } from '../src/atlas/job.js';
import type { AtlasScore } from '../src/atlas/types.js';
import type { FeatModel } from '../src/core/types.js';
import { ATLAS_LAYER, smallAtlasOptions } from './helpers/atlasFixture.js';
import { skipWithoutBrowser, visitFile } from './helpers/browser.js';
import { tinyMobilenet } from './helpers/models.js';
import { skipWithoutShared } from './helpers/python.js';

const SCRIPT_BREAK = '</script><script>window.__pwned=1</script>';
const IMG_ONERROR = '<img src=x onerror="window.__pwned=2">';
const COMMENT = '<!--<script>window.__pwned=4</script>';
const LAYER = `${ATLAS_LAYER}${SCRIPT_BREAK}`;

const skip = skipWithoutShared() || skipWithoutBrowser();
let dir = '';
after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

/** The small model under a hostile name, with its atlas layer renamed to a hostile one. */
function hostile(m: FeatModel): FeatModel {
  const real = (n: string): string => (n === LAYER ? ATLAS_LAYER : n);
  return {
    name: `model${SCRIPT_BREAK}${COMMENT}`,
    ...(m.fingerprint ? { fingerprint: m.fingerprint } : {}),
    layers: m.layers.map((l) => (l.name === ATLAS_LAYER ? { ...l, name: LAYER } : l)),
    preprocess: m.preprocess,
    activations: (x, names) => {
      const out = m.activations(x, names.map(real));
      return Object.fromEntries(names.map((n) => [n, out[real(n)]!]));
    },
    dispose: () => undefined,
  };
}

interface PageState {
  pwned: unknown;
  images: Array<{ src: string | null; w: number }>;
  scripts: number;
  handlers: number;
  h1: string;
  title: string;
}

async function state(page: Page): Promise<PageState> {
  // lazy images load once scrolled into view
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.waitForFunction(() => [...document.images].every((i) => i.complete), undefined, { timeout: 20_000 }).catch(() => undefined);
  await page.waitForTimeout(200); // let any onerror / onload handler fire
  return page.evaluate(() => ({
    pwned: (window as unknown as { __pwned?: unknown }).__pwned,
    images: [...document.images].map((i) => ({ src: i.getAttribute('src'), w: i.naturalWidth })),
    scripts: document.scripts.length,
    handlers: document.querySelectorAll('[onload], [onerror], [onclick]').length,
    h1: document.querySelector('h1')?.textContent ?? '',
    title: document.title,
  }));
}

const visible = (page: Page): Promise<number[]> => page.evaluate(() => [...document.querySelectorAll<HTMLElement>('#grid .card')].filter((c) => !c.hidden).map((c) => Number(c.dataset.channel)));

test('atlas site in Chromium: loads from disk, images render, sorting and filtering work, hostile labels run nothing', { skip, timeout: 300_000 }, async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-atlas-html-'));
  const labels = { 0: `zero ${COMMENT}`, 1: `one ${SCRIPT_BREAK}`, 2: `two ${IMG_ONERROR}`, 3: 'stripes' };
  const res = await runAtlas(smallAtlasOptions(hostile(await tinyMobilenet()), dir, { layer: LAYER, labels }));
  const index = res.site.index;
  const text = fs.readFileSync(index, 'utf8');
  assert.equal((text.match(/<script/g) ?? []).length, 2, 'index: the data block and atlas.js, no other script element');
  assert.ok(!text.includes(SCRIPT_BREAK) && !text.includes(IMG_ONERROR) && !text.includes('<!--'));
  assert.ok(!/https?:\/\//.test(text) && !/https?:\/\//.test(fs.readFileSync(path.join(dir, 'assets', 'atlas.js'), 'utf8')), 'nothing refers to the network');

  const score = JSON.parse(fs.readFileSync(path.join(dir, 'work', 'score.json'), 'utf8')) as AtlasScore;
  const byScore = [...score.variants[0]!.channels]
    .sort((a, b) => (a.normalized === null || b.normalized === null ? (a.normalized === null ? 1 : 0) - (b.normalized === null ? 1 : 0) : b.normalized - a.normalized) || a.channel - b.channel)
    .map((c) => c.channel);
  const scores = score.variants[0]!.channels.map((c) => c.normalized).filter((x): x is number => x !== null).sort((a, b) => a - b);
  const median = scores[Math.floor(scores.length / 2)]!;
  const aboveMedian = score.variants[0]!.channels.filter((c) => c.normalized !== null && c.normalized >= median).map((c) => c.channel);

  const idx = await visitFile(index, async (page) => {
    const s = await state(page);
    const initial = await visible(page);
    await page.selectOption('#sort', 'score');
    const sorted = await visible(page);
    await page.click('#order');
    const ascending = await visible(page);
    await page.selectOption('#sort', 'channel');
    await page.fill('#filter', 'stripes');
    const byLabel = await visible(page);
    await page.fill('#filter', '1-2');
    const byRange = await visible(page);
    await page.fill('#filter', '');
    await page.fill('#min-score', String(median));
    const byMin = await visible(page);
    const count = await page.textContent('#count');
    const label1 = await page.textContent('.card[data-channel="1"] .name');
    return { s, initial, sorted, ascending, byLabel, byRange, byMin, count, label1 };
  });
  const r = idx.result;
  assert.deepEqual(idx.refused, [], 'the index made network requests');
  assert.deepEqual(idx.errors, [], 'the index logged errors');
  assert.equal(r.s.pwned, undefined, 'a script from the data ran on the index');
  assert.equal(r.s.handlers, 0);
  assert.equal(r.s.scripts, 2);
  assert.equal(r.s.images.length, 12, 'AM image and top crop per channel');
  assert.ok(r.s.images.every((i) => i.w > 0), `every image renders: ${JSON.stringify(r.s.images.filter((i) => i.w === 0))}`);
  assert.ok(r.s.h1.includes(`model${SCRIPT_BREAK}`) && r.s.h1.includes(LAYER), r.s.h1);
  assert.ok(r.s.title.includes(SCRIPT_BREAK));
  assert.deepEqual(r.initial, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(r.sorted, byScore, 'sorted by normalised score, best first');
  const withScore = byScore.filter((c) => score.variants[0]!.channels.find((x) => x.channel === c)!.normalized !== null);
  assert.deepEqual(r.ascending.slice(0, withScore.length), [...withScore].reverse(), 'the order button reverses the sort');
  assert.deepEqual(r.byLabel, [3]);
  assert.deepEqual(r.byRange, [1, 2]);
  assert.deepEqual(r.byMin, aboveMedian, 'score filter');
  assert.equal(r.count, `${aboveMedian.length} of 6 channels`);
  assert.equal(r.label1, `1 · one ${SCRIPT_BREAK}`, 'a hostile label is shown as text');

  for (const c of [1, 2]) {
    const page = path.join(dir, 'channels', `c${c}.html`);
    assert.equal((fs.readFileSync(page, 'utf8').match(/<script/g) ?? []).length, 1, 'channel page: atlas.js only');
    const v = await visitFile(page, async (p) => ({ s: await state(p), h2: (await p.textContent('h2')) ?? '', svg: await p.locator('svg.hist rect').count(), next: await p.getAttribute('a[rel="next"]', 'href') }));
    assert.deepEqual(v.refused, [], `channel ${c}: network requests`);
    assert.deepEqual(v.errors, [], `channel ${c}: errors`);
    assert.equal(v.result.s.pwned, undefined, `a script from the data ran on channel ${c}'s page`);
    assert.equal(v.result.s.handlers, 0);
    // AM image, 2 diverse images, 9 exemplars, 9 crops, neighbour thumbnails
    assert.ok(v.result.s.images.length >= 1 + 2 + 18, `${v.result.s.images.length} images`);
    assert.ok(v.result.s.images.every((i) => i.w > 0), `channel ${c}: every image renders: ${JSON.stringify(v.result.s.images.filter((i) => i.w === 0))}`);
    assert.equal(v.result.h2, `channel ${c} · ${labels[c as 1 | 2]}`);
    assert.ok(v.result.svg > 0, 'the histogram has bars');
    assert.equal(v.result.next, `c${c + 1}.html`);
  }
});
