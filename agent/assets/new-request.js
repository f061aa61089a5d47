// The verifier's "ask for a badge" form: creates a presentation request through the admin API
// (the token stays in the page and goes only to this server, in the Authorization header),
// then opens the request page.
(function () {
  'use strict';
  var form = document.getElementById('new-request');
  if (!form) return;
  var err = document.getElementById('err');
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var f = form.elements;
    var body = {
      formats: ['ldp_vc', 'jwt_vc_json'].filter(function (n) { return f[n].checked; }),
      trusted_issuers: f.trusted.value.split('\n').map(function (s) { return s.trim(); }).filter(Boolean),
      mode: f.mode.value,
    };
    if (f.achievement_id.value) body.achievement_id = f.achievement_id.value;
    if (f.achievement_name.value) body.achievement_name = f.achievement_name.value;
    fetch(form.getAttribute('data-api'), {
      method: 'POST',
      headers: { authorization: 'Bearer ' + f.token.value, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (a) {
        if (a.ok) { location.href = a.j.page; return; }
        err.textContent = a.j.error_description || a.j.error || 'The request failed.';
        err.hidden = false;
      })
      .catch(function () { err.textContent = 'The server could not be reached.'; err.hidden = false; });
  });
})();
