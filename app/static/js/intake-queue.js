// The offline queue for reports, shared by the intake page and the service worker.
// A report that could not be sent is kept in IndexedDB (text fields and the already
// shrunk photos as Blobs) and sent again later with the SAME Idempotency-Key, so a
// report that did reach the server before the connection dropped is never filed twice.
// Staff field mode keeps its changes made without signal in a queue of its own, made by
// the same factory (MMQueueFor("maengelmelder-field")); its sends carry a fresh CSRF token.
(function (root) {
  "use strict";

  var OUTBOX = "outbox";    // waiting to be sent
  var RESULTS = "results";  // sent or refused, until the page has shown the outcome

  function makeQueue(DB_NAME) {
    function openDb() {
      return new Promise(function (resolve, reject) {
        var request = root.indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          var db = request.result;
          if (!db.objectStoreNames.contains(OUTBOX)) { db.createObjectStore(OUTBOX, { keyPath: "key" }); }
          if (!db.objectStoreNames.contains(RESULTS)) { db.createObjectStore(RESULTS, { keyPath: "key" }); }
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }

    // Run fn(store) in one transaction; resolves with the value of the request fn returns.
    function withStore(name, mode, fn) {
      return openDb().then(function (db) {
        return new Promise(function (resolve, reject) {
          var tx = db.transaction(name, mode);
          var request = fn(tx.objectStore(name));
          tx.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
          tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
        });
      });
    }

    function put(name, value) { return withStore(name, "readwrite", function (s) { return s.put(value); }); }
    function remove(name, key) { return withStore(name, "readwrite", function (s) { return s.delete(key); }); }
    function all(name) { return withStore(name, "readonly", function (s) { return s.getAll(); }); }

    // POST one entry (with extra request headers, e.g. a CSRF token). Resolves
    // {status: "sent"|"refused"|"retry", body, httpStatus}; rejects (TypeError) when there
    // is no connection at all.
    function send(entry, extraHeaders) {
      var data = new FormData();
      entry.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
      entry.photos.forEach(function (photo) { data.append("photos", photo.blob, photo.name); });
      var headers = { "Idempotency-Key": entry.key, "Accept": "application/json" };
      Object.keys(extraHeaders || {}).forEach(function (name) { headers[name] = extraHeaders[name]; });
      return root.fetch(entry.url, {
        method: "POST", body: data, credentials: "same-origin", headers: headers
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.ok) { return { status: "sent", body: body, httpStatus: response.status }; }
          // 408/429/5xx: the server or the network path had a problem, not the report.
          if (response.status === 408 || response.status === 429 || response.status >= 500) {
            return { status: "retry", body: body, httpStatus: response.status };
          }
          return { status: "refused", body: body, httpStatus: response.status };
        });
      });
    }

    function record(entry, result) {
      var outcome = { key: entry.key, at: Date.now(), status: result.status, fields: entry.fields };
      if (result.status === "sent") {
        outcome.reference = result.body.reference;
        outcome.confirmationUrl = result.body.confirmation_url;
        outcome.fields = null;  // nothing personal kept once it arrived
      } else {
        outcome.errors = (result.body && result.body.errors) || [];
      }
      return put(RESULTS, outcome).then(function () { return remove(OUTBOX, entry.key); })
        .then(function () { return outcome; });
    }

    var flushing = null;

    // Send everything waiting (``only``, if given, picks the entries to send now; the others
    // keep waiting), one after the other. Resolves with the outcomes recorded in this run;
    // stops at the first network failure.
    function flush(extraHeaders, only) {
      if (flushing) { return flushing; }
      var outcomes = [];
      flushing = all(OUTBOX).then(function (entries) {
        entries = entries.filter(only || function () { return true; });
        entries.sort(function (a, b) { return a.createdAt - b.createdAt; });
        return entries.reduce(function (chain, entry) {
          return chain.then(function (stop) {
            if (stop) { return true; }
            return send(entry, extraHeaders).then(function (result) {
              if (result.status === "retry") {
                entry.attempts = (entry.attempts || 0) + 1;
                return put(OUTBOX, entry).then(function () { return true; });
              }
              return record(entry, result).then(function (o) { outcomes.push(o); return false; });
            }, function () { return true; });
          });
        }, Promise.resolve(false));
      }).then(function () { return outcomes; }, function () { return outcomes; });
      var done = function () { flushing = null; };
      flushing.then(done, done);
      return flushing;
    }

    return {
      send: send,
      flush: flush,
      record: record,
      add: function (entry) { entry.createdAt = entry.createdAt || Date.now(); return put(OUTBOX, entry); },
      waiting: function () { return all(OUTBOX); },
      results: function () { return all(RESULTS); },
      forget: function (key) { return remove(RESULTS, key); },
      shrink: shrinkPhoto
    };
  }

  // A photo re-encoded at most longSide px wide/high (orientation applied, metadata gone).
  // HEIC and anything the browser cannot decode go as they are: the server copes with
  // full-size originals (and strips their metadata too).
  function shrinkPhoto(file, longSide) {
    if (!root.createImageBitmap || !/^image\/(jpeg|png|webp)$/.test(file.type)) {
      return Promise.resolve({ blob: file, name: file.name });
    }
    return root.createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, longSide / Math.max(bitmap.width, bitmap.height));
      var canvas = root.document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) { bitmap.close(); }
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob ? { blob: blob, name: file.name.replace(/\.[^.]*$/, "") + ".jpg" } : { blob: file, name: file.name });
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return { blob: file, name: file.name }; });
  }

  root.MMQueueFor = makeQueue;
  root.MMQueue = makeQueue("maengelmelder-intake");
})(typeof self !== "undefined" ? self : this);
