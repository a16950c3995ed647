// Lan Tỏa — the exam page. The server keeps the time and the correct answers and renders the
// start step and the result; this script only counts the lobby down to the learner's start time,
// and, once the "Bắt đầu làm bài" form has started an attempt, shows its questions, saves each
// answer as it is chosen and submits. Reloading the page (or losing the connection) resumes the
// same attempt.
(function () {
  "use strict";

  // The lobby: count down to this learner's own start time (spread at random over the start
  // window by the server), then enable the start button. The server refuses an earlier start.
  var lobby = document.getElementById("lobby");
  var startBtn = document.getElementById("exam-start");
  if (lobby && startBtn) {
    var until = Date.now() + (Number(lobby.dataset.wait) || 0) * 1000;
    var waitEl = document.getElementById("lobby-wait");
    var lobbyStatus = document.getElementById("lobby-status");
    var timer = null;
    var countdown = function () {
      var left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor(left / 60) % 60, s = left % 60;
      waitEl.textContent = (h > 0 ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (s < 10 ? "0" : "") + s;
      if (left <= 0) {
        clearInterval(timer);
        startBtn.disabled = false;
        startBtn.focus();
        lobbyStatus.textContent = lobby.dataset.msgReady;
      }
    };
    timer = setInterval(countdown, 500);
    countdown();
  }

  var root = document.getElementById("exam");
  if (!root) { return; }
  var status = document.getElementById("exam-status");
  var timerEl = document.getElementById("timer");
  var form = document.getElementById("exam-form");
  var list = document.getElementById("questions");
  var confirmBox = document.getElementById("exam-confirm");
  var attempt = null;
  var deadline = 0;
  var ticking = null;
  // pending[qid] is true while an answer to that question is on its way, "again" when the
  // learner changed it meanwhile: the newest choice is sent once the first save returns. The
  // inputs stay enabled, so keyboard focus never leaves the option being chosen.
  var pending = {};
  // inflight holds the saves on their way; a submission waits for them (and for the saves they
  // send again) so that the last choice is scored.
  var inflight = [];

  function say(msg) { status.textContent = msg; }

  // The result is the server's page: it shows the score, the certificate and what is left.
  function done() { window.location.reload(); }

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
      // Time is up: the server submits what was saved when the attempt is read again.
      api("GET", "/api/v1/attempts/" + attempt.id).then(done).catch(function (e) { say(e.message); });
    }
  }

  function choicesOf(qid) {
    var choices = [];
    list.querySelectorAll("input[name='q" + qid + "']").forEach(function (b) { if (b.checked) { choices.push(Number(b.value)); } });
    return choices;
  }

  function save(qid) {
    if (pending[qid]) { pending[qid] = "again"; return; }
    pending[qid] = true;
    var li = list.querySelector("li[data-question='" + qid + "']");
    li.setAttribute("aria-busy", "true");
    say(root.dataset.msgSaving);
    var p = api("PUT", "/api/v1/attempts/" + attempt.id + "/answers/" + qid, { choices: choicesOf(qid) }, attempt.save_token)
      .then(function () { say(root.dataset.msgSaved); })
      .catch(function (e) { say(root.dataset.msgFailed + " " + e.message); if (e.status === 409) { done(); } })
      .finally(function () {
        inflight.splice(inflight.indexOf(p), 1);
        var again = pending[qid] === "again";
        pending[qid] = false;
        li.removeAttribute("aria-busy");
        if (again) { save(qid); }
      });
    inflight.push(p);
  }

  function settled() {
    return inflight.length ? Promise.all(inflight.slice()).then(settled) : Promise.resolve();
  }

  function render(a) {
    list.textContent = "";
    a.questions.forEach(function (q) {
      var li = document.createElement("li");
      li.className = "question";
      li.dataset.question = q.id;
      // Each question is a group named by its text, so a screen reader says which question an
      // option belongs to, and the arrow keys move between one radio group's options.
      var group = document.createElement("fieldset");
      var legend = document.createElement("legend");
      legend.textContent = q.text;
      group.appendChild(legend);
      q.options.forEach(function (o) {
        var label = document.createElement("label");
        label.className = "option";
        var input = document.createElement("input");
        input.type = q.type === "multiple" ? "checkbox" : "radio";
        input.name = "q" + q.id;
        input.value = o.id;
        input.checked = q.choices.indexOf(o.id) >= 0;
        input.addEventListener("change", function () { save(q.id); });
        var text = document.createElement("span");
        text.textContent = o.text;
        label.appendChild(input);
        label.appendChild(text);
        group.appendChild(label);
      });
      li.appendChild(group);
      list.appendChild(li);
    });
  }

  function show(a) {
    attempt = a;
    if (a.submitted) { done(); return; }
    deadline = Date.now() + a.remaining_seconds * 1000;
    render(a);
    form.hidden = false;
    say("");
    tick();
    clearInterval(ticking);
    ticking = setInterval(tick, 1000);
  }

  document.getElementById("exam-submit").addEventListener("click", function () {
    if (!attempt) { return; }
    var unanswered = 0;
    attempt.questions.forEach(function (q) { if (choicesOf(q.id).length === 0) { unanswered++; } });
    document.getElementById("exam-unanswered").textContent = unanswered > 0 ? root.dataset.msgUnanswered.replace("{n}", unanswered) : "";
    confirmBox.hidden = false;
    document.getElementById("exam-confirm-yes").focus();
  });
  document.getElementById("exam-confirm-no").addEventListener("click", function () {
    confirmBox.hidden = true;
    document.getElementById("exam-submit").focus();
  });
  document.getElementById("exam-confirm-yes").addEventListener("click", function () {
    var yes = this;
    yes.disabled = true;
    settled().then(function () {
      return api("POST", "/api/v1/attempts/" + attempt.id + "/submit");
    }).then(done).catch(function (e) {
      yes.disabled = false;
      say(e.message);
      if (e.status === 409) { done(); }
    });
  });

  api("GET", "/api/v1/attempts/" + root.dataset.attempt).then(show).catch(function (e) { say(e.message); });
})();
