// Lan Tỏa's rich-text editor for portal posts: a contenteditable area with a small toolbar (bold,
// italic, headings, lists, links, images uploaded to the portal). Without this script the form
// still works: the textarea takes HTML. The server sanitises whatever arrives.
(function () {
  "use strict";
  var root = document.querySelector("[data-editor]");
  if (!root) { return; }
  var textarea = root.querySelector("textarea[name=body_html]");
  var area = root.querySelector(".editor-area");
  var toolbar = root.querySelector(".editor-toolbar");
  var status = root.querySelector("[data-editor-status]");
  var form = textarea.form;
  var saved = null;

  area.innerHTML = textarea.value;
  textarea.hidden = true;
  area.hidden = false;
  toolbar.hidden = false;
  try { document.execCommand("defaultParagraphSeparator", false, "p"); } catch (e) { /* older browsers */ }

  function sync() { textarea.value = area.innerHTML; }
  function say(msg) { status.textContent = msg; }

  // The selection inside the area is remembered, because using a toolbar field moves the focus.
  function remember() {
    var sel = window.getSelection();
    if (sel.rangeCount && area.contains(sel.getRangeAt(0).commonAncestorContainer)) {
      saved = sel.getRangeAt(0).cloneRange();
    }
  }
  function restore() {
    area.focus();
    if (saved) {
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(saved);
    }
  }
  ["keyup", "mouseup", "input", "blur"].forEach(function (ev) { area.addEventListener(ev, remember); });
  area.addEventListener("input", sync);

  var blocks = { h2: "H2", h3: "H3", p: "P" };
  toolbar.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button[data-cmd]");
    if (!btn) { return; }
    var cmd = btn.dataset.cmd;
    restore();
    if (blocks[cmd]) {
      document.execCommand("formatBlock", false, blocks[cmd]);
    } else if (cmd === "ul") {
      document.execCommand("insertUnorderedList");
    } else if (cmd === "ol") {
      document.execCommand("insertOrderedList");
    } else if (cmd === "link") {
      var url = root.querySelector("[data-link-url]").value.trim();
      if (!/^(https?:\/\/|mailto:|\/)/.test(url)) {
        root.querySelector("[data-link-url]").focus();
        return;
      }
      document.execCommand("createLink", false, url);
    } else {
      document.execCommand(cmd);
    }
    remember();
    sync();
  });

  // Keyboard shortcuts beside the browser's own Ctrl+B / Ctrl+I: Ctrl+Alt+2 and 3 for headings.
  area.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey && ev.altKey && (ev.key === "2" || ev.key === "3")) {
      ev.preventDefault();
      document.execCommand("formatBlock", false, "H" + ev.key);
      sync();
    }
  });

  // Pasted content arrives as plain text; formatting from word processors is mostly noise that
  // the server would strip anyway.
  area.addEventListener("paste", function (ev) {
    var text = ev.clipboardData && ev.clipboardData.getData("text/plain");
    if (text) {
      ev.preventDefault();
      document.execCommand("insertText", false, text);
    }
  });

  var file = root.querySelector("input[type=file][data-upload]");
  file.addEventListener("change", function () {
    if (!file.files.length) { return; }
    var alt = root.querySelector("[data-image-alt]").value.trim();
    var data = new FormData();
    data.append("image", file.files[0]);
    data.append("alt", alt);
    say(file.dataset.busy);
    fetch(file.dataset.upload, { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) {
        return resp.json().then(function (body) {
          if (!resp.ok) { throw new Error((body.error && body.error.message) || file.dataset.error); }
          return body;
        });
      })
      .then(function (img) {
        var el = document.createElement("img");
        el.src = img.url;
        el.alt = alt;
        el.width = img.width;
        el.height = img.height;
        restore();
        var sel = window.getSelection();
        if (sel.rangeCount && area.contains(sel.getRangeAt(0).commonAncestorContainer)) {
          var range = sel.getRangeAt(0);
          range.collapse(false);
          range.insertNode(el);
        } else {
          area.appendChild(el);
        }
        file.value = "";
        sync();
        say(file.dataset.done);
      })
      .catch(function (err) { say(err.message || file.dataset.error); });
  });

  form.addEventListener("submit", sync);
})();
