/* The portal's one script: live regions (`data-live`), as-you-type validation (`data-validate`),
   local times, the IT console's service picker, forms sent once. Pages work without it. */
(function () {
  'use strict';
  function localTimes(root) {
    root.querySelectorAll('time[datetime]').forEach(function (t) {
      var v = t.getAttribute('datetime');
      // A calendar day (YYYY-MM-DD, a UTC day in the reports) has no local time to show.
      if (v.indexOf('T') < 0) return;
      var d = new Date(v);
      if (!isNaN(d)) t.textContent = d.toLocaleString();
    });
  }
  function live(el) {
    var src = el.getAttribute('data-live'),
      every = Number(el.getAttribute('data-live-every') || '2000');
    function tick() {
      if (el.querySelector('[data-final]')) return;
      fetch(src, { headers: { accept: 'text/html' }, credentials: 'same-origin' })
        .then(function (r) {
          return r.ok ? r.text() : null;
        })
        .then(function (text) {
          if (text !== null && text !== el.getAttribute('data-last')) {
            el.setAttribute('data-last', text);
            el.innerHTML = text;
            localTimes(el);
          }
        })
        .catch(function () {})
        .then(function () {
          setTimeout(tick, every);
        });
    }
    setTimeout(tick, every);
  }
  function validating(form) {
    var url = form.getAttribute('data-validate'),
      pending = null,
      seq = 0;
    var tokenInput = form.querySelector('input[name=_csrf]');
    function show(errors) {
      form.querySelectorAll('[data-field]').forEach(function (input) {
        var name = input.getAttribute('data-field');
        var out = document.getElementById(name + '-error');
        if (!out) return;
        var touched = input.getAttribute('data-touched') === '1';
        var msg = touched ? errors[name] || '' : '';
        out.textContent = msg;
        if (msg) input.setAttribute('aria-invalid', 'true');
        else input.removeAttribute('aria-invalid');
      });
    }
    function check() {
      var data = {};
      new FormData(form).forEach(function (v, k) {
        if (k !== '_csrf' && k !== 'submissionId') data[k] = String(v);
      });
      var mine = ++seq;
      fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': tokenInput ? tokenInput.value : '' },
        body: JSON.stringify(data),
      })
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (body) {
          if (body && mine === seq) show(body.errors || {});
        })
        .catch(function () {});
    }
    form.addEventListener('input', function (e) {
      if (e.target && e.target.setAttribute) e.target.setAttribute('data-touched', '1');
      clearTimeout(pending);
      pending = setTimeout(check, 250);
    });
    form.addEventListener('change', function (e) {
      if (e.target && e.target.setAttribute) e.target.setAttribute('data-touched', '1');
      clearTimeout(pending);
      pending = setTimeout(check, 50);
    });
  }
  function once(form) {
    form.addEventListener('submit', function () {
      var b = form.querySelector('button[type=submit]');
      if (b) {
        setTimeout(function () {
          b.disabled = true;
        }, 0);
      }
    });
  }
  function servicePicker(input) {
    var list = document.getElementById(input.getAttribute('list'));
    var src = input.getAttribute('data-service-search');
    var seq = 0,
      timer = null;
    if (!list || !src) return;
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(src + '?q=' + encodeURIComponent(input.value), {
          headers: { accept: 'application/json' },
          credentials: 'same-origin',
        })
          .then(function (r) {
            return r.ok ? r.json() : null;
          })
          .then(function (body) {
            if (!body || mine !== seq) return;
            list.textContent = '';
            body.services.forEach(function (s) {
              var o = document.createElement('option');
              o.value = s.id;
              o.textContent = s.name;
              list.appendChild(o);
            });
            list.setAttribute('data-for', input.value);
          })
          .catch(function () {});
      }, 150);
    });
  }
  document.addEventListener('DOMContentLoaded', function () {
    localTimes(document);
    document.querySelectorAll('input[data-service-search]').forEach(servicePicker);
    document.querySelectorAll('[data-live]').forEach(live);
    document.querySelectorAll('form[data-validate]').forEach(validating);
    document.querySelectorAll('form[data-once]').forEach(once);
  });
})();
