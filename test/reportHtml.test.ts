/**
 * report.html with hostile names: model, layer, metric and folder names that
 * carry `</script>`, event-handler and U+2028 payloads are shown as text, and
 * no script from the data runs, checked in headless Chromium (page loaded from
 * the local disk, network refused), while the page's own Plotly charts render.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { escapeHtml, jsonForScript } from '../src/core/html.js';
import { parseSweepConfig } from '../src/experiments/config.js';
import { writeSweepReport } from '../src/experiments/report.js';
import { SweepStore, cellImageName, type CellRow } from '../src/experiments/sweep.js';
import type { QueryScore } from '../src/metrics/interpretability.js';
import { skipWithoutBrowser, visitFile } from './helpers/browser.js';

const SCRIPT_BREAK = '</script><script>window.__pwned=1</script>';
const IMG_ONERROR = '<img src=x onerror="window.__pwned=2">';
const SVG_ONLOAD = `"'><svg onload=window.__pwned=3>`;
const COMMENT = '<!--<script>window.__pwned=4</script>';

test('jsonForScript escapes <, >, & and U+2028/2029 and round-trips through JSON.parse', () => {
  const value = { a: SCRIPT_BREAK, b: IMG_ONERROR, c: 'x\u2028y\u2029z & w', d: [1, null, 'é'] };
  const json = jsonForScript(value);
  assert.doesNotMatch(json, /[<>&\u2028\u2029]/);
  assert.deepEqual(JSON.parse(json), value);
  assert.equal(jsonForScript(undefined), 'null');
  assert.equal(escapeHtml(`${SVG_ONLOAD}&`), '&quot;&#39;&gt;&lt;svg onload=window.__pwned=3&gt;&amp;');
  assert.equal(escapeHtml(42), '42');
});

async function hostileSweep(dir: string): Promise<void> {
  const tile = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 200, g: 60, b: 20 } } }).png().toBuffer();
  const exemplar = path.join(dir, `ex ${IMG_ONERROR.replace(/[/"]/g, '_')}.png`);
  fs.writeFileSync(exemplar, tile);
  const config = parseSweepConfig({
    model: `model${SCRIPT_BREAK}`,
    layer: `layer${IMG_ONERROR}`,
    channels: [0, 1],
    seeds: [0],
    steps: 2,
    size: 32,
    sweep: { tv: [0, 1], l2: [0, 2] },
    exemplars: { images: `/data/${SVG_ONLOAD}${COMMENT}` },
    metric: { kind: 'lpips-like', model: 'm', layers: ['a'] },
  });
  const store = new SweepStore(path.join(dir, 'sweep.sqlite'));
  try {
    store.setMeta('config', JSON.stringify(config));
    store.setMeta('model', `model${SCRIPT_BREAK}`);
    store.setMeta('metric', `metric ${SCRIPT_BREAK} ${IMG_ONERROR} \u2028`);
    store.setMeta('metricLabel', `label ${SCRIPT_BREAK} ${IMG_ONERROR} ${COMMENT} \u2028\u2029`);
    const query = (kind: QueryScore['kind'], channel: number, score: number): QueryScore => ({ kind, channel, seed: 0, toTop: [score, score + 0.1], distances: [score], score, chance: 0.8, ceiling: 0.3, normalized: (0.8 - score) / 0.5 });
    const cells: CellRow[] = [];
    for (const [knob, strength] of [['baseline', 0], ['tv', 1], ['l2', 2]] as const) {
      for (const channel of config.channels) {
        const image = cellImageName(knob, strength, 0, channel);
        fs.mkdirSync(path.join(dir, path.dirname(image)), { recursive: true });
        fs.writeFileSync(path.join(dir, image), tile);
        const score = 0.5 + 0.1 * strength + 0.01 * channel;
        cells.push({ knob, strength, channel, seed: 0, activation: 1, image, millis: 1, scores: { lpips: query('am', channel, score), pooled: query('am', channel, score) } });
      }
    }
    store.putCells(cells);
    store.putChannels(config.channels.map((channel) => ({ channel, top: [{ path: exemplar }], heldOut: [], ceiling: { lpips: 0.3, pooled: 0.3 } })));
    for (const channel of config.channels) {
      const qs = [query('heldOut', channel, 0.35), query('random', channel, 0.8)];
      store.putControls({ channel, seed: 0, random: [{ path: exemplar }], queries: { lpips: qs, pooled: qs } });
    }
  } finally {
    store.close();
  }
}

test('report.html: no script from the data runs in Chromium, the charts still render', { skip: skipWithoutBrowser(), timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-report-'));
  try {
    await hostileSweep(dir);
    const { html, rep } = await writeSweepReport(dir);
    const full = fs.readFileSync(html, 'utf8');
    // The page without the inlined Plotly library (whose own source mentions <svg, <script…).
    const text = full.replace(/(<script id="plotly-library">)[\s\S]*?(<\/script>)/, '$1$2');
    assert.ok(full.length - text.length > 1_000_000, 'the library is inlined, and ends where its element ends');
    const figures = rep.variants.flatMap((v) => [...v.figures, ...v.scoreFigures]);
    assert.equal(rep.variants.length, 2);
    // The only script elements are the page's own: the inlined Plotly library and one per chart.
    assert.equal((text.match(/<script/g) ?? []).length, 1 + figures.length);
    assert.equal((text.match(/<\/script>/g) ?? []).length, 1 + figures.length);
    assert.ok(!text.includes(SCRIPT_BREAK) && !text.includes(IMG_ONERROR) && !text.includes('<svg'));

    // Self-contained: the page alone, in a folder of its own, still draws every chart and image.
    const alone = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-report-alone-'));
    const lone = path.join(alone, 'report.html');
    fs.copyFileSync(html, lone);
    assert.ok(!fs.existsSync(path.join(dir, 'plotly.min.js')), 'no sibling Plotly copy');
    const visit = await visitFile(lone, async (page) => {
      // Charts render within seconds; if they do not, the assertions below say what went wrong.
      await page.waitForFunction((n) => document.querySelectorAll('.plot .main-svg').length >= n, figures.length, { timeout: 30_000 }).catch(() => undefined);
      await page.waitForTimeout(300); // let any onerror / onload handler fire
      return page.evaluate(() => ({
        pwned: (window as unknown as { __pwned?: unknown }).__pwned,
        plots: [...document.querySelectorAll('.plot')].map((p) => p.querySelectorAll('.main-svg').length),
        traces: [...document.querySelectorAll('.plot .scatterlayer .trace')].length,
        titles: [...document.querySelectorAll('.plot .gtitle')].map((t) => t.textContent ?? ''),
        h1: document.querySelector('h1')?.textContent ?? '',
        title: document.title,
        imgs: [...document.querySelectorAll('img')].map((i) => ({ src: (i.getAttribute('src') ?? '').slice(0, 22), width: (i as HTMLImageElement).naturalWidth })),
        handlers: document.querySelectorAll('[onload], [onerror], [onclick]').length,
        strayScripts: [...document.scripts].filter((sc) => sc.id !== 'plotly-library' && !sc.text.trimStart().startsWith('Plotly.newPlot(')).length,
        library: document.getElementById('plotly-library')?.textContent?.length ?? 0,
        external: [...document.scripts].filter((sc) => sc.src !== '').length,
        scripts: document.scripts.length,
      }));
    });
    const r = visit.result;
    assert.equal(r.pwned, undefined, 'a script from the data ran');
    assert.deepEqual(visit.refused, [], 'the report made network requests');
    assert.deepEqual(visit.errors, [], 'the page logged errors');
    assert.equal(r.plots.length, figures.length);
    assert.ok(r.plots.every((n) => n > 0), `every chart rendered: ${JSON.stringify(r.plots)}`);
    assert.equal(r.traces, figures.reduce((n, f) => n + f.figure.data.length, 0), 'every trace drawn');
    // The payloads are shown as text.
    assert.ok(r.h1.includes(`model${SCRIPT_BREAK}`) && r.h1.includes(`layer${IMG_ONERROR}`), r.h1);
    assert.ok(r.title.includes(SCRIPT_BREAK));
    assert.ok(r.titles.length === figures.length && r.titles.every((t) => t.includes('window.__pwned=1')), JSON.stringify(r.titles));
    assert.equal(r.imgs.length, 1, 'the only image is the report\'s own');
    assert.equal(r.imgs[0]!.src, 'data:image/png;base64,', 'best.png is inside the page');
    assert.ok(r.imgs[0]!.width > 0, 'and decodes');
    assert.equal(r.external, 0, 'no script is loaded from beside the page');
    assert.ok(r.library > 1_000_000, 'Plotly is inlined');
    assert.equal(r.handlers, 0, 'no event-handler attribute made from the data');
    assert.equal(r.strayScripts, 0, 'no inline script but the charts');
    assert.equal(r.scripts, 1 + figures.length);
    fs.rmSync(alone, { recursive: true, force: true });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
