// Lan Tỏa: makes the campaign countdown of the public ceremony page tick. The server writes the
// countdown (it reads without JavaScript); this only updates its numbers each second, measured
// against the server's clock (data-now) rather than the phone's, and shows data-done at the end.
(function () {
  "use strict";
  var el = document.getElementById("countdown");
  if (!el) { return; }
  var end = Number(el.dataset.end);
  var origin = (window.performance && performance.timeOrigin) || Date.now();
  var skew = Number(el.dataset.now) - origin; // server clock minus this phone's
  var parts = {};
  Array.prototype.forEach.call(el.querySelectorAll("[data-part]"), function (p) { parts[p.dataset.part] = p; });
  function two(n) { return n < 10 ? "0" + n : String(n); }
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
})();
