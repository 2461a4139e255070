
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
      var range = /^(\d+)\s*-\s*(\d+)$/.exec(q);
      if (range) return r.channel >= Number(range[1]) && r.channel <= Number(range[2]);
      if (/^\d+$/.test(q)) return String(r.channel) === q;
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
