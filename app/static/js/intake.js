// The intake page with JavaScript: map with a draggable pin, "use my location",
// address search and reverse lookup, photo GPS offer, photos shrunk in the browser,
// live checks (outside the town, "Schon gemeldet?") and the offline queue.
// Without JavaScript the same form posts to /melden and works on its own.
/* global L, MMExif, MMQueue */
(function () {
  "use strict";

  var form = document.getElementById("report-form");
  var configNode = document.getElementById("intake-config");
  if (!form || !configNode || !window.fetch) { return; }
  var cfg = JSON.parse(configNode.textContent);
  var msg = cfg.messages;
  var $ = function (id) { return document.getElementById(id); };
  var latInput = $("lat"), lonInput = $("lon"), addressInput = $("address"), photoInput = $("photos");
  var feedback = $("location-feedback"), queueStatus = $("queue-status");

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }  // never markup from data
    return node;
  }
  function apiGet(url, params) {
    var query = Object.keys(params).filter(function (k) { return params[k] !== null && params[k] !== ""; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); }).join("&");
    return fetch(url + "?" + query, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); });
  }
  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }
  // Numbers as the reader writes them: "51,96525" on German pages (the server reads both).
  var decimal = (1.5).toLocaleString(cfg.lang).indexOf(",") >= 0 ? "," : ".";
  function formatNumber(value, digits) { return value.toFixed(digits).replace(".", decimal); }
  function parseCoordinate(value, limit) {
    var number = parseFloat(String(value || "").trim().replace(",", "."));
    return isFinite(number) && Math.abs(number) <= limit ? number : null;
  }
  function selectedCategory() {
    var checked = form.querySelector("input[name=category]:checked");
    return checked ? checked.value : "";
  }

  // A fresh key per filled-in form: a kept copy of the page must not reuse an old one.
  var keyInput = form.querySelector("input[name=idempotency_key]");
  keyInput.value = newKey();

  // ------------------------------------------------------------------ map and pin
  var map = null, marker = null;
  var addressEdited = addressInput.value.trim() !== "";
  addressInput.addEventListener("input", function () { addressEdited = addressInput.value.trim() !== ""; });

  // The pin: a 44 px target (thumb-sized) drawn like the public map's pins.
  function pinIcon() {
    return L.divIcon({ className: "marker-report marker-open intake-pin", iconSize: [44, 44], iconAnchor: [22, 40],
                       html: "<span class=\"visually-hidden\"></span>" });
  }

  function setPin(lat, lon, source) {
    latInput.value = formatNumber(lat, 6);
    lonInput.value = formatNumber(lon, 6);
    if (map) {
      if (!marker) {
        marker = L.marker([lat, lon], { draggable: true, title: msg.pinTitle, alt: msg.pinTitle, autoPan: true,
                                        icon: pinIcon(), keyboard: true });
        marker.on("dragend", function () {
          var p = marker.getLatLng();
          setPin(p.lat, p.lng, "drag");
        });
        marker.addTo(map);
      } else {
        marker.setLatLng([lat, lon]);
      }
      if (source !== "map" && source !== "drag") { map.setView([lat, lon], Math.max(map.getZoom(), 17)); }
    }
    if (source !== "typed") { addressEdited = false; }
    pinChanged();
    updateSummary();
  }

  function initMap() {
    if (!window.L || !$("map")) { return; }
    $("map-tools").hidden = false;
    $("map-box").hidden = false;
    map = L.map("map", { scrollWheelZoom: false, tap: true });
    L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution, maxZoom: 19 }).addTo(map);
    if (cfg.bounds) { map.fitBounds(cfg.bounds); } else { map.setView([51.96, 8.23], 13); }
    map.on("click", function (e) { setPin(e.latlng.lat, e.latlng.lng, "map"); });
    $("pin-to-centre").addEventListener("click", function () {
      var c = map.getCenter();
      setPin(c.lat, c.lng, "map");
    });
    var lat = parseCoordinate(latInput.value, 90), lon = parseCoordinate(lonInput.value, 180);
    if (lat !== null && lon !== null) { setPin(lat, lon, "typed"); }
  }

  function typedCoordinates() {
    var lat = parseCoordinate(latInput.value, 90), lon = parseCoordinate(lonInput.value, 180);
    if (lat !== null && lon !== null) { setPin(lat, lon, "typed"); }
  }
  latInput.addEventListener("change", typedCoordinates);
  lonInput.addEventListener("change", typedCoordinates);

  // ---------------------------------------- after the pin moved: town check, address, duplicates
  var lastCheck = 0;
  var pinChanged = debounce(function () {
    var lat = parseCoordinate(latInput.value, 90), lon = parseCoordinate(lonInput.value, 180);
    if (lat === null || lon === null) { return; }
    var run = ++lastCheck;
    var parts = [format(msg.pinSet, { lat: formatNumber(lat, 5), lon: formatNumber(lon, 5) })];
    apiGet(cfg.locationUrl, { lat: lat, lon: lon, category: selectedCategory() }).then(function (body) {
      if (run !== lastCheck) { return; }
      if (!body.inside) {
        showLocationProblem(body.message);
        $("duplicates").hidden = true;
        return;
      }
      clearLocationProblem();
      if (body.department) { parts.push(msg.department + " " + body.department + "."); }
      feedback.textContent = parts.join(" ");
      reverseLookup(lat, lon, run, parts);
      findDuplicates(lat, lon, run);
    }).catch(function () { feedback.textContent = parts.join(" "); });
  }, 250);

  function reverseLookup(lat, lon, run, parts) {
    apiGet(cfg.reverseUrl, { lat: lat, lon: lon }).then(function (body) {
      if (run !== lastCheck || !body || !body.result) { return; }
      feedback.textContent = parts.concat([msg.addressAtPin + " " + body.result.label + "."]).join(" ");
      if (!addressEdited) { addressInput.value = body.result.label; updateSummary(); }
    }).catch(function () { /* the reverse lookup is a comfort, not a requirement */ });
  }

  function showLocationProblem(message) {
    clearLocationProblem();
    var p = el("p", { "class": "field-error", id: "location-live-error", role: "alert" }, message);
    feedback.parentNode.insertBefore(p, feedback);
    [latInput, lonInput].forEach(function (input) {
      input.setAttribute("aria-invalid", "true");
      addDescribedBy(input, "location-live-error");
    });
    feedback.textContent = "";
  }
  function clearLocationProblem() {
    var old = $("location-live-error");
    if (old) { old.parentNode.removeChild(old); }
    [latInput, lonInput].forEach(function (input) {
      input.removeAttribute("aria-invalid");
      removeDescribedBy(input, "location-live-error");
    });
  }

  function findDuplicates(lat, lon, run) {
    var category = selectedCategory();
    var box = $("duplicates"), list = $("duplicates-list");
    if (!category) { box.hidden = true; return; }
    apiGet(cfg.nearbyUrl, { lat: lat, lon: lon, category: category, radius: cfg.duplicateRadius }).then(function (body) {
      if (run !== lastCheck) { return; }
      var reports = (body && body.reports) || [];
      list.textContent = "";
      reports.forEach(function (report) {
        var item = el("li");
        var link = el("a", { href: report.url }, (report.category_label || report.category) + " " + report.reference);
        item.appendChild(link);
        item.appendChild(document.createTextNode(" – " + report.status_label + ", " +
          format(msg.distance, { m: Math.round(report.distance_m) })));
        if (cfg.followUrl) { item.appendChild(followControls(report)); }
        list.appendChild(item);
      });
      box.hidden = reports.length === 0;
    }).catch(function () { box.hidden = true; });
  }
  form.addEventListener("change", function (e) {
    if (e.target.name === "category") { pinChanged(); }
  });

  function followControls(report) {
    var wrap = el("div", { "class": "follow" });
    var open = el("button", { type: "button", "class": "follow-open" }, msg.follow);
    var id = "follow-" + report.reference;
    var panel = el("div", { "class": "follow-panel", hidden: "" });
    var label = el("label", { "for": id }, msg.followEmail);
    var input = el("input", { id: id, type: "email", autocomplete: "email", maxlength: "254" });
    var send = el("button", { type: "button" }, msg.followSend);
    var result = el("p", { role: "status", "aria-live": "polite" });
    panel.appendChild(label); panel.appendChild(input); panel.appendChild(send); panel.appendChild(result);
    open.addEventListener("click", function () { panel.hidden = false; input.focus(); });
    send.addEventListener("click", function () {
      var data = new FormData();
      data.append("reference", report.reference);
      data.append("email", input.value);
      fetch(cfg.followUrl, { method: "POST", body: data, credentials: "same-origin",
                             headers: { "Accept": "application/json", "X-Requested-With": "fetch" } })
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (body.errors) { result.className = "field-error"; result.textContent = body.errors[0].message; input.setAttribute("aria-invalid", "true"); }
          else { result.className = ""; result.textContent = body.message; input.removeAttribute("aria-invalid"); }
        }).catch(function () { result.textContent = msg.serverError; });
    });
    wrap.appendChild(open); wrap.appendChild(panel);
    return wrap;
  }

  // ------------------------------------------------------------------ my location
  $("locate-me").addEventListener("click", function () {
    if (!navigator.geolocation) { feedback.textContent = msg.locateFailed; return; }
    feedback.textContent = msg.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPin(pos.coords.latitude, pos.coords.longitude, "geolocation");
    }, function () { feedback.textContent = msg.locateFailed; }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });

  // ------------------------------------------------------------------ address search
  var searchButton = $("address-search"), results = $("address-results");
  searchButton.hidden = false;
  var lastSearch = 0;
  // typing: suggestions appear while the focus stays in the field; Enter or the button: the
  // focus moves to the first suggestion.
  function searchAddress(typing) {
    var query = addressInput.value.trim();
    if (query.length < 3) { results.hidden = true; return; }
    var run = ++lastSearch;
    if (!typing) { feedback.textContent = msg.searching; }
    apiGet(cfg.geocodeUrl, { q: query, limit: 5 }).then(function (body) {
      if (run !== lastSearch) { return; }
      var found = (body && body.results) || [];
      results.textContent = "";
      if (!found.length) {
        results.hidden = true;
        if (!typing) { feedback.textContent = msg.noAddress; }
        return;
      }
      feedback.textContent = msg.chooseAddress;
      found.forEach(function (hit) {
        var item = el("li");
        var button = el("button", { type: "button", "class": "link-button" }, hit.label);
        button.addEventListener("click", function () {
          addressInput.value = hit.label;
          results.hidden = true;
          setPin(hit.lat, hit.lon, "search");
          addressEdited = true;
          addressInput.focus();
        });
        item.appendChild(button);
        results.appendChild(item);
      });
      results.hidden = false;
      if (!typing) { results.querySelector("button").focus(); }
    }).catch(function () { if (!typing) { feedback.textContent = msg.searchUnavailable; } });
  }
  var suggest = debounce(function () { searchAddress(true); }, 300);
  addressInput.addEventListener("input", function () { if (addressEdited) { suggest(); } });
  searchButton.addEventListener("click", function () { searchAddress(false); });
  addressInput.addEventListener("keydown", function (e) {
    if (e.key === "Enter") { e.preventDefault(); searchAddress(false); }
    if (e.key === "Escape") { results.hidden = true; }
  });

  // ------------------------------------------------------------------ photos
  var prepared = [];            // [{blob, name}] as they will be sent
  var photosReady = Promise.resolve();
  var photoGps = null;

  function shrink(file) { return MMQueue.shrink(file, cfg.photoLongSide); }

  // Photos from the camera button and from the gallery add up (one camera shot per tap on a
  // phone); each preview has a button that takes its photo out again.
  var galleryInput = $("photos-gallery");
  function renderPreviews() {
    var previews = $("photo-previews");
    previews.textContent = "";
    prepared.forEach(function (item, index) {
      var li = el("li");
      if (/^image\/(jpeg|png|webp)$/.test(item.blob.type)) {
        var img = el("img", { alt: format(msg.photoPreview, { n: index + 1 }) });
        img.src = item.url || (item.url = URL.createObjectURL(item.blob));
        li.appendChild(img);
      } else {
        li.appendChild(el("span", { "class": "photo-name" }, item.name));
      }
      var remove = el("button", { type: "button", "class": "photo-remove" }, format(msg.photoRemove, { n: index + 1 }));
      remove.addEventListener("click", function () {
        prepared.splice(index, 1);
        renderPreviews();
        (prepared.length ? previews.querySelector(".photo-remove") : photoInput).focus();
      });
      li.appendChild(remove);
      previews.appendChild(li);
    });
    updateSummary();
  }
  function addPhotos(input) {
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) { return; }
    var first = prepared.length === 0 ? files[0] : null;
    var gpsRead = first ? first.slice(0, 1024 * 1024).arrayBuffer().then(function (buf) { return MMExif.readGps(buf); })
      .catch(function () { return null; }) : Promise.resolve(photoGps);
    // GPS first, then shrink: the shrunk copy no longer carries the position.
    photosReady = photosReady.then(function () { return gpsRead; }).then(function (gps) {
      photoGps = gps;
      $("photo-gps").hidden = !gps;
      return Promise.all(files.map(shrink));
    }).then(function (items) {
      prepared = prepared.concat(items);
      input.value = "";  // the same photo may be chosen again after removing it
      renderPreviews();
    });
  }
  photoInput.addEventListener("change", function () { addPhotos(photoInput); });
  galleryInput.addEventListener("change", function () { addPhotos(galleryInput); });
  $("use-photo-gps").addEventListener("click", function () {
    if (!photoGps) { return; }
    setPin(photoGps.lat, photoGps.lon, "photo");
    $("photo-gps").hidden = true;
    feedback.textContent = msg.photoGpsUsed;
  });

  // ------------------------------------------------------------------ errors
  function addDescribedBy(node, id) {
    var ids = (node.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (ids.indexOf(id) < 0) { ids.push(id); }
    node.setAttribute("aria-describedby", ids.join(" "));
  }
  function removeDescribedBy(node, id) {
    var ids = (node.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== id; });
    if (ids.length) { node.setAttribute("aria-describedby", ids.join(" ")); } else { node.removeAttribute("aria-describedby"); }
  }

  var FIELD_CONTROLS = {
    category: function () { return Array.prototype.slice.call(form.querySelectorAll("input[name=category]")); },
    description: function () { return [$("description")]; },
    location: function () { return [latInput, lonInput]; },
    address: function () { return [addressInput]; },
    photos: function () { return [photoInput, galleryInput]; },
    email: function () { return [$("email")]; },
    name: function () { return []; }
  };

  function clearErrors() {
    var summary = $("error-summary");
    if (summary) { summary.parentNode.removeChild(summary); }
    Array.prototype.forEach.call(form.querySelectorAll(".field-error[data-field]"), function (node) {
      node.parentNode.removeChild(node);
    });
    Object.keys(FIELD_CONTROLS).forEach(function (field) {
      FIELD_CONTROLS[field]().forEach(function (control) {
        control.removeAttribute("aria-invalid");
        removeDescribedBy(control, field + "-error");
      });
    });
    // errors rendered by the server for the plain form
    Array.prototype.forEach.call(form.querySelectorAll("p.field-error[id$='-error']"), function (node) {
      node.parentNode.removeChild(node);
    });
  }

  function showErrors(errors) {
    clearErrors();
    var summary = el("div", { "class": "error-summary", role: "alert", tabindex: "-1", id: "error-summary" });
    summary.appendChild(el("h2", {}, msg.summaryTitle));
    var list = el("ul");
    errors.forEach(function (error) {
      // An error without a field of the form (e.g. "too large", "too many requests")
      // is only listed in the summary.
      var field = FIELD_CONTROLS[error.field] ? error.field : null;
      var controls = field ? FIELD_CONTROLS[field]() : [];
      var target = controls[0] || $("description");
      if (field === "category") {
        target = form.querySelector("input[name=category]:checked") || target;
      }
      if (field === "location") { form.querySelector("details.coordinates").open = true; }
      if (field && !$(field + "-error")) {
        var p = el("p", { "class": "field-error", id: field + "-error", "data-field": field }, error.message);
        var anchor = field === "category" ? $("category-group").querySelector("legend").nextSibling
          : field === "location" ? $("location-hint").nextSibling : target;
        anchor.parentNode.insertBefore(p, anchor);
        controls.forEach(function (control) {
          control.setAttribute("aria-invalid", "true");
          addDescribedBy(control, field + "-error");
        });
      }
      var item = el("li");
      var link = el("a", { href: "#" + target.id }, error.message);
      item.appendChild(link);
      list.appendChild(item);
    });
    summary.appendChild(list);
    form.parentNode.insertBefore(summary, form);
    summary.focus();
  }

  function clientErrors() {
    var errors = [];
    if (!selectedCategory()) { errors.push({ field: "category", message: msg.category }); }
    if ($("description").value.trim().length < 3) { errors.push({ field: "description", message: msg.description }); }
    var hasPin = parseCoordinate(latInput.value, 90) !== null && parseCoordinate(lonInput.value, 180) !== null;
    if (!hasPin && !addressInput.value.trim()) { errors.push({ field: "location", message: msg.location }); }
    if (prepared.length > cfg.maxPhotos) { errors.push({ field: "photos", message: msg.tooManyPhotos }); }
    return errors;
  }

  // ------------------------------------------------------------------ sending and the queue
  function showQueue(nodes, kind) {
    queueStatus.textContent = "";
    queueStatus.className = "queue-status queue-" + kind;
    nodes.forEach(function (node) { queueStatus.appendChild(node); });
    queueStatus.hidden = false;
  }

  function entryFromForm() {
    var fields = [];
    var data = new FormData(form);
    data.forEach(function (value, name) {
      if (name !== "photos" && name !== "csrf_token" && name !== "idempotency_key") { fields.push([name, value]); }
    });
    return { key: keyInput.value, url: cfg.submitUrl + "?lang=" + encodeURIComponent(cfg.lang), fields: fields,
             photos: prepared.slice(), createdAt: Date.now(), attempts: 0 };
  }

  function resetForm() {
    form.reset();
    prepared = [];
    renderPreviews();
    $("duplicates").hidden = true;
    feedback.textContent = "";
    if (marker) { map.removeLayer(marker); marker = null; }
    keyInput.value = newKey();
  }

  function askForSync() {
    if (navigator.serviceWorker && navigator.serviceWorker.ready) {
      navigator.serviceWorker.ready.then(function (reg) {
        if (reg.sync) { return reg.sync.register("mm-send-reports"); }
      }).catch(function () { /* the page flushes on "online" anyway */ });
    }
  }

  var sendButton = $("send");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var errors = clientErrors();
    if (errors.length) { showErrors(errors); return; }
    sendButton.disabled = true;
    showQueue([el("p", {}, msg.sending)], "sending");
    photosReady.then(function () {
      var entry = entryFromForm();
      var queueIt = function (text) {
        return MMQueue.add(entry).then(function () {
          showQueue([el("p", {}, text)], "waiting");
          resetForm();
          askForSync();
        });
      };
      if (navigator.onLine === false) { return queueIt(msg.queued); }
      return MMQueue.send(entry).then(function (result) {
        if (result.status === "sent") {
          window.location.assign(result.body.confirmation_url);
          return;
        }
        if (result.status === "retry" && result.httpStatus !== 429) { return queueIt(msg.serverError); }
        queueStatus.hidden = true;
        showErrors((result.body && result.body.errors) || [{ field: null, message: msg.serverError }]);
      }, function () { return queueIt(msg.queued); });
    }).then(function () { sendButton.disabled = false; }, function () { sendButton.disabled = false; });
  });

  // Show what happened to reports sent from the queue (by this page or the service worker).
  function showResults() {
    return MMQueue.results().then(function (outcomes) {
      outcomes.sort(function (a, b) { return a.at - b.at; });
      outcomes.forEach(function (outcome) {
        if (outcome.status === "sent") {
          var p = el("p", {}, msg.queuedSent + " ");
          p.appendChild(el("strong", { "class": "reference" }, outcome.reference));
          var linkLine = el("p");
          linkLine.appendChild(el("a", { href: outcome.confirmationUrl }, msg.showConfirmation));
          showQueue([p, linkLine], "sent");
        } else {
          showQueue([el("p", {}, msg.queuedRefused)], "refused");
          (outcome.fields || []).forEach(function (pair) {
            var control = form.elements[pair[0]];
            if (!control) { return; }
            if (control.length && control[0] && control[0].type === "radio") {
              Array.prototype.forEach.call(control, function (r) { r.checked = r.value === pair[1]; });
            } else if (control.type !== "hidden") { control.value = pair[1]; }
          });
          showErrors(outcome.errors.length ? outcome.errors : [{ field: null, message: msg.queuedRefused }]);
        }
        MMQueue.forget(outcome.key);
      });
    });
  }

  function flush() {
    return MMQueue.flush().then(showResults, showResults);
  }

  window.addEventListener("online", flush);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "mm-queue-results") { showResults(); }
    });
    navigator.serviceWorker.register(cfg.serviceWorker, { scope: "/" }).catch(function () { /* page works without */ });
  }

  // ------------------------------------------------------------------ category search
  var searchBox = $("category-search"), searchResult = $("category-search-result");
  $("category-search-box").hidden = false;
  searchBox.addEventListener("input", function () {
    var words = searchBox.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    Array.prototype.forEach.call(form.querySelectorAll(".tile"), function (tile) {
      var text = tile.getAttribute("data-search");
      var match = words.every(function (w) { return text.indexOf(w) >= 0; });
      tile.hidden = !match && !tile.querySelector("input").checked;
      if (!tile.hidden) { shown += 1; }
    });
    Array.prototype.forEach.call(form.querySelectorAll(".category-block"), function (block) {
      block.hidden = !block.querySelector(".tile:not([hidden])");
    });
    searchResult.textContent = words.length ? format(msg.categoriesFound, { n: shown }) : "";
  });

  // ------------------------------------------------------------------ summary before sending
  function updateSummary() {
    var category = form.querySelector("input[name=category]:checked");
    var email = $("email").value.trim(), description = $("description").value.trim();
    var place = addressInput.value.trim() ||
      (latInput.value && lonInput.value ? latInput.value + "; " + lonInput.value : "");
    $("summary-photos").textContent = !prepared.length ? msg.none
      : prepared.length === 1 ? msg.photoOne : format(msg.photoCount, { n: prepared.length });
    $("summary-place").textContent = place || msg.missing;
    $("summary-category").textContent = category ? form.querySelector("label[for=" + category.id + "] .tile__name").textContent : msg.missing;
    $("summary-description").textContent = description || msg.missing;
    $("summary-email").textContent = email || msg.noEmail;
    $("summary").hidden = false;
  }
  form.addEventListener("input", updateSummary);
  form.addEventListener("change", updateSummary);
  updateSummary();

  initMap();
  MMQueue.waiting().then(function (waiting) {
    if (waiting.length) { showQueue([el("p", {}, msg.queued)], "waiting"); }
    return navigator.onLine === false ? null : flush();
  }).catch(function () { /* IndexedDB unavailable (private mode): sending still works online */ });
})();
