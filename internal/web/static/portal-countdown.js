// Lan Tỏa: the public ceremony page, live. The server writes the whole page (it reads without
// JavaScript); this script makes the campaign countdown tick each second, measured against the
// server's clock (data-now) rather than the phone's, and shows data-done at the end. Before the
// launch it asks the page again every data-poll-ms (the page is cached on the server) and, when
// the launch has happened, swaps the part that changed (#ceremony-live) for the new one, so the
// visitor sees "Đã phát động" and the campaign start without reloading.
(function () {
  "use strict";

  function two(n) { return n < 10 ? "0" + n : String(n); }

  function tickCountdown(el) {
    if (!el) { return; }
    var end = Number(el.dataset.end);
    var origin = (window.performance && performance.timeOrigin) || Date.now();
    var skew = Number(el.dataset.now) - origin; // server clock minus this phone's
    var parts = {};
    Array.prototype.forEach.call(el.querySelectorAll("[data-part]"), function (p) { parts[p.dataset.part] = p; });
    var timer;
    function tick() {
      var left = Math.floor((end - (Date.now() + skew)) / 1000);
      if (left <= 0) {
        clearInterval(timer);
        el.removeAttribute("role");
        el.textContent = el.dataset.done;
        return;
      }
      parts.d.textContent = String(Math.floor(left / 86400));
      parts.h.textContent = String(Math.floor(left % 86400 / 3600));
      parts.m.textContent = two(Math.floor(left % 3600 / 60));
      parts.s.textContent = two(left % 60);
    }
    timer = setInterval(tick, 1000);
    tick();
  }

  function watchLaunch(live) {
    var every = Number(live.dataset.pollMs);
    if (!every || !window.fetch || !window.DOMParser) { return; }
    function next() {
      // Spread the crowd's requests so they do not all arrive in the same second.
      setTimeout(ask, every * (0.8 + Math.random() * 0.4));
    }
    function ask() {
      if (document.hidden) { next(); return; }
      fetch(window.location.href, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("ceremony-live");
          if (!fresh) { next(); return; }
          if (fresh.dataset.state === live.dataset.state) {
            if (fresh.dataset.pollMs) { every = Number(fresh.dataset.pollMs); }
            next();
            return;
          }
          // The contents change inside the same polite live region, so a screen reader
          // announces the launch (the ticking countdown is a timer, which it does not read out).
          live.innerHTML = fresh.innerHTML;
          live.dataset.state = fresh.dataset.state;
          tickCountdown(document.getElementById("countdown"));
          if (fresh.dataset.pollMs) { every = Number(fresh.dataset.pollMs); next(); }
        })
        .catch(next);
    }
    next();
  }

  tickCountdown(document.getElementById("countdown"));
  var live = document.getElementById("ceremony-live");
  if (live) { watchLaunch(live); }
})();
