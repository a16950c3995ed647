// Lan Tỏa — the exam page. The server keeps the time and the correct answers; this script only
// starts or resumes the attempt, shows its questions, saves each answer as it is chosen and
// submits. Reloading the page (or losing the connection) resumes the same attempt.
(function () {
  "use strict";
  var root = document.getElementById("exam");
  if (!root) { return; }
  var courseID = root.dataset.course;
  var status = document.getElementById("exam-status");
  var timerEl = document.getElementById("timer");
  var form = document.getElementById("exam-form");
  var list = document.getElementById("questions");
  var attempt = null;
  var deadline = 0;
  var ticking = null;

  function say(msg) { status.textContent = msg; }

  function api(method, url, body, token) {
    var opts = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    // An answer carries its attempt's save token: the server checks it instead of reading the
    // session (and falls back to the session if the token is refused).
    if (token) { opts.headers["X-Lantoa-Save-Token"] = token; }
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { var e = new Error((j.error && j.error.message) || r.statusText); e.status = r.status; throw e; }
        return j;
      });
    });
  }

  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    timerEl.textContent = m + ":" + (s < 10 ? "0" : "") + s;
    if (left <= 0 && attempt && !attempt.submitted) {
      clearInterval(ticking);
      // Time is up: the server submits what was saved; fetching the attempt shows the result.
      api("GET", "/api/v1/attempts/" + attempt.id).then(show).catch(function (e) { say(e.message); });
    }
  }

  function save(qid, input) {
    var boxes = list.querySelectorAll("input[name='q" + qid + "']");
    var choices = [];
    boxes.forEach(function (b) { if (b.checked) { choices.push(Number(b.value)); } });
    say(root.dataset.msgSaving);
    input.disabled = true;
    api("PUT", "/api/v1/attempts/" + attempt.id + "/answers/" + qid, { choices: choices }, attempt.save_token)
      .then(function () { say(root.dataset.msgSaved); })
      .catch(function (e) { say(root.dataset.msgFailed + " " + e.message); if (e.status === 409) { reload(); } })
      .finally(function () { input.disabled = false; });
  }

  function render(a) {
    list.textContent = "";
    a.questions.forEach(function (q, i) {
      var li = document.createElement("li");
      li.className = "question";
      li.dataset.question = q.id;
      var p = document.createElement("p");
      p.textContent = q.text;
      li.appendChild(p);
      q.options.forEach(function (o) {
        var label = document.createElement("label");
        label.className = "option";
        var input = document.createElement("input");
        input.type = q.type === "multiple" ? "checkbox" : "radio";
        input.name = "q" + q.id;
        input.value = o.id;
        input.checked = q.choices.indexOf(o.id) >= 0;
        input.addEventListener("change", function () { save(q.id, input); });
        label.appendChild(input);
        label.appendChild(document.createTextNode(" " + o.text));
        li.appendChild(label);
      });
      list.appendChild(li);
    });
  }

  function showResult(r) {
    form.hidden = true;
    clearInterval(ticking);
    timerEl.textContent = "0:00";
    document.getElementById("exam-result").hidden = false;
    var msg = (r.passed ? root.dataset.msgPassed : root.dataset.msgFailedExam) + " " + r.score + "/100 (" + r.correct + "/" + r.total + ")";
    document.getElementById("result-text").textContent = msg;
    if (r.certificate_code) {
      document.getElementById("result-cert").hidden = false;
      document.getElementById("cert-pdf").href = "/api/v1/certificates/" + r.certificate_code + "/export?format=pdf";
      document.getElementById("cert-verify").href = "/verify/" + r.certificate_code;
    }
  }

  function show(a) {
    attempt = a;
    if (a.submitted && a.result) { showResult(a.result); return; }
    deadline = Date.now() + a.remaining_seconds * 1000;
    render(a);
    form.hidden = false;
    tick();
    clearInterval(ticking);
    ticking = setInterval(tick, 1000);
  }

  function reload() {
    if (attempt) { api("GET", "/api/v1/attempts/" + attempt.id).then(show).catch(function (e) { say(e.message); }); }
  }

  function start() {
    api("POST", "/api/v1/courses/" + courseID + "/attempts").then(show).catch(function (e) { say(e.message); });
  }

  document.getElementById("exam-submit").addEventListener("click", function () {
    if (!attempt || !window.confirm(root.dataset.msgConfirm)) { return; }
    api("POST", "/api/v1/attempts/" + attempt.id + "/submit").then(showResult).catch(function (e) { say(e.message); });
  });

  if (root.dataset.canStart === "true") {
    start();
  } else {
    // The lobby: count down to this learner's own start time (spread at random over the start
    // window by the server), then enable the start button. The server refuses an earlier start.
    var until = Date.now() + (Number(root.dataset.wait) || 0) * 1000;
    var waitEl = document.getElementById("lobby-wait");
    var startBtn = document.getElementById("lobby-start");
    say(root.dataset.msgWait);
    var countdown = function () {
      var left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor(left / 60) % 60, s = left % 60;
      if (waitEl) { waitEl.textContent = (h > 0 ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (s < 10 ? "0" : "") + s; }
      if (left <= 0) {
        clearInterval(lobby);
        if (startBtn) { startBtn.disabled = false; startBtn.focus(); }
        say(root.dataset.msgReady);
      }
    };
    var lobby = setInterval(countdown, 500);
    countdown();
    if (startBtn) {
      startBtn.addEventListener("click", function () {
        startBtn.disabled = true;
        api("POST", "/api/v1/courses/" + courseID + "/attempts").then(function (a) {
          var l = document.getElementById("lobby"); if (l) { l.hidden = true; }
          show(a);
        }).catch(function (e) { startBtn.disabled = false; say(e.message); });
      });
    }
  }
})();
