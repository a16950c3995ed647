// Lan Tỏa service worker for the community digital technology teams' phone form.
// It is served from /outreach/sw.js with Service-Worker-Allowed: / and registered with scope "/",
// so that it also sees the logout and login: the cached copy of the form names the member, and is
// dropped whenever someone logs out or in, so the next person on a shared phone never sees it.
// Navigations to the form are network-first with the cached copy as the offline fallback;
// hashed static assets are cache-first (their names change with their content).
"use strict";
var CACHE = "lantoa-outreach-v1";
var PAGE = "/outreach/form";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (ev) { ev.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (ev) {
  var req = ev.request;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (req.method === "POST" && (url.pathname === "/logout" || url.pathname === "/login")) {
    ev.waitUntil(caches.open(CACHE).then(function (c) { return c.delete(PAGE); }));
    return;
  }
  if (req.method !== "GET") { return; }
  if (req.mode === "navigate" && url.pathname === PAGE) {
    ev.respondWith(fetch(req).then(function (resp) {
      if (resp.ok && !resp.redirected) {
        var copy = resp.clone();
        caches.open(CACHE).then(function (c) { return c.put(PAGE, copy); });
      } else if (resp.redirected || resp.status === 401 || resp.status === 403) {
        caches.open(CACHE).then(function (c) { return c.delete(PAGE); });
      }
      return resp;
    }).catch(function () {
      return caches.open(CACHE).then(function (c) { return c.match(PAGE); }).then(function (hit) {
        return hit || Response.error();
      });
    }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    ev.respondWith(caches.open(CACHE).then(function (c) {
      return c.match(req).then(function (hit) {
        if (hit) { return hit; }
        return fetch(req).then(function (resp) {
          if (resp.ok) { c.put(req, resp.clone()); }
          return resp;
        });
      });
    }));
  }
});
