// Service worker of the staff field mode (served as /intern/unterwegs/sw.js: its scope is the
// field pages only; the citizen pages keep their own worker, /sw.js).
// - the task list and task pages: network first, the kept copy without signal (a list sorted
//   for another position is better than none, so the query string is ignored as a last resort);
// - styles, scripts, fonts and photos the pages use: the kept copy first, refreshed behind it;
// - the page asks it to keep the list, every task page and the files the pages use
//   ("field-keep"), so a task opened for the first time without signal is there, styled and
//   with its script (the page that registered the worker loaded them before it was controlled).
// POSTs (closing a task, sent from the page's IndexedDB queue) are never intercepted.
var CACHE = "maengelmelder-field-v1";
var SCOPE = new URL(self.registration.scope).pathname;

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("maengelmelder-field-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function keep(request, response) {
  // A redirect (to the sign-in page) or an error is never kept in place of the page.
  if (response.ok && !response.redirected && response.type === "basic") {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
  }
  return response;
}

function kept(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      return hit || cache.match(request, { ignoreSearch: true });
    }).then(function (hit) { return hit || cache.match(SCOPE); });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    if (url.pathname.indexOf(SCOPE) !== 0) { return; }
    event.respondWith(fetch(request).then(function (response) {
      // Sent to the sign-in page: whoever used this phone is signed out, so their kept pages go.
      if (response.redirected) { caches.delete(CACHE); }
      return keep(request, response);
    }, function () { return kept(request).then(function (hit) { return hit || Response.error(); }); }));
    return;
  }
  if (["style", "script", "font", "image"].indexOf(request.destination) >= 0) {
    event.respondWith(caches.match(request).then(function (hit) {
      var network = fetch(request).then(function (response) { return keep(request, response); });
      if (hit) { network.catch(function () { /* offline: the kept copy serves */ }); return hit; }
      return network;
    }));
  }
});

self.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "field-keep") { return; }
  var pages = (event.data.pages || []).filter(function (u) {
    var url = new URL(u, self.location.href);
    return url.origin === self.location.origin && url.pathname.indexOf(SCOPE) === 0;
  });
  var assets = (event.data.assets || []).filter(function (u) {
    return new URL(u, self.location.href).origin === self.location.origin;
  });
  var urls = pages.concat(assets);
  event.waitUntil(Promise.all(urls.map(function (u) {
    return fetch(u, { credentials: "same-origin" }).then(function (response) {
      keep(new Request(u), response);
      return response.ok && !response.redirected ? 1 : 0;
    }, function () { return 0; });
  })).then(function (counts) {
    var count = counts.reduce(function (a, b) { return a + b; }, 0);
    if (event.source) { event.source.postMessage({ type: "field-kept", count: count }); }
  }));
});
