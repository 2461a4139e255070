/** featvis study: the whole pipeline on a small real model, resumable; its config checks; the static SVG charts. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseStudyConfig, runStudy } from '../src/experiments/study.js';
import { figureSvg } from '../src/experiments/svgChart.js';
import { sharedDir, skipWithoutShared } from './helpers/python.js';

const skip = skipWithoutShared();
const model = path.join(sharedDir, 'models', 'tfjs_mobilenet_v1_0.25_224');

function studyConfig(): Record<string, unknown> {
  return {
    name: 'tiny study',
    model,
    layer: 'conv_pw_5_relu',
    dream: { photo: path.join(sharedDir, 'images', 'coral_samples', 'parrot.jpg'), layers: ['conv_pw_3_relu', 'conv_pw_5_relu'], size: 96, octaves: 2, steps: 2 },
    overview: { channels: [0, 5], steps: 4, batchSize: 6 },
    channels: [3, 5],
    seeds: [0],
    steps: 4,
    size: 48,
    param: 'pixel',
    sweep: { tv: [0, 1] },
    exemplars: { images: path.join(sharedDir, 'images', 'imagenette2_224', 'val'), limit: 30, k: 9, heldOut: 9, batchSize: 15, size: 96 },
    metric: { kind: 'lpips-like', model, layers: ['conv_pw_1_relu', 'conv_pw_3_relu'] },
    metricSize: 64,
    randomImages: 9,
  };
}

test('featvis study runs every step, writes an index with inline charts, and a rerun redoes nothing', { skip, timeout: 600_000 }, async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'featvis-study-'));
  try {
    const cfg = parseStudyConfig(studyConfig());
    const first = await runStudy(cfg, { outDir: out });
    for (const f of ['dream.png', 'top9-0-5.png', 'overview/grid.png', 'report.html', 'best.png', 'index.html']) assert.ok(fs.existsSync(path.join(out, f)), f);
    const html = fs.readFileSync(first.index, 'utf8');
    assert.match(html, /<svg[^>]*>.*normalised interpretability/s, 'charts inline as SVG');
    assert.match(html, /tv<\/td><td>(best strength|no measurable effect)/);
    assert.ok(!/<script/i.test(html), 'the index is script-free');
    const again = await runStudy(cfg, { outDir: out });
    assert.equal(again.seconds.dream, 0, 'the dream is not redone');
    assert.ok(again.seconds.overview < first.seconds.overview, `overview resumed (${again.seconds.overview} s vs ${first.seconds.overview} s)`);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('study configs are checked field by field', () => {
  const base = studyConfig();
  assert.throws(() => parseStudyConfig({ ...base, dream: { layers: ['a'] } }), /"dream.photo" must name a photo/);
  assert.throws(() => parseStudyConfig({ ...base, overview: { channels: [5, 1] } }), /"overview.channels" must be \[first, last\]/);
  assert.throws(() => parseStudyConfig({ ...base, overview: { channels: [0, 99999] } }), /spans more than 1024 channels/);
  assert.throws(() => parseStudyConfig({ ...base, sweep: {} }), /"sweep" must map knobs/);
  assert.equal(parseStudyConfig(base).overview.channels.length, 6);
});

test('static SVG charts: one polyline per trace, error bars, labels escaped', () => {
  const svg = figureSvg({
    data: [
      { name: 'mean <b>&</b>', x: [0, 1, 2], y: [0.1, 0.3, 0.2], mode: 'lines+markers', error_y: { array: [0.05, 0.05, 0.05] } },
      { name: 'ceiling', x: [0, 2], y: [1, 1], line: { dash: 'dot', color: 'green' } },
      { name: 'evil', x: [0, 1], y: [0, 1], line: { color: 'red" onload="alert(1)' } },
    ],
    layout: { title: { text: '<script>alert(1)</script>' }, xaxis: { title: { text: 'strength' } }, yaxis: { title: { text: 'score' } } },
  });
  assert.equal((svg.match(/<polyline/g) ?? []).length, 3);
  assert.equal((svg.match(/stroke-width="1.5"/g) ?? []).length, 3, 'three error bars');
  assert.ok(!svg.includes('<script>') && !svg.includes('onload'), 'nothing executable');
  assert.ok(svg.includes('mean &lt;b&gt;&amp;&lt;/b&gt;'));
  // Plotly titles arrive HTML-escaped: decoded, then escaped once (no literal "&#39;" on the page);
  // a long title wraps into lines that fit the width instead of running off both sides.
  const long = 'normalised interpretability vs strength — LPIPS-like(equal) mobilenet_v1 · study&#39;s formula (position by position) <br>blur';
  const svg2 = figureSvg({ data: [{ name: 'a', x: [0, 1], y: [0, 1] }], layout: { title: { text: long } } }, 400);
  assert.ok(svg2.includes('study&#39;s formula') && !svg2.includes('&amp;#39;'), 'escaped once');
  const titles = [...svg2.matchAll(/<text x="8" y="\d+" font-size="14" font-weight="bold">([^<]*)<\/text>/g)].map((t) => t[1]!);
  assert.ok(titles.length >= 3, `wrapped into ${titles.length} lines`);
  for (const t of titles) assert.ok(t.replace(/&#39;/g, "'").length <= Math.floor((400 - 16) / 8), `"${t}" fits`);
});
