// Lan Tỏa phone form of the community digital technology teams: records are queued in IndexedDB
// (per user), sent when there is a connection, retried with backoff, and never sent or shown under
// another user's session. Every record carries an id made here (crypto.randomUUID); the server
// stores it once whatever the number of retries.
(function () {
  "use strict";
  var root = document.getElementById("outreach");
  if (!root) { return; }
  var user = root.dataset.user;
  var CACHE = "lantoa-outreach-v1";
  var PAGE = "/outreach/form";
  var DB = "lantoa-outreach";
  var STORE = "queue";
  var msg = root.dataset;
  var db = null;
  var sending = false;
  var retryDelay = 2000;
  var retryTimer = null;

  function openDB() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        var s = req.result.createObjectStore(STORE, { keyPath: "id" });
        s.createIndex("user", "user", { unique: false });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode) { return db.transaction(STORE, mode).objectStore(STORE); }

  function done(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  // mine returns this user's entries only, oldest first.
  function mine() {
    return done(tx("readonly").index("user").getAll(user)).then(function (list) {
      return list.sort(function (a, b) { return a.created - b.created; });
    });
  }

  function put(entry) { return done(tx("readwrite").put(entry)); }

  // forgetOthers drops what other users left that is no longer needed (sent or refused entries);
  // their waiting records stay until they log in again, and are never shown here.
  function forgetOthers() {
    return done(tx("readonly").getAll()).then(function (all) {
      var store = tx("readwrite");
      all.forEach(function (e) {
        if (e.user !== user && e.status !== "waiting") { store.delete(e.id); }
      });
    });
  }

  function mask(p) { return p && p.length >= 8 ? p.slice(0, 4) + "***" + p.slice(-3) : (p ? "***" : ""); }

  function render() {
    return mine().then(function (list) {
      var waiting = list.filter(function (e) { return e.status === "waiting"; }).length;
      document.getElementById("pending-count").textContent = String(waiting);
      root.dataset.pending = String(waiting);
      var ul = document.getElementById("recent");
      ul.textContent = "";
      list.slice(-20).reverse().forEach(function (e) {
        var li = document.createElement("li");
        var label = msg.msgWaiting;
        var cls = "tag warn";
        if (e.status === "sent") { label = msg.msgSent; cls = "tag"; }
        if (e.status === "refused") { label = msg.msgRefused + (e.error ? ": " + e.error : ""); cls = "tag warn"; }
        li.appendChild(document.createTextNode(e.label + " "));
        var tag = document.createElement("span");
        tag.className = cls;
        tag.textContent = label;
        li.appendChild(tag);
        li.dataset.status = e.status;
        ul.appendChild(li);
      });
    });
  }

  function showStatus() {
    var el = document.getElementById("net-status");
    el.textContent = navigator.onLine ? msg.msgOnline : msg.msgOffline;
    el.className = navigator.onLine ? "tag" : "tag warn";
  }

  function say(text) {
    var el = document.getElementById("form-message");
    el.textContent = text;
    el.hidden = !text;
  }

  function scheduleRetry() {
    if (retryTimer) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; send(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  // send posts the waiting entries one by one, oldest first; it stops at the first network
  // failure and tries again later.
  function send() {
    if (sending || !db) { return Promise.resolve(); }
    if (!navigator.onLine) { showStatus(); return Promise.resolve(); }
    sending = true;
    return mine().then(function (list) {
      var queue = list.filter(function (e) { return e.status === "waiting"; });
      var i = 0;
      function next() {
        if (i >= queue.length) { retryDelay = 2000; return refreshProgress(); }
        var e = queue[i++];
        return fetch(e.url, {
          method: "POST", credentials: "same-origin", cache: "no-store",
          headers: { "Content-Type": "application/json", "Accept": "application/json" },
          body: JSON.stringify(e.body)
        }).then(function (resp) {
          if (resp.status === 200 || resp.status === 201) {
            return resp.json().then(function (j) {
              e.status = "sent"; e.serverId = j.id; e.body = null;
              return put(e).then(render).then(next);
            });
          }
          if (resp.status === 401) { throw new Error("session"); }
          if (resp.status >= 500 || resp.status === 429 || resp.status === 0) { throw new Error("retry"); }
          return resp.json().catch(function () { return {}; }).then(function (j) {
            e.status = "refused"; e.error = (j.error && j.error.message) || String(resp.status);
            return put(e).then(render).then(next);
          });
        });
      }
      return next();
    }).catch(function () {
      scheduleRetry();
    }).then(function () { sending = false; });
  }

  function refreshProgress() {
    var el = document.getElementById("my-citizens");
    if (!el) { return; }
    return fetch("/api/v1/outreach/me", { credentials: "same-origin", cache: "no-store" }).then(function (resp) {
      return resp.ok ? resp.json() : null;
    }).then(function (j) { if (j) { el.textContent = String(j.citizens); } }).catch(function () {});
  }

  function checked(form, name) {
    return Array.prototype.slice.call(form.querySelectorAll("input[name=" + name + "]:checked")).map(function (i) { return i.value; });
  }

  function enqueue(entry) {
    entry.user = user;
    entry.status = "waiting";
    entry.created = Date.now();
    return put(entry).then(render).then(function () { say(msg.msgSaved); send(); });
  }

  function subjectOf(f) {
    var r = f.querySelector("input[name=subject]:checked");
    return r ? r.value : "citizen";
  }

  function onRecord(ev) {
    ev.preventDefault();
    var f = ev.target;
    var skills = checked(f, "skills");
    var first = f.querySelector("input[name=skills]");
    if (first) { first.setCustomValidity(skills.length ? "" : first.closest("fieldset").querySelector("legend").textContent); }
    var consent = f.consent.checked;
    var enterprise = subjectOf(f) === "enterprise";
    requireCitizen(f);
    if (!f.reportValidity()) { return; }
    var body = {
      client_id: crypto.randomUUID(),
      skills: skills,
      platforms: checked(f, "platforms"),
      guided_at: new Date().toISOString(),
      evidence: f.evidence.value.trim()
    };
    var label;
    if (enterprise) {
      // An enterprise is kept by name and tax code whatever the consent; its contact person is a
      // natural person, sent only with their consent, as a citizen is.
      body.enterprise = { name: f.enterprise_name.value.trim(), tax_code: f.tax_code.value.trim() };
      if (consent) {
        body.enterprise.contact_name = f.contact_name.value.trim();
        body.enterprise.contact_phone = f.contact_phone.value.trim();
      }
      label = body.enterprise.name + " · " + body.enterprise.tax_code;
    } else {
      // Without the citizen's consent nothing about them leaves the form, as the server would drop
      // it anyway: the guidance is recorded and counted without name, year of birth or phone.
      var phone = consent ? f.phone.value.trim() : "";
      body.citizen = consent ? { name: f.name.value.trim(), birth_year: parseInt(f.birth_year.value, 10), phone: phone } : {};
      label = consent ? body.citizen.name + (phone ? " · " + mask(phone.replace(/[^0-9+]/g, "")) : "") : msg.msgAnonymous;
    }
    if (consent) { body.consent = { given: true, version: msg.consentVersion }; }
    if (f.village_code && f.village_code.value) { body.village_code = f.village_code.value; }
    enqueue({ id: body.client_id, kind: "record", url: "/api/v1/outreach/records", body: body, label: label }).then(function () {
      f.reset();
      showSubject(f);
      f.querySelector("input[name=subject]:checked").focus();
    });
  }

  // requireCitizen asks for the citizen's name and year of birth only when they consented to
  // being recorded; without consent they are not sent at all. An enterprise's record asks for its
  // name and tax code instead, with or without consent.
  function requireCitizen(f) {
    var enterprise = subjectOf(f) === "enterprise";
    f.name.required = !enterprise && f.consent.checked;
    f.birth_year.required = !enterprise && f.consent.checked;
    f.enterprise_name.required = enterprise;
    f.tax_code.required = enterprise;
  }

  // showSubject shows the fields of the chosen subject and only the skills and platforms taught to
  // it: the server refuses a citizen's skill on an enterprise's record and the other way round.
  function showSubject(f) {
    var subject = subjectOf(f);
    document.getElementById("citizen-fields").hidden = subject !== "citizen";
    document.getElementById("enterprise-fields").hidden = subject !== "enterprise";
    f.querySelectorAll("label[data-audience]").forEach(function (l) {
      var off = l.dataset.audience !== subject;
      l.hidden = off;
      if (off) { l.querySelector("input").checked = false; }
    });
    requireCitizen(f);
  }

  function onVisit(ev) {
    ev.preventDefault();
    var f = ev.target;
    if (!f.reportValidity()) { return; }
    var body = { client_id: crypto.randomUUID(), household: f.household.value.trim(), outcome: f.outcome.value,
      note: f.note.value.trim(), visited_at: new Date().toISOString() };
    if (f.village_code && f.village_code.value) { body.village_code = f.village_code.value; }
    enqueue({ id: body.client_id, kind: "visit", url: "/api/v1/outreach/visits", body: body, label: body.household }).then(function () { f.reset(); });
  }

  // Before logging out: forget this user's sent entries and the cached copy of the form, so the
  // next person on this phone sees nothing of them. Waiting records stay, for this user only.
  function onLogout(ev) {
    var form = ev.target;
    if (form.dataset.cleaned) { return; }
    ev.preventDefault();
    var cleanup = mine().then(function (list) {
      var store = tx("readwrite");
      list.forEach(function (e) { if (e.status !== "waiting") { store.delete(e.id); } });
    }).catch(function () {}).then(function () {
      return window.caches ? caches.open(CACHE).then(function (c) { return c.delete(PAGE); }) : null;
    }).catch(function () {});
    cleanup.then(function () { form.dataset.cleaned = "1"; form.submit(); });
  }

  function offlineReady() {
    if (!("serviceWorker" in navigator) || !window.caches) { return; }
    navigator.serviceWorker.register("/outreach/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      var urls = [PAGE];
      document.querySelectorAll("script[src^='/static/'], link[rel=stylesheet][href^='/static/']").forEach(function (el) {
        urls.push(el.getAttribute("src") || el.getAttribute("href"));
      });
      return caches.open(CACHE).then(function (c) { return c.addAll(urls); });
    }).then(function () { root.dataset.offlineReady = "1"; }).catch(function () {});
  }

  openDB().then(function (d) {
    db = d;
    return forgetOthers();
  }).then(render).then(function () {
    root.dataset.ready = "1";
    showStatus();
    send();
  });
  if (navigator.storage && navigator.storage.persist) { navigator.storage.persist().catch(function () {}); }
  offlineReady();
  window.addEventListener("online", function () { showStatus(); retryDelay = 2000; send(); });
  window.addEventListener("offline", showStatus);
  document.getElementById("record-form").addEventListener("submit", onRecord);
  document.getElementById("visit-form").addEventListener("submit", onVisit);
  document.getElementById("send-now").addEventListener("click", function () { retryDelay = 2000; send(); });
  document.getElementById("record-form").addEventListener("change", function (ev) {
    if (ev.target.name === "skills") { ev.target.setCustomValidity(""); }
    if (ev.target.name === "consent") { requireCitizen(ev.currentTarget); }
    if (ev.target.name === "subject") { showSubject(ev.currentTarget); }
  });
  showSubject(document.getElementById("record-form"));
  document.querySelectorAll("form[action='/logout']").forEach(function (f) { f.addEventListener("submit", onLogout); });
  var deferred = null;
  window.addEventListener("beforeinstallprompt", function (ev) {
    ev.preventDefault();
    deferred = ev;
    document.getElementById("install").hidden = false;
  });
  document.getElementById("install").addEventListener("click", function () {
    if (deferred) { deferred.prompt(); deferred = null; }
    document.getElementById("install").hidden = true;
  });
})();
