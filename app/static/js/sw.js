// Service worker of the Mängelmelder (served as /sw.js so that its scope is the whole site).
// - keeps the intake page and its assets so the form opens without a connection;
// - sends reports waiting in the offline queue when the browser regains a connection
//   (Background Sync where available; the page itself also flushes on "online").
// POST requests and the JSON API are never intercepted or cached.
/* global MMQueue */
importScripts("/static/js/intake-queue.js");

var CACHE = "maengelmelder-v1";
var SHELL = [
  "/melden",
  "/static/css/app.css",
  "/static/css/intake.css",
  "/static/js/form-errors.js",
  "/static/js/intake.js",
  "/static/js/intake-exif.js",
  "/static/js/intake-queue.js",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/leaflet/images/marker-icon.png",
  "/static/vendor/leaflet/images/marker-icon-2x.png",
  "/static/vendor/leaflet/images/marker-shadow.png",
  "/static/img/icon-192.png"
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) {
    return;  // the network decides; nothing personal is ever cached
  }
  if (request.mode === "navigate") {
    if (url.pathname !== "/melden") { return; }
    // Network first (fresh form), the kept copy when offline.
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put("/melden", copy); });
      }
      return response;
    }).catch(function () { return caches.match("/melden"); }));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0) {
    // Cache first, refreshed in the background.
    event.respondWith(caches.match(request).then(function (cached) {
      var network = fetch(request).then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
        }
        return response;
      });
      return cached || network;
    }));
  }
});

function flushAndTell() {
  return MMQueue.flush().then(function (outcomes) {
    if (!outcomes.length) { return; }
    return self.clients.matchAll({ type: "window" }).then(function (clients) {
      clients.forEach(function (client) { client.postMessage({ type: "mm-queue-results" }); });
    });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag === "mm-send-reports") { event.waitUntil(flushAndTell()); }
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "mm-flush") { event.waitUntil(flushAndTell()); }
});
