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
})();
