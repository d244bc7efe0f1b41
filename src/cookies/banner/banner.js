/*
 * Steward's cookie banner, embedded on an organisation's website with one tag:
 *   <script src="https://steward.example.org/cookies/banner.js" async></script>
 *
 * Plain browser JavaScript, no framework; the server minifies it and puts the configuration
 * (from the declaration's `cookies` list) in place of __STEWARD_CONFIG__.
 *
 * - Nothing non-essential runs before a choice (PECR reg 6): scripts of a category are written
 *   <script type="text/plain" data-steward-category="analytics"> and activated here on consent.
 * - "Reject all" is a button exactly like "Accept all"; no category is ticked in advance.
 * - Cookies declared exempt (statistics, appearance: PECR Schedule A1) run without consent, and
 *   the visitor can object to them here; the objection is honoured and recorded like a refusal.
 * - Global Privacy Control (navigator.globalPrivacyControl, or Sec-GPC: 1 on the request for this
 *   script) counts as refusing every category, objections included, until the visitor chooses
 *   otherwise in the settings.
 * - Any element with data-steward-cookie-settings reopens the choice, to change or withdraw it.
 *   Withdrawing clears that category's declared cookies and storage where the browser allows, and
 *   reloads the page if its scripts already ran (a running script cannot be stopped otherwise).
 * - Each choice is sent to Steward's consent log with an anonymous id kept in the visitor's own
 *   first-party cookie, which also lets them download their record.
 * - The banner lives in a shadow root (its styles cannot leak out or be broken from outside) and a
 *   modal <dialog> in the top layer (no layout shift; the page behind is inert).
 */
(function (C) {
  'use strict';
  var d = document;
  var w = window;
  var me = d.currentScript;
  var base = me && me.src ? new URL(me.src).origin : location.origin;
  var groups = C.groups;
  var choosable = groups.filter(function (g) {
    return g.kind !== 'necessary';
  });
  var gpc = navigator.globalPrivacyControl === true || C.gpc === true;
  var saved = read();
  var current = null;
  var ran = {};
  var dlg, root, host, opener;

  function read() {
    var m = d.cookie.match(new RegExp('(?:^|; )' + C.cookie + '=([^;]*)'));
    if (!m) return null;
    try {
      var s = JSON.parse(decodeURIComponent(m[1]));
      return s && typeof s.id === 'string' && typeof s.c === 'object' ? s : null;
    } catch (e) {
      return null;
    }
  }

  function write(s) {
    d.cookie =
      C.cookie + '=' + encodeURIComponent(JSON.stringify(s)) + '; Max-Age=' + C.maxAgeDays * 86400 + '; Path=/; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : '');
  }

  function newId() {
    var b = crypto.getRandomValues(new Uint8Array(16));
    return btoa(String.fromCharCode.apply(null, b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  /** Before any choice: exempt groups run (unless GPC objects for the visitor), nothing else. */
  function defaults() {
    var c = {};
    choosable.forEach(function (g) {
      c[g.key] = g.kind === 'exempt' && !gpc;
    });
    return c;
  }

  function all(v) {
    var c = {};
    choosable.forEach(function (g) {
      c[g.key] = v;
    });
    return c;
  }

  function activate() {
    d.querySelectorAll('script[type="text/plain"][data-steward-category]').forEach(function (s) {
      var k = s.getAttribute('data-steward-category');
      if (s.hasAttribute('data-steward-ran') || !current || current[k] !== true) return;
      s.setAttribute('data-steward-ran', '');
      var n = d.createElement('script');
      [].forEach.call(s.attributes, function (a) {
        if (!/^(type|data-steward-)/.test(a.name)) n.setAttribute(a.name, a.value);
      });
      n.text = s.text;
      s.parentNode.insertBefore(n, s.nextSibling);
      ran[k] = 1;
    });
  }

  function matches(pattern, name) {
    return pattern.slice(-1) === '*' ? name.indexOf(pattern.slice(0, -1)) === 0 : name === pattern;
  }

  /** Expires the group's declared cookies (on this host and each parent domain) and storage keys. */
  function clear(key) {
    var names = d.cookie.split(/; */).map(function (c) {
      return c.split('=')[0];
    });
    var parts = location.hostname.split('.');
    groups.forEach(function (g) {
      if (g.key !== key) return;
      g.cookies.forEach(function (ck) {
        names.forEach(function (n) {
          if (!n || !matches(ck.name, n)) return;
          for (var i = 0; i <= parts.length; i++) {
            d.cookie = n + '=; Max-Age=0; Path=/' + (i < parts.length ? '; Domain=' + parts.slice(i).join('.') : '');
          }
        });
        [w.localStorage, w.sessionStorage].forEach(function (st) {
          try {
            Object.keys(st).forEach(function (n) {
              if (matches(ck.name, n)) st.removeItem(n);
            });
          } catch (e) {
            /* storage blocked: nothing stored there either */
          }
        });
      });
    });
  }

  function send(c, method) {
    return fetch(base + '/cookies/consent', {
      method: 'POST',
      mode: 'cors',
      credentials: 'omit',
      keepalive: true,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ consentId: saved.id, choices: c, method: method, noticeVersion: C.noticeVersion, bannerVersion: C.bannerVersion, gpc: gpc }),
    }).catch(function () {});
  }

  function choose(c, method) {
    var before = current || {};
    var reload = false;
    saved = { id: (saved && saved.id) || newId(), v: C.bannerVersion, c: c, g: gpc ? 1 : 0 };
    write(saved);
    current = c;
    Object.keys(before).forEach(function (k) {
      if (before[k] && !c[k]) {
        clear(k);
        if (ran[k]) reload = true;
      }
    });
    activate();
    d.dispatchEvent(new CustomEvent('steward:consent', { detail: { choices: c } }));
    send(c, method).then(function () {
      if (reload) location.reload();
    });
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (ch) {
      return '&#' + ch.charCodeAt(0) + ';';
    });
  }

  function button(action, text) {
    return '<button type="button" data-a="' + action + '">' + text + '</button>';
  }

  function groupHtml(g) {
    var id = 'c-' + g.key;
    var rows = g.cookies
      .map(function (ck) {
        return '<tr><td>' + esc(ck.name) + '</td><td>' + esc(ck.provider) + '</td><td>' + esc(ck.purpose) + '</td><td>' + esc(ck.duration) + '</td></tr>';
      })
      .join('');
    return (
      '<div class="g"><label for="' + id + '"><input type="checkbox" id="' + id + '" name="' + g.key + '"' +
      (g.kind === 'necessary' ? ' checked disabled' : '') + '>' + esc(g.title) + (g.kind === 'necessary' ? ' (always on)' : '') +
      '</label><p>' + esc(g.description) + '</p><details><summary>' + g.cookies.length + ' cookie' + (g.cookies.length === 1 ? '' : 's') +
      ' in ' + esc(g.title) + '</summary><table><thead><tr><th scope="col">Name</th><th scope="col">Provider</th><th scope="col">Purpose</th><th scope="col">Duration</th></tr></thead><tbody>' +
      rows + '</tbody></table></details></div>'
    );
  }

  function build() {
    host = d.createElement('steward-cookie-banner');
    root = host.attachShadow({ mode: 'open' });
    var exempt = choosable.some(function (g) {
      return g.kind === 'exempt';
    });
    var asks = choosable.filter(function (g) {
      return g.kind === 'consent';
    });
    root.innerHTML =
      '<style>' + '__STEWARD_CSS__' + '</style>' +
      '<dialog aria-labelledby="t1" aria-describedby="x1">' +
      '<div id="l1"><h2 id="t1">Cookies on ' + esc(C.org) + '\u2019s website</h2><p id="x1">We use strictly necessary cookies to make our website work.' +
      (asks.length ? ' With your agreement we would also use ' + asks.map(function (g) { return esc(g.title.toLowerCase()); }).join(' and ') + ' cookies. Nothing of the kind is set until you choose.' : '') +
      (exempt ? ' We use some cookies for statistics or your preferences unless you object.' : '') +
      ' <a href="' + esc(C.notice || base + '/privacy') + '" target="_blank" rel="noopener">Our privacy notice (opens in a new tab)</a></p>' +
      '<div class="b">' + button('accept', 'Accept all') + button('reject', 'Reject all') + button('settings', 'Choose cookies') + '</div></div>' +
      '<div id="l2" hidden><h2 id="t2" tabindex="-1">Cookie settings</h2><p>Choose which cookies we may use. You can change your mind at any time with the cookie settings link on our website.</p>' +
      groups.map(groupHtml).join('') +
      '<p id="rec"></p><div class="b">' + button('save', 'Save my choices') + button('accept', 'Accept all') + button('reject', 'Reject all') + '</div></div></dialog>';
    dlg = root.querySelector('dialog');
    dlg.addEventListener('click', function (e) {
      var b = e.target.closest && e.target.closest('button');
      if (!b) return;
      var a = b.getAttribute('data-a');
      if (a === 'settings') return layer(2);
      var c = a === 'accept' ? all(true) : a === 'reject' ? all(false) : null;
      if (!c) {
        c = {};
        choosable.forEach(function (g) {
          c[g.key] = root.getElementById('c-' + g.key).checked;
        });
      }
      close();
      choose(c, a === 'save' || opened2 ? 'settings' : 'banner');
    });
    // Focus stays in the dialog: Tab from the last control goes to the first, and back.
    dlg.addEventListener('keydown', function (e) {
      if (e.key !== 'Tab') return;
      var f = [].filter.call(dlg.querySelectorAll('button,a[href],input:not([disabled]),summary,[tabindex="-1"]'), function (el) {
        return el.getClientRects().length > 0 && el.tabIndex >= 0;
      });
      var first = f[0];
      var last = f[f.length - 1];
      var at = root.activeElement;
      if (e.shiftKey && (at === first || !at || at.id === 't2')) {
        last.focus();
        e.preventDefault();
      } else if (!e.shiftKey && at === last) {
        first.focus();
        e.preventDefault();
      }
    });
    // Escape closes only once a choice exists: until then, nothing non-essential runs anyway.
    dlg.addEventListener('cancel', function (e) {
      if (!saved) e.preventDefault();
    });
    dlg.addEventListener('close', restore);
    d.body.appendChild(host);
  }

  var opened2 = false;

  function layer(n) {
    opened2 = n === 2;
    root.getElementById('l1').hidden = n !== 1;
    root.getElementById('l2').hidden = n !== 2;
    if (n === 2) {
      var c = current || defaults();
      choosable.forEach(function (g) {
        root.getElementById('c-' + g.key).checked = c[g.key] === true;
      });
      var rec = root.getElementById('rec');
      rec.innerHTML = saved
        ? '<a href="' + esc(base + '/cookies/consent/' + saved.id + '?download=1') + '">Download the record of your choices</a>'
        : '';
      root.getElementById('t2').focus();
    } else {
      dlg.querySelector('button').focus();
    }
  }

  function open(n) {
    if (!dlg) build();
    opener = d.activeElement;
    if (!dlg.open) dlg.showModal();
    layer(n);
  }

  function close() {
    if (dlg.open) dlg.close();
  }

  function restore() {
    if (opener && opener.focus && d.contains(opener)) opener.focus();
    opener = null;
  }

  function start() {
    d.addEventListener('click', function (e) {
      var t = e.target.closest && e.target.closest('[data-steward-cookie-settings]');
      if (!t) return;
      e.preventDefault();
      open(2);
    });
    var fresh = saved && saved.v === C.bannerVersion;
    if (fresh && !(gpc && !saved.g)) {
      current = saved.c;
      activate();
    } else if (gpc) {
      // The signal is the choice: refuse everything, record it, and ask nothing.
      choose(all(false), 'gpc');
    } else {
      current = defaults();
      activate();
      open(1);
    }
  }

  if (!choosable.length) return;
  if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', start);
  else start();
})(__STEWARD_CONFIG__);
