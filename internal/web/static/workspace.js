// Lan Tỏa workspace: a team member's records still waiting in this browser's queue (the phone form
// keeps them in IndexedDB until there is a connection). The database is only read, and only when
// the form has already made it: opening it here would create it without its store.
(function () {
  "use strict";
  var box = document.getElementById("ws-pending");
  if (!box || !window.indexedDB || !indexedDB.databases) { return; }
  var user = box.dataset.user;
  indexedDB.databases().then(function (list) {
    var known = list.some(function (d) { return d.name === "lantoa-outreach"; });
    if (!known) { return; }
    var req = indexedDB.open("lantoa-outreach");
    req.onsuccess = function () {
      var db = req.result;
      if (!db.objectStoreNames.contains("queue")) { db.close(); return; }
      var get = db.transaction("queue", "readonly").objectStore("queue").index("user").getAll(user);
      get.onsuccess = function () {
        var waiting = get.result.filter(function (e) { return e.status === "waiting"; }).length;
        db.close();
        if (waiting > 0) {
          document.getElementById("ws-pending-count").textContent = String(waiting);
          box.hidden = false;
        }
      };
    };
  });
})();
