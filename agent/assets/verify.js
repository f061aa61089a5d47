// Employer verification page: polls the request's result (JSON, session cookie) every 400 ms;
// when the wallet has answered, the server-rendered verdict fragment replaces the waiting note
// (an aria-live region) and the QR code goes away. No inline script (the pages' CSP forbids it).
(function () {
  'use strict';
  var box = document.getElementById('verify-request');
  if (!box) return;
  var url = box.getAttribute('data-result');
  var verdict = document.getElementById('verdict');

  function done(j) {
    box.setAttribute('data-status', j.status);
    var pending = document.getElementById('verify-pending');
    if (pending) pending.hidden = true;
    if (j.html) {
      // Server-rendered, escaped by askama, same origin.
      verdict.innerHTML = j.html;
    } else {
      verdict.textContent = j.status === 'expired'
        ? 'No wallet answered in time. Start again.'
        : 'This request is no longer available.';
    }
    verdict.focus();
  }

  function tick() {
    fetch(url, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.status === 'pending') setTimeout(tick, 400);
        else done(j);
      })
      .catch(function () { setTimeout(tick, 1000); });
  }

  if (box.getAttribute('data-status') === 'pending') setTimeout(tick, 400);
})();
