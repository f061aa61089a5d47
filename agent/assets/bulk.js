// Console bulk issue: polls the job's progress (JSON, session cookie) every 150 ms and updates
// the <progress> bar, the counts and, once done, the per-row report. No framework, no inline
// script (the pages' CSP forbids it).
(function () {
  'use strict';
  var box = document.getElementById('bulk-job');
  if (!box) return;
  var url = box.getAttribute('data-progress');
  var el = function (id) { return document.getElementById(id); };
  var text = function (id, value) { var e = el(id); if (e) e.textContent = String(value); };
  // "1 offer", "2 offers": the same words as the server-rendered report.
  var plural = function (n, one, many) { return n + ' ' + (n === 1 ? one : many); };

  function report(p) {
    var list = el('bulk-errors');
    while (list.firstChild) list.removeChild(list.firstChild);
    p.errors.forEach(function (e) {
      var li = document.createElement('li');
      li.className = 'failed';
      li.setAttribute('data-line', String(e.line));
      li.textContent = 'line ' + e.line + ': ' + e.message;
      list.appendChild(li);
    });
    text('bulk-summary', plural(p.created_count, 'offer', 'offers') + ' created; ' +
      plural(p.errors.length, 'row refused', 'rows refused') + '.');
    if (p.failure) {
      text('bulk-failure', p.failure + ': the rows before it were issued; upload the rest again.');
      el('bulk-failure').hidden = false;
    }
    el('bulk-report').hidden = false;
    text('bulk-status', p.failure ? 'The import stopped early.' : 'Finished.');
  }

  function show(p) {
    var bar = el('bulk-progress');
    bar.max = p.total_rows;
    bar.value = p.processed;
    bar.textContent = p.processed + ' of ' + p.total_rows;
    text('bulk-processed', p.processed);
    text('bulk-total', p.total_rows);
    text('bulk-created', p.created_count);
    text('bulk-refused', p.errors.length);
    box.setAttribute('data-state', p.state);
    if (p.done) report(p);
  }

  function tick() {
    fetch(url, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (p) {
        if (p) show(p);
        if (!p || !p.done) setTimeout(tick, 150);
      })
      .catch(function () { setTimeout(tick, 1000); });
  }

  if (box.getAttribute('data-state') === 'running') setTimeout(tick, 150);
})();
