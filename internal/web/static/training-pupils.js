// Lan Tỏa — pupils' accounts created by their school. Uploads the roster to the API; a file with
// wrong lines comes back with every line and nothing created; a good one starts a job whose
// progress is polled until the list of one-time passwords can be downloaded.
(function () {
  "use strict";
  var form = document.getElementById("pupils-form");
  if (!form) { return; }
  var status = document.getElementById("pupils-status");
  var bar = document.getElementById("pupils-progress");
  var errors = document.getElementById("pupils-errors");
  var lines = document.getElementById("pupils-error-lines");
  var done = document.getElementById("pupils-done");
  var button = document.getElementById("pupils-submit");

  function say(msg) { status.textContent = msg; }

  // The job lives in the database, so any instance answers; its key (never stored by the server)
  // stays in this page: sent in a header when polling, and in the download links' address because
  // a plain link cannot send a header.
  function poll(id, key) {
    fetch("/api/v1/pupil-imports/" + encodeURIComponent(id), { headers: { "Accept": "application/json", "X-Pupil-Job-Key": key }, credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.error) { say(j.error.message); button.disabled = false; return; }
        bar.max = j.total; bar.value = j.done;
        say(form.dataset.msgProgress.replace("%s", j.done + "/" + j.total));
        if (j.state === "queued" || j.state === "running") { setTimeout(function () { poll(id, key); }, 700); return; }
        button.disabled = false;
        if (j.state === "failed") { bar.hidden = true; say(j.message); return; }
        bar.hidden = true;
        say("");
        var base = "/api/v1/pupil-imports/" + encodeURIComponent(id) + "/credentials/export?k=" + encodeURIComponent(key) + "&format=";
        document.getElementById("pupils-pdf").href = base + "pdf";
        document.getElementById("pupils-xlsx").href = base + "xlsx";
        done.hidden = false;
      })
      .catch(function (e) { say(e.message); button.disabled = false; });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var data = new FormData(form);
    button.disabled = true;
    errors.hidden = true; done.hidden = true; lines.textContent = "";
    fetch("/api/v1/orgs/" + form.dataset.school + "/pupils/import", { method: "POST", body: data, headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); })
      .then(function (res) {
        if (res.status !== 202) {
          button.disabled = false;
          say(res.body.error ? res.body.error.message : String(res.status));
          var list = (res.body.error && res.body.error.errors) || [];
          // Each cell carries its column's heading: on a phone the headings are hidden.
          var heads = lines.closest("table").querySelectorAll("thead th");
          list.forEach(function (e) {
            var tr = document.createElement("tr");
            var a = document.createElement("td"); a.textContent = e.line ? String(e.line) : "";
            var b = document.createElement("td"); b.textContent = e.message;
            a.setAttribute("data-label", heads[0].textContent);
            b.setAttribute("data-label", heads[1].textContent);
            tr.appendChild(a); tr.appendChild(b); lines.appendChild(tr);
          });
          errors.hidden = list.length === 0;
          return;
        }
        bar.hidden = false; bar.max = res.body.total; bar.value = 0;
        poll(res.body.id, res.body.key);
      })
      .catch(function (e) { say(e.message); button.disabled = false; });
  });
})();
