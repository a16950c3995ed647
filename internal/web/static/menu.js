// The phone menu. It runs where it is loaded, right after the header's markup and before the page
// below it is drawn, so a phone never shows the whole menu and then folds it away. Without
// JavaScript the menu simply stays open.
(function () {
  "use strict";
  var header = document.currentScript && document.currentScript.parentElement;
  var toggle = header && header.querySelector("#menu-toggle");
  var menu = header && header.querySelector("#site-menu");
  if (!toggle || !menu) {
    return;
  }
  header.classList.add("foldable");
  toggle.hidden = false;
  function set(open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    header.classList.toggle("open", open);
  }
  toggle.addEventListener("click", function () {
    set(toggle.getAttribute("aria-expanded") !== "true");
  });
  // Escape closes the menu and gives the focus back to its button, as a disclosure should.
  header.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && header.classList.contains("open")) {
      set(false);
      toggle.focus();
    }
  });
})();
