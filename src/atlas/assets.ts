/**
 * The atlas site's stylesheet and script, written as local files
 * (`assets/atlas.css`, `assets/atlas.js`): no CDN, nothing fetched. The script
 * reads the index's data from `<script type="application/json">` (JSON.parse,
 * never eval), reorders and hides the server-written cards, and only ever sets
 * text (textContent), so data cannot become markup. On channel pages it adds
 * ← / → keys for the neighbouring channels.
 */

/** The channel card's rules, every one under `.atlas-card`: safe to inline in a notebook without restyling the page around it. */
export const CARD_CSS = `
.atlas-card { --fg: #1d1d1f; --muted: #6e6e73; --line: #d2d2d7; --accent: #0a58ca; color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "DejaVu Sans", Arial, sans-serif; }
.atlas-card a { color: var(--accent); text-decoration: none; }
.atlas-card h2 { font-size: 18px; margin: 8px 0 12px; word-break: break-word; }
.atlas-card h3 { font-size: 15px; margin: 20px 0 8px; }
.atlas-card .muted { color: var(--muted); font-size: 12.5px; }
.atlas-card .row { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
.atlas-card .am img { width: 256px; height: 256px; border-radius: 4px; }
.atlas-card .panel { flex: 1; min-width: 320px; max-width: 720px; }
.atlas-card dl.score dt { font-weight: 600; margin-top: 8px; }
.atlas-card dl.score dd { margin: 2px 0 0 0; }
.atlas-card dl.score dd.big { font-size: 26px; font-weight: 600; }
.atlas-card table.variants { border-collapse: collapse; margin-top: 10px; font-size: 12.5px; }
.atlas-card table.variants td, .atlas-card table.variants th { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; }
.atlas-card .diverse, .atlas-card .exemplars { display: flex; flex-wrap: wrap; gap: 8px; }
.atlas-card figure { margin: 0; }
.atlas-card figcaption { font-size: 11.5px; color: var(--muted); max-width: 128px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.atlas-card .diverse img { width: 128px; height: 128px; display: block; }
.atlas-card .exemplars img { width: 112px; height: 112px; display: block; }
.atlas-card .id { font-size: 10.5px; }
.atlas-card svg.hist rect { fill: #5b7db8; }
.atlas-card svg.hist line.axis { stroke: #888; }
.atlas-card svg.hist line.thr { stroke: #d9480f; stroke-dasharray: 4 3; }
.atlas-card svg.hist line.zero { stroke: #bbb; }
.atlas-card svg.hist text { font-size: 11px; fill: var(--muted); }
.atlas-card svg.hist text.thr { fill: #d9480f; }
.atlas-card ul.neighbours { list-style: none; padding: 0; margin: 0; }
.atlas-card ul.neighbours li { display: flex; align-items: center; gap: 8px; margin: 3px 0; }
.atlas-card ul.neighbours img { width: 48px; height: 48px; border-radius: 3px; }
`;

export const ATLAS_CSS = `
:root { --fg: #1d1d1f; --muted: #6e6e73; --line: #d2d2d7; --bg: #fbfbfd; --accent: #0a58ca; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "DejaVu Sans", Arial, sans-serif; color: var(--fg); background: var(--bg); margin: 0; padding: 16px 24px 48px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
h1 { font-size: 20px; margin: 0 0 4px; word-break: break-word; }
.muted { color: var(--muted); font-size: 12.5px; }
.summary { margin: 6px 0 14px; max-width: 1100px; }
nav.pager { display: flex; gap: 18px; margin: 4px 0 8px; }
#controls { display: flex; flex-wrap: wrap; gap: 14px; align-items: center; padding: 10px 0; border-bottom: 1px solid var(--line); margin-bottom: 14px; position: sticky; top: 0; background: var(--bg); z-index: 1; }
#controls input[type=search] { width: 200px; }
#controls input[type=number] { width: 80px; }
#grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; }
.card { display: block; border: 1px solid var(--line); border-radius: 6px; padding: 6px; background: #fff; color: var(--fg); }
.card:hover { border-color: var(--accent); text-decoration: none; }
.card .pair { display: flex; gap: 2px; }
.card img { width: 50%; height: auto; aspect-ratio: 1; object-fit: cover; display: block; }
.card .name { font-weight: 600; margin-top: 4px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.card .nums { font-size: 12px; color: var(--muted); }
${CARD_CSS}`;

export const ATLAS_JS = `
(function () {
  'use strict';
  var dataEl = document.getElementById('atlas-data');
  var grid = document.getElementById('grid');
  if (dataEl && grid) index(JSON.parse(dataEl.textContent || '{}'), grid);
  else pagerKeys();

  function index(data, grid) {
    var byChannel = {};
    (data.channels || []).forEach(function (r) { byChannel[String(r.channel)] = r; });
    var cards = Array.prototype.slice.call(grid.querySelectorAll('.card'));
    var sortEl = document.getElementById('sort');
    var orderEl = document.getElementById('order');
    var filterEl = document.getElementById('filter');
    var minScoreEl = document.getElementById('min-score');
    var minActEl = document.getElementById('min-act');
    var countEl = document.getElementById('count');
    var descending = false;
    function rec(card) { return byChannel[card.getAttribute('data-channel')] || {}; }
    function value(r, key) { var v = r[key]; return typeof v === 'number' && isFinite(v) ? v : null; }
    function matchText(r, q) {
      if (!q) return true;
      var range = /^(\\d+)\\s*-\\s*(\\d+)$/.exec(q);
      if (range) return r.channel >= Number(range[1]) && r.channel <= Number(range[2]);
      if (/^\\d+$/.test(q)) return String(r.channel) === q;
      return typeof r.label === 'string' && r.label.toLowerCase().indexOf(q.toLowerCase()) >= 0;
    }
    function apply() {
      var key = sortEl.value;
      var sorted = cards.slice().sort(function (a, b) {
        var ra = rec(a), rb = rec(b);
        var x = value(ra, key), y = value(rb, key);
        if (x === null || y === null) { if (x !== y) return x === null ? 1 : -1; }
        else if (x !== y) return descending ? y - x : x - y;
        return ra.channel - rb.channel;
      });
      var q = filterEl.value.trim();
      var minScore = parseFloat(minScoreEl.value);
      var minAct = parseFloat(minActEl.value);
      var shown = 0;
      sorted.forEach(function (card) {
        var r = rec(card);
        var ok = matchText(r, q) &&
          (isNaN(minScore) || (value(r, 'score') !== null && r.score >= minScore)) &&
          (isNaN(minAct) || (value(r, 'activation') !== null && r.activation >= minAct));
        card.hidden = !ok;
        if (ok) shown++;
        grid.appendChild(card);
      });
      countEl.textContent = shown + ' of ' + cards.length + ' channels';
      orderEl.textContent = descending ? 'descending' : 'ascending';
      orderEl.setAttribute('aria-pressed', descending ? 'true' : 'false');
    }
    sortEl.addEventListener('change', function () {
      descending = sortEl.value !== 'channel';
      apply();
    });
    orderEl.addEventListener('click', function () { descending = !descending; apply(); });
    [filterEl, minScoreEl, minActEl].forEach(function (el) { el.addEventListener('input', apply); });
    apply();
  }

  function pagerKeys() {
    document.addEventListener('keydown', function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      var rel = e.key === 'ArrowLeft' ? 'prev' : e.key === 'ArrowRight' ? 'next' : null;
      var a = rel && document.querySelector('a[rel="' + rel + '"]');
      if (a) window.location.href = a.getAttribute('href');
    });
  }
})();
`;
