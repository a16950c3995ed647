// Lan Tỏa — launch ceremony pages: live events (Server-Sent Events), the control room, the
// bridge point's checklist, the two-step launch button and the screens' synchronised countdown.
// No inline script or style anywhere (CSP): everything hangs on data- attributes.
(function () {
  "use strict";

  var VN_OFFSET_MS = 7 * 3600 * 1000;

  // ---- Server clock offset: serverNow() = Date.now() + offset. ----
  var offset = 0;
  function serverNow() { return Date.now() + offset; }
  // Three samples of /api/v1/time; the one with the shortest round trip wins (NTP-style).
  function syncClock() {
    var best = null;
    var n = 0;
    function sample() {
      var t0 = Date.now();
      return fetch("/api/v1/time", { headers: { Accept: "application/json" }, cache: "no-store" })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          var t1 = Date.now();
          var rtt = t1 - t0;
          if (best === null || rtt < best.rtt) {
            best = { rtt: rtt, offset: j.server_time_ms + rtt / 2 - t1 };
          }
        });
    }
    function loop() {
      if (n++ >= 3) {
        if (best) { offset = best.offset; }
        return Promise.resolve();
      }
      return sample().then(loop, loop);
    }
    return loop();
  }

  // ---- JSON API calls. ----
  function api(method, url, body) {
    var opt = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      opt.headers["Content-Type"] = "application/json";
      opt.body = JSON.stringify(body);
    }
    return fetch(url, opt).then(function (r) {
      return r.text().then(function (t) {
        var j = null;
        try { j = t ? JSON.parse(t) : null; } catch (e) { j = null; }
        if (!r.ok) {
          var msg = (j && j.error && j.error.message) || ("HTTP " + r.status);
          throw new Error(msg);
        }
        return j;
      });
    });
  }

  function showError(scope, msg) {
    var el = scope && scope.querySelector("[data-error]");
    if (!el) { el = document.querySelector("[data-error]"); }
    if (!el) { return; }
    if (msg) { el.textContent = msg; el.hidden = false; } else { el.textContent = ""; el.hidden = true; }
  }

  // A datetime-local value is Vietnam time; the API wants RFC 3339.
  function vnToRFC3339(v) {
    if (!v) { return ""; }
    if (v.length === 16) { v += ":00"; }
    return v + "+07:00";
  }

  function fmtVN(ms) {
    var d = new Date(ms + VN_OFFSET_MS);
    function p(n) { return (n < 10 ? "0" : "") + n; }
    return p(d.getUTCHours()) + ":" + p(d.getUTCMinutes()) + ":" + p(d.getUTCSeconds()) + " " +
      p(d.getUTCDate()) + "/" + p(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear();
  }

  // ---- Forms that post JSON to the API (data-api-form). Names with a dot nest: "expected.x". ----
  function formJSON(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled) { return; }
      var v;
      if (el.type === "checkbox") { v = el.checked; }
      else if (el.type === "number") { if (el.value === "") { return; } v = parseInt(el.value, 10); }
      else if (el.hasAttribute("data-vn-time")) { v = vnToRFC3339(el.value); }
      else { v = el.value; }
      var parts = el.name.split(".");
      var o = out;
      for (var i = 0; i < parts.length - 1; i++) { o = o[parts[i]] = o[parts[i]] || {}; }
      o[parts[parts.length - 1]] = v;
    });
    return out;
  }

  function after(el, res) {
    var redirect = el.getAttribute("data-redirect");
    if (redirect && res && res.id) { window.location.href = redirect + res.id; return; }
    if (el.getAttribute("data-after") === "reload") { window.location.reload(); }
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute || !form.hasAttribute("data-api-form")) { return; }
    ev.preventDefault();
    showError(form, "");
    api(form.getAttribute("data-method") || "POST", form.getAttribute("data-api-form"), formJSON(form))
      .then(function (res) { after(form, res); }, function (e) { showError(form, e.message); });
  });

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest ? ev.target.closest("[data-api-post]") : null;
    if (!btn) { return; }
    ev.preventDefault();
    var body = btn.getAttribute("data-body");
    btn.disabled = true;
    api("POST", btn.getAttribute("data-api-post"), body ? JSON.parse(body) : {})
      .then(function (res) { btn.disabled = false; after(btn, res); },
        function (e) { btn.disabled = false; showError(btn.closest("section") || document, e.message); });
  });

  // ---- Two-step launch button. ----
  function initLaunch() {
    var arm = document.getElementById("launch-arm");
    if (!arm) { return; }
    var confirmBox = document.getElementById("launch-confirm");
    var go = document.getElementById("launch-go");
    var cancel = document.getElementById("launch-cancel");
    var result = document.getElementById("launch-result");
    var panel = document.getElementById("launch-panel");
    arm.addEventListener("click", function () { arm.hidden = true; confirmBox.hidden = false; go.focus(); });
    cancel.addEventListener("click", function () { confirmBox.hidden = true; arm.hidden = false; });
    go.addEventListener("click", function () {
      go.disabled = true;
      showError(panel, "");
      api("POST", go.getAttribute("data-launch-url"), {}).then(function (res) {
        result.setAttribute("data-launch-at", res.launch_at);
        showLaunched(Date.parse(res.launch_at), labelsOf(panel));
      }, function (e) {
        go.disabled = false;
        showError(panel, e.message);
      });
    });
  }

  // launchText is LaunchText of the server: "Phát động lúc 09:30 ngày 28/07/2023".
  function launchText(ms, labels) {
    var d = new Date(ms + VN_OFFSET_MS);
    function p(n) { return (n < 10 ? "0" : "") + n; }
    return (labels["launch.at"] || "{time} {date}")
      .replace("{time}", p(d.getUTCHours()) + ":" + p(d.getUTCMinutes()))
      .replace("{date}", p(d.getUTCDate()) + "/" + p(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear());
  }

  // showLaunched turns the ceremony's page to its launched state, as the server would write it
  // after a reload: the button goes at once (a launch cannot be pressed twice), the moment is
  // said with its label, and the status reads "Đã phát động" from the moment itself, "Chuẩn bị
  // phát động" in the seconds every screen counts down.
  function showLaunched(ms, labels) {
    ["launch-arm", "launch-confirm"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { el.remove(); }
    });
    var text = launchText(ms, labels);
    var panel = document.getElementById("launch-panel");
    if (panel) { panel.classList.add("launch-done"); }
    var result = document.getElementById("launch-result");
    if (result) {
      result.hidden = false;
      result.textContent = text;
      if (!result.hasAttribute("data-launch-at")) { result.setAttribute("data-launch-at", new Date(ms).toISOString()); }
    }
    var time = document.getElementById("launch-time");
    if (time) { time.textContent = text; }
    var state = document.getElementById("launch-state");
    if (!state) { return; }
    function done() {
      state.textContent = labels["launch.done"] || "";
      state.className = "state state-launched";
    }
    var left = ms - serverNow();
    if (left > 0) {
      state.textContent = labels["launch.countdown"] || "";
      state.className = "state state-ready";
      setTimeout(done, left);
    } else {
      done();
    }
  }

  // ---- The ceremony's page follows the launch live, whoever pressed the button. ----
  function initLaunchState() {
    var status = document.getElementById("launch-status");
    if (!status || !status.hasAttribute("data-launch-stream")) { return; }
    var labels = labelsOf(status);
    syncClock();
    var es = new EventSource(status.getAttribute("data-launch-stream"));
    es.addEventListener("launch", function (ev) {
      showLaunched(JSON.parse(ev.data).launch_at_ms, labels);
      es.close();
    });
  }

  function labelsOf(el) {
    var src = el && el.closest ? el.closest("[data-labels]") : null;
    if (!src) { src = document.querySelector("[data-labels]"); }
    try { return src ? JSON.parse(src.getAttribute("data-labels")) : {}; } catch (e) { return {}; }
  }

  // ---- The bridge point's checklist and on-air buttons. ----
  function initChecklist() {
    var sec = document.getElementById("checklist-section");
    if (!sec) { return; }
    var url = sec.getAttribute("data-point-url");
    var labels = labelsOf(sec);
    var stateEl = document.getElementById("point-state");
    var status = document.getElementById("checklist-status");
    function show(p) {
      stateEl.textContent = labels[p.state] || p.state;
      stateEl.className = "state state-" + p.state;
      status.textContent = labels.saved || "";
    }
    // One request at a time, always sending the latest ticks: quick clicks must not reach the
    // server out of order and leave an older state behind.
    var inFlight = false;
    var again = false;
    function save() {
      if (inFlight) { again = true; return; }
      inFlight = true;
      var body = {};
      sec.querySelectorAll("#checklist input[type=checkbox]").forEach(function (c) { body[c.name] = c.checked; });
      showError(sec, "");
      api("PUT", url + "/checklist", body).then(show, function (e) { showError(sec, e.message); })
        .then(function () {
          inFlight = false;
          if (again) { again = false; save(); }
        });
    }
    sec.querySelector("#checklist").addEventListener("change", save);
    sec.querySelectorAll("[data-on-air]").forEach(function (b) {
      b.addEventListener("click", function () {
        showError(sec, "");
        api("POST", url + "/on-air", { on_air: b.getAttribute("data-on-air") === "true" })
          .then(show, function (e) { showError(sec, e.message); });
      });
    });
  }

  // ---- Live pages (control room, screen): one EventSource each. ----
  function initLive() {
    var root = document.querySelector("[data-stream]");
    if (!root) { return; }
    var labels = labelsOf(root);
    var conn = root.querySelector("[data-conn]");
    function setConn(state) {
      if (!conn) { return; }
      conn.textContent = labels["conn." + state] || state;
      conn.className = "conn conn-" + state;
      root.setAttribute("data-conn-state", state);
    }
    var launchAt = parseInt(root.getAttribute("data-launch-at-ms") || "0", 10);
    var stepEl = root.querySelector("[data-current-step]");

    var es = new EventSource(root.getAttribute("data-stream"));
    es.onopen = function () { setConn("live"); };
    es.onerror = function () { setConn(es.readyState === EventSource.CLOSED ? "lost" : "connecting"); };
    var nextEl = root.querySelector("[data-next-step]");
    var steps = null; // the programme's steps, from the page and then from "programme" events
    try { steps = JSON.parse(root.getAttribute("data-steps") || "null"); } catch (e) { steps = null; }
    function showNext(current) {
      if (!nextEl || !steps) { return; }
      nextEl.textContent = (steps[current] && steps[current].title) || "—";
    }
    es.addEventListener("step", function (ev) {
      var d = JSON.parse(ev.data);
      if (stepEl) { stepEl.textContent = d.title || "—"; }
      showNext(d.step);
    });
    // An edit of the programme (on the ceremony's day too) shows at once on every screen.
    es.addEventListener("programme", function (ev) {
      var d = JSON.parse(ev.data);
      steps = d.steps || [];
      if (stepEl) { stepEl.textContent = d.current_title || "—"; }
      if (nextEl) { nextEl.textContent = d.next_title || "—"; }
    });
    es.addEventListener("launch", function (ev) {
      var d = JSON.parse(ev.data);
      launchAt = d.launch_at_ms;
      root.setAttribute("data-launch-at-ms", String(launchAt));
      startCountdown();
      var lt = root.querySelector("[data-launch-text]");
      if (lt) { lt.textContent = "· " + (labels["launch.done"] || "") + " " + fmtVN(launchAt); }
    });
    es.addEventListener("points", function () { window.location.reload(); });
    es.addEventListener("point", function (ev) { updatePoint(root, labels, JSON.parse(ev.data)); });

    // Countdown and launch animation, at the same instant on every screen.
    var cd = document.getElementById("countdown");
    var cdNum = document.getElementById("countdown-number");
    var launched = document.getElementById("launched");
    var ticking = false;
    function tick() {
      var left = launchAt - serverNow();
      if (left > 0) {
        if (cd) { cd.hidden = false; cdNum.textContent = String(Math.ceil(left / 1000)); }
        root.setAttribute("data-phase", "countdown");
        setTimeout(tick, Math.min(100, left));
        return;
      }
      ticking = false;
      if (cd) { cd.hidden = true; }
      if (launched) { launched.hidden = false; }
      root.setAttribute("data-phase", "launched");
    }
    function startCountdown() {
      if (!launchAt || ticking) { return; }
      ticking = true;
      tick();
    }
    syncClock().then(function () {
      root.setAttribute("data-clock-offset-ms", String(Math.round(offset)));
      startCountdown();
    });
    setInterval(syncClock, 60000);

    // Heartbeats of a bridge point's screen.
    var hbURL = root.getAttribute("data-heartbeat-url");
    if (hbURL) {
      var every = parseInt(root.getAttribute("data-heartbeat-ms") || "10000", 10);
      var beat = function () { api("POST", hbURL).catch(function () { /* the next beat retries */ }); };
      beat();
      setInterval(beat, every);
    }

    // The control room derives "lost" from heartbeats it has not seen.
    if (root.hasAttribute("data-lost-after-ms")) {
      setInterval(function () { recount(root, labels); }, 5000);
    }
  }

  // stateAt mirrors ceremony.Point.StateAt.
  function stateAt(row, lostAfter) {
    var onAir = row.getAttribute("data-on-air") === "true";
    var hb = parseInt(row.getAttribute("data-heartbeat-ms") || "0", 10);
    if (onAir && serverNow() - hb > lostAfter) { return "lost"; }
    if (onAir) { return "on_air"; }
    return parseInt(row.getAttribute("data-checklist-done"), 10) === 6 ? "ready" : "not_ready";
  }

  function updatePoint(root, labels, p) {
    var row = root.querySelector('[data-point-id="' + p.id + '"]');
    if (!row) { return; }
    row.setAttribute("data-on-air", p.on_air ? "true" : "false");
    row.setAttribute("data-heartbeat-ms", p.last_heartbeat ? String(Date.parse(p.last_heartbeat)) : "0");
    var done = 0;
    ["line", "camera", "microphone", "screen", "sound", "rehearsal"].forEach(function (k) { if (p.checklist[k]) { done++; } });
    row.setAttribute("data-checklist-done", String(done));
    var actual = 0;
    (p.attendance || []).forEach(function (a) { actual += a.actual; });
    row.setAttribute("data-actual", String(actual));
    var c = row.querySelector("[data-checklist]");
    if (c) { c.textContent = String(done); }
    var a = row.querySelector("[data-actual]");
    if (a) { a.textContent = String(actual); }
    var hb = row.querySelector("[data-heartbeat]");
    if (hb && p.last_heartbeat) { hb.textContent = fmtVN(Date.parse(p.last_heartbeat)); }
    recount(root, labels);
  }

  function recount(root, labels) {
    var lostAfter = parseInt(root.getAttribute("data-lost-after-ms") || "60000", 10);
    var counts = { not_ready: 0, ready: 0, on_air: 0, lost: 0, total: 0, actual: 0, expected: 0 };
    root.querySelectorAll("[data-point-id]").forEach(function (row) {
      var st = stateAt(row, lostAfter);
      if (row.getAttribute("data-state") !== st) {
        row.setAttribute("data-state", st);
        var t = row.querySelector("[data-state-text]");
        if (t) { t.textContent = labels[st] || st; t.className = "state state-" + st; }
      }
      counts[st]++;
      counts.total++;
      counts.actual += parseInt(row.getAttribute("data-actual") || "0", 10);
      counts.expected += parseInt(row.getAttribute("data-expected") || "0", 10);
    });
    Object.keys(counts).forEach(function (k) {
      var el = root.querySelector('[data-count="' + k + '"]');
      if (el) { el.textContent = String(counts[k]); }
    });
    // A point whose state changed may now match the filter, or no longer.
    if (applyPointFilter) { applyPointFilter(); }
  }

  // ---- Control room: filter by state and by name; paged on a phone. ----
  // Every row stays in the page (the counts above are summed from the rows, and live events update
  // rows in place); the filter only hides them. The IOC's big screen shows every match at once.
  var applyPointFilter = null;
  function fold(s) {
    // Vietnamese typed without its marks still finds the point: "ba to" finds "Ba Tơ".
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  }
  function initPointFilter() {
    var form = document.getElementById("point-filter");
    var table = document.getElementById("points");
    if (!form || !table || !table.tBodies.length) { return; }
    var stateSel = document.getElementById("pf-state");
    var q = document.getElementById("pf-q");
    var more = document.getElementById("points-more");
    var none = document.getElementById("points-none");
    var shownEl = form.querySelector("[data-shown]");
    var matchingEl = form.querySelector("[data-matching]");
    var phone = window.matchMedia("(max-width: 600px)");
    var page = parseInt(form.getAttribute("data-phone-page") || "20", 10);
    var limit = page;
    function wanted(row) {
      var st = row.getAttribute("data-state");
      var f = stateSel.value;
      if (f === "problem" && st !== "not_ready" && st !== "lost") { return false; }
      if (f && f !== "problem" && st !== f) { return false; }
      var needle = fold(q.value.trim());
      if (!needle) { return true; }
      if (row.pfName === undefined) {
        // The point's name and, where shown, its district.
        var where = row.querySelector("[data-district]");
        row.pfName = fold(row.cells[0].textContent + (where ? " " + where.textContent : ""));
      }
      return row.pfName.indexOf(needle) >= 0;
    }
    function apply() {
      var paged = phone.matches;
      var matching = 0;
      var shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var ok = wanted(row);
        if (ok) { matching++; }
        var show = ok && (!paged || shown < limit);
        if (show) { shown++; }
        row.hidden = !show;
      });
      shownEl.textContent = String(shown);
      matchingEl.textContent = String(matching);
      more.hidden = shown >= matching;
      none.hidden = matching > 0;
    }
    function restart() { limit = page; apply(); }
    stateSel.addEventListener("change", restart);
    q.addEventListener("input", restart);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    more.addEventListener("click", function () { limit += page; apply(); });
    if (phone.addEventListener) { phone.addEventListener("change", apply); }
    form.hidden = false;
    applyPointFilter = apply;
    apply();
  }

  function init() {
    initLaunch();
    initLaunchState();
    initChecklist();
    initPointFilter();
    initLive();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
