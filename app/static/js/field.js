// Field mode (/intern/unterwegs/): the clerk's tasks on a phone.
// - its own service worker (field-sw.js, scope /intern/unterwegs/) keeps the list and the task
//   pages, so they stay readable without signal;
// - "Erledigt melden" is always put into an IndexedDB queue first (the citizen intake's queue,
//   intake-queue.js, under another name) and sent from there with its Idempotency-Key and a
//   fresh CSRF token: at once when there is a connection, else when the network returns;
// - "In meiner Nähe" asks the phone for its position and reloads the list sorted by distance.
// Without script the pages work as plain forms and links.
(function () {
  "use strict";
  var page = document.getElementById("field-page");
  var cfg = JSON.parse(document.getElementById("field-config").textContent);
  var msg = cfg.msg;
  var queue = window.MMQueueFor("maengelmelder-field");
  var $ = function (id) { return document.getElementById(id); };

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return "field-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // ------------------------------------------------------------------ service worker
  function askWorkerToKeep(pages) {
    if (!navigator.serviceWorker) { return; }
    var assets = [];
    Array.prototype.forEach.call(document.querySelectorAll("link[rel=stylesheet], link[rel=preload], script[src]"),
      function (node) { assets.push(node.href || node.src); });
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.active) { reg.active.postMessage({ type: "field-keep", pages: pages, assets: assets }); }
    });
  }
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "field-kept") { page.setAttribute("data-kept", String(event.data.count)); }
    });
    navigator.serviceWorker.register(cfg.serviceWorker, { scope: cfg.scope }).catch(function () { /* works without */ });
  }

  // ------------------------------------------------------------------ connection state
  var offlineNote = $("offline-note");
  function showConnection() {
    if (offlineNote) { offlineNote.hidden = navigator.onLine !== false; }
  }
  window.addEventListener("offline", showConnection);
  showConnection();

  // ------------------------------------------------------------------ the queue
  var queueBox = $("field-queue");
  function say(lines) {
    if (!queueBox) { return; }
    queueBox.textContent = "";
    lines.forEach(function (line) { queueBox.appendChild(el("p", {}, line)); });
    queueBox.hidden = lines.length === 0;
  }

  function showQueue() {
    return Promise.all([queue.waiting(), queue.results()]).then(function (both) {
      var waiting = both[0], results = both[1];
      var lines = [];
      results.sort(function (a, b) { return a.at - b.at; });
      results.forEach(function (outcome) {
        var ref = outcome.reference || "";
        (outcome.fields || []).forEach(function (pair) { if (pair[0] === "reference") { ref = pair[1]; } });
        if (outcome.status === "sent") {
          lines.push(format(msg.sent, { ref: ref }));
        } else {
          var problem = (outcome.errors || []).map(function (e) { return e.message; }).join(" ");
          lines.push(format(msg.refused, { ref: ref, message: problem }));
        }
      });
      if (waiting.length) { lines.push(format(msg.waiting, { n: waiting.length })); }
      if (waiting.some(function (entry) { return entry.user !== cfg.user; })) { lines.push(msg.otherUser); }
      say(lines);
      var waitingIds = waiting.map(function (entry) { return String(entry.reportId); });
      Array.prototype.forEach.call(document.querySelectorAll(".task-card"), function (card) {
        card.querySelector(".task-waiting").hidden = waitingIds.indexOf(card.getAttribute("data-report-id")) < 0;
      });
      // Shown once on the list; a result is forgotten after it was shown there.
      if (page.getAttribute("data-page") === "list") {
        results.forEach(function (outcome) { queue.forget(outcome.key); });
      }
      page.setAttribute("data-waiting", String(waiting.length));
    });
  }

  // The queue's record() keeps a refused change's fields (the reference is one of them, so the
  // message can name the report) and a sent one's reference from the server's answer.
  var flushing = null;
  function flush() {
    if (flushing) { return flushing; }
    flushing = queue.waiting().then(function (waiting) {
      if (!waiting.length) { return; }
      return fetch(cfg.tokenUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (response.redirected || !response.ok) { say([msg.signIn]); return null; }
          return response.json();
        })
        .then(function (body) {
          if (!body || !body.csrf_token) { return; }
          // A phone shared by a crew: a change goes out only under the account that made it
          // (the server takes the signed-in clerk as the one who acted); others keep waiting.
          var mine = function (entry) { return entry.user === body.user; };
          return queue.flush({ "X-CSRFToken": body.csrf_token }, mine);
        }, function () { /* still no connection */ });
    }).then(showQueue, showQueue);
    var done = function () { flushing = null; };
    flushing.then(done, done);
    return flushing;
  }
  window.addEventListener("online", function () { showConnection(); flush(); });
  // A change may wait while the phone has signal but the server was unreachable: try again now and then.
  window.setInterval(function () { if (navigator.onLine !== false) { flush(); } }, 30000);

  // ------------------------------------------------------------------ the list
  if (page.getAttribute("data-page") === "list") {
    var links = Array.prototype.map.call(document.querySelectorAll(".task-link"), function (a) { return a.href; });
    askWorkerToKeep([window.location.href].concat(links));
    var nearMe = $("near-me");
    if (navigator.geolocation) {
      nearMe.hidden = false;
      nearMe.addEventListener("click", function () {
        nearMe.disabled = true;
        navigator.geolocation.getCurrentPosition(function (pos) {
          window.location.assign(cfg.listUrl + "?lat=" + pos.coords.latitude.toFixed(6) + "&lon=" +
                                 pos.coords.longitude.toFixed(6));
        }, function () {
          nearMe.disabled = false;
          $("near-me-problem").hidden = false;
          $("ort").focus();
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
    var generated = $("generated-at");
    if (generated) {
      generated.textContent = new Date(generated.getAttribute("datetime")).toLocaleString(document.documentElement.lang,
        { dateStyle: "short", timeStyle: "short" });
    }
  }

  // ------------------------------------------------------------------ one task: "Erledigt melden"
  var form = $("done-form");
  if (form) {
    var prepared = [];
    var photosReady = Promise.resolve();
    var input = $("after-photo"), previews = $("after-previews"), status = $("done-status");
    var render = function () {
      previews.textContent = "";
      prepared.forEach(function (item, index) {
        var li = el("li");
        if (/^image\/(jpeg|png|webp)$/.test(item.blob.type)) {
          var img = el("img", { alt: format(msg.photoPreview, { n: index + 1 }) });
          img.src = item.url || (item.url = URL.createObjectURL(item.blob));
          li.appendChild(img);
        } else {
          li.appendChild(el("span", {}, item.name));
        }
        var remove = el("button", { type: "button" }, format(msg.photoRemove, { n: index + 1 }));
        remove.addEventListener("click", function () { prepared.splice(index, 1); render(); input.focus(); });
        li.appendChild(remove);
        previews.appendChild(li);
      });
    };
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files);
      input.value = "";  // the next tap adds another photo
      photosReady = Promise.all(files.map(function (f) { return queue.shrink(f, cfg.photoLongSide); }))
        .then(function (items) { prepared = prepared.concat(items); render(); });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = $("done-button");
      button.disabled = true;
      photosReady.then(function () {
        var entry = {
          key: newKey(), url: form.action, reportId: page.getAttribute("data-report-id"), user: cfg.user,
          fields: [["note", $("note").value], ["publish_photos", $("publish_photos").checked ? "1" : ""],
                   ["reference", page.getAttribute("data-reference")]],
          photos: prepared.slice(), attempts: 0
        };
        return queue.add(entry);
      }).then(function () {
        status.hidden = false;
        status.textContent = navigator.onLine === false ? msg.queued : msg.sending;
        return flush();
      }).then(function () {
        return queue.waiting();
      }).then(function (waiting) {
        if (!waiting.length) { window.location.assign(cfg.listUrl); return; }
        status.textContent = "";
        status.appendChild(el("p", {}, msg.queued));
        var back = el("p");
        back.appendChild(el("a", { href: cfg.listUrl }, msg.back));
        status.appendChild(back);
        page.setAttribute("data-queued", "1");
      });
    });
  }

  // Send what waits (e.g. from an earlier visit), and show it.
  if (navigator.onLine !== false) { flush(); } else { showQueue(); }
})();
