/* The public map: draws the reports of the visible area from the map API.
 * folium's generated script (/karte/karte.js) has created the Leaflet map as a
 * global named like the map element. Everything citizens typed is put into the
 * page with textContent, never as HTML. */
(function () {
  "use strict";
  var el = document.querySelector(".folium-map[data-clusters-url]");
  if (!el || typeof L === "undefined" || !window[el.id]) { return; }
  var map = window[el.id];
  var d = el.dataset;
  var form = document.getElementById("report-filter");
  var statusBox = document.getElementById("map-status");
  var permalink = document.getElementById("permalink");
  var listLink = document.getElementById("list-link");
  var layer = L.layerGroup().addTo(map);
  var controller = null;
  var timer = null;
  var moving = false;
  // The report marker whose popup is open. Opening a popup near the edge pans the map, and the
  // reload after that pan must not take the marker (and so the popup) away under the reader.
  var openMarker = null;
  var FILTERS = ["kategorie", "status"];

  function t(key, n) { return (d["t" + key] || "").replace("{n}", n); }

  var start = new URLSearchParams(window.location.search);
  var lat = parseFloat(start.get("lat")), lon = parseFloat(start.get("lon")), zoom = parseInt(start.get("z"), 10);
  // The start view is not a move the visitor made: no animation (and no second load after it).
  if (isFinite(lat) && isFinite(lon)) {
    map.setView([lat, lon], isFinite(zoom) ? zoom : map.getZoom(), { animate: false });
  }

  function filterValues() {
    var values = {};
    FILTERS.forEach(function (name) {
      var field = form && form.elements[name];
      if (field && field.value) { values[name] = field.value; }
    });
    return values;
  }

  function apiQuery(values) {
    var q = new URLSearchParams();
    if (values.kategorie) { q.set("category", values.kategorie); }
    if (values.status === "offen") { q.set("status", "open"); }
    else if (values.status === "geschlossen") { q.set("status", "closed"); }
    else if (values.status === "erledigt") { q.set("status", "erledigt"); q.set("changed_within_days", d.recentlyFixedDays); }
    var b = map.getBounds();
    q.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); }).join(","));
    return q;
  }

  function updateLinks() {
    var values = filterValues();
    var centre = map.getCenter();
    var q = new URLSearchParams(values);
    q.set("lat", centre.lat.toFixed(5));
    q.set("lon", centre.lng.toFixed(5));
    q.set("z", String(map.getZoom()));
    var url = window.location.pathname + "?" + q.toString();
    window.history.replaceState(null, "", url);
    if (permalink) { permalink.href = url; }
    if (listLink) {
      var lq = new URLSearchParams(values).toString();
      listLink.href = listLink.pathname + (lq ? "?" + lq : "");
    }
  }

  function getJson(url, signal) {
    return fetch(url, { signal: signal, headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (className) { node.className = className; }
    return node;
  }

  function popupFor(reference, marker) {
    var box = document.createElement("div");
    box.className = "map-popup";
    box.appendChild(text("p", t("Loading")));
    getJson(d.popupUrl.replace("REF", encodeURIComponent(reference))).then(function (info) {
      box.textContent = "";
      var head = document.createElement("p");
      head.className = "map-popup__head";
      // The category's icon from the page's sprite (decorative; the name follows). Only a plain
      // icon name is used to build the reference, never markup from the answer.
      if (/^[a-z0-9-]+$/.test(info.category_icon || "") && document.getElementById("i-" + info.category_icon)) {
        var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        svg.setAttribute("class", "icon");
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("focusable", "false");
        svg.setAttribute("viewBox", "0 0 24 24");
        var use = document.createElementNS("http://www.w3.org/2000/svg", "use");
        use.setAttribute("href", "#i-" + info.category_icon);
        svg.appendChild(use);
        head.appendChild(svg);
        head.appendChild(document.createTextNode(" "));
      }
      head.appendChild(text("strong", info.category_label));
      head.appendChild(document.createTextNode(" – " + info.status_label));
      box.appendChild(head);
      if (info.address) { box.appendChild(text("p", info.address)); }
      box.appendChild(text("p", info.description === null ? t("NoDescription") : info.description, "citizen-text"));
      var link = text("a", t("OpenReport") + " " + info.reference);
      link.href = info.url;
      box.appendChild(link);
      refit(marker);
    }).catch(function () { box.textContent = t("Error"); refit(marker); });
    return box;
  }

  // The popup's text arrives after it opened (and after Leaflet panned the map for the small
  // "loading" box): lay it out again so that Leaflet pans the whole popup into view.
  function refit(marker) {
    var popup = marker && marker.getPopup();
    if (popup && popup.isOpen()) { popup.update(); }
  }

  // Popups fit a 320-360 px phone: never wider than the map minus room for the pan.
  function popupOptions() {
    return { maxWidth: Math.max(160, Math.min(260, map.getSize().x - 80)), maxHeight: Math.round(map.getSize().y * 0.6),
             autoPanPadding: [12, 12] };
  }

  function latLngOf(feature) {
    var c = feature.geometry.coordinates;
    return L.latLng(c[1], c[0]);
  }

  function clusterMarker(feature) {
    var n = feature.properties.count;
    var label = text("span", String(n));
    var size = n < 10 ? 32 : n < 100 ? 38 : n < 1000 ? 44 : 52;
    var marker = L.marker(latLngOf(feature), {
      icon: L.divIcon({ html: label, className: "marker-cluster", iconSize: [size, size] }),
      title: t("Cluster", n), keyboard: true, riseOnHover: true
    });
    marker.on("click", function zoomIn() {
      // Leaflet silently drops a setView while a zoom animation runs: zoom in once the map is at rest.
      if (moving) { map.once("moveend", zoomIn); return; }
      map.setView(marker.getLatLng(), Math.min(map.getZoom() + 2, map.getMaxZoom()));
    });
    return marker;
  }

  function reportMarker(latlng, reference, kind, title) {
    var hidden = text("span", title, "visually-hidden");
    var marker = L.marker(latlng, {
      icon: L.divIcon({ html: hidden, className: "marker-report marker-" + kind, iconSize: [44, 44],
                        iconAnchor: [22, 40], popupAnchor: [0, -36] }),
      title: title, keyboard: true
    });
    // One content box per opening: Leaflet asks for the content again when the popup is laid
    // out anew (refit), and must get the same box back, not a new request.
    var box = null;
    marker.bindPopup(function () { return box || (box = popupFor(reference, marker)); }, popupOptions());
    marker.on("popupopen", function () { openMarker = marker; });
    marker.on("popupclose", function () { box = null; if (openMarker === marker) { openMarker = null; } });
    return marker;
  }

  function draw(features, mode) {
    var kept = openMarker;
    var keptStays = false;
    layer.eachLayer(function (m) { if (m !== kept) { layer.removeLayer(m); } });
    var shown = 0;
    features.forEach(function (f) {
      var p = f.properties || {};
      if (mode === "clusters" && p.count > 1) {
        layer.addLayer(clusterMarker(f));
        shown += p.count;
      } else if (p.reference) {
        var closed = p.status_closed || ["erledigt", "nicht_zustaendig", "abgelehnt", "duplikat"].indexOf(p.status) >= 0;
        // A single pin of a cluster view is coloured by its status too ("single-open"/"single-closed").
        var kind = mode === "reports" ? (closed ? "closed" : "open") : "single" + (p.status ? " single-" + (closed ? "closed" : "open") : "");
        var title = mode === "reports" ? p.category_label + " – " + p.status_label + " (" + p.reference + ")" : t("Report") + " " + p.reference;
        shown += 1;
        if (kept && kept.options.title === title && kept.getLatLng().equals(latLngOf(f))) {
          keptStays = true;  // the same marker, popup open: leave it as it is
          return;
        }
        layer.addLayer(reportMarker(latLngOf(f), p.reference, kind, title));
      }
    });
    if (kept && !keptStays) { layer.removeLayer(kept); }
    el.dataset.mode = mode;
    el.dataset.state = "loaded";
    el.dataset.shown = String(shown);
    if (window.performance && performance.mark && !el.dataset.firstDrawn && shown > 0) {
      el.dataset.firstDrawn = "1";
      performance.mark("mm-first-markers");
    }
    statusBox.textContent = t("Shown", shown);
  }

  function load() {
    if (controller) { controller.abort(); }
    controller = new AbortController();
    var signal = controller.signal;
    var q = apiQuery(filterValues());
    var cq = new URLSearchParams(q);
    cq.set("zoom", String(map.getZoom()));
    el.dataset.state = "loading";
    getJson(d.clustersUrl + "?" + cq.toString(), signal).then(function (clusters) {
      var features = clusters.features || [];
      var split = features.every(function (f) { return (f.properties.count || 1) <= 1; });
      if (!split || features.length === 0 || features.length > parseInt(d.detailLimit, 10)) {
        draw(features, "clusters");
        return null;
      }
      // The server no longer clusters here: fetch the details (category, status) of each report.
      return getJson(d.reportsUrl + "?" + q.toString(), signal).then(function (reports) {
        draw(reports.features || [], "reports");
      });
    }).catch(function (err) {
      if (err && err.name === "AbortError") { return; }
      el.dataset.state = "error";
      statusBox.textContent = t("Error");
    });
  }

  function refresh() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      if (moving) { return; }  // a filter changed mid-animation: the coming moveend loads
      updateLinks();
      load();
    }, 200);
  }

  // A load still pending for the view being left would run mid-animation (Leaflet already
  // reports the target zoom then) and mark a view "loaded" the map has not reached yet:
  // drop it, and let the moveend of the new view load that.
  map.on("movestart", function () {
    moving = true;
    window.clearTimeout(timer);
    if (controller) { controller.abort(); controller = null; }
    el.dataset.state = "moving";
  });
  map.on("moveend", function () { moving = false; refresh(); });
  if (form) {
    form.addEventListener("change", refresh);
    form.addEventListener("submit", function (event) { event.preventDefault(); refresh(); });
  }
  updateLinks();
  load();
}());
