// Lan Tỏa's page script: small progressive enhancements only; every page works without it.
(function () {
  "use strict";
  // Ask before irreversible actions (buttons with data-confirm).
  document.addEventListener("submit", function (ev) {
    var btn = ev.submitter;
    if (btn && btn.dataset && btn.dataset.confirm && !window.confirm(btn.dataset.confirm)) {
      ev.preventDefault();
    }
  });

  // The error summary of a refused form: the focus goes to it, so a screen reader reads it and a
  // keyboard user starts from it; each of its links leads to the field it names. The server knows
  // a field by its name, and a field's id is not always its name, so the link is pointed here.
  var summary = document.getElementById("error-summary");
  if (!summary) {
    return;
  }
  summary.querySelectorAll("a[data-field]").forEach(function (link) {
    var name = link.dataset.field;
    var field = document.getElementById(name) ||
      document.querySelector("main [name=\"" + (window.CSS && CSS.escape ? CSS.escape(name) : name) + "\"]");
    if (!field) {
      return;
    }
    if (!field.id) {
      field.id = "field-" + name;
    }
    field.setAttribute("aria-invalid", "true");
    link.href = "#" + field.id;
    link.addEventListener("click", function (ev) {
      ev.preventDefault();
      var label = document.querySelector("label[for=\"" + field.id + "\"]");
      (label || field).scrollIntoView({block: "center"});
      field.focus();
    });
  });
  summary.focus();
})();
