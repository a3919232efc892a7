// The staff queue's map: one marker per report of this page, coloured by status;
// selecting a row highlights its marker and the other way round. The list works without it.
(function () {
  "use strict";
  var el = document.getElementById("queue-map");
  var data = document.getElementById("queue-markers");
  if (!el || !data || typeof L === "undefined") { return; }
  var markers = JSON.parse(data.textContent || "[]");
  var map = L.map(el, { keyboard: true });
  L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
  var byId = {};
  var bounds = [];
  function select(id, scroll) {
    document.querySelectorAll(".queue-row.selected").forEach(function (row) { row.classList.remove("selected"); });
    Object.keys(byId).forEach(function (key) {
      var icon = byId[key].getElement();
      if (icon) { icon.classList.toggle("selected", String(key) === String(id)); }
    });
    var row = document.getElementById("row-" + id);
    if (row) {
      row.classList.add("selected");
      if (scroll) { row.scrollIntoView({ block: "nearest" }); }
    }
    if (byId[id]) { map.panTo(byId[id].getLatLng()); }
  }
  markers.forEach(function (m) {
    var icon = L.divIcon({ className: "staff-marker status-" + m.status, iconSize: [16, 16] });
    var marker = L.marker([m.lat, m.lon], { icon: icon, title: m.ref + " – " + m.label, alt: m.ref, keyboard: true })
      .addTo(map);
    marker.on("click", function () { select(m.id, true); });
    marker.on("keypress", function (e) { if (e.originalEvent.key === "Enter") { window.location = m.url; } });
    byId[m.id] = marker;
    bounds.push([m.lat, m.lon]);
  });
  if (bounds.length) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 }); }
  else { map.setView([51.962, 8.229], 12); }
  document.querySelectorAll(".queue-row").forEach(function (row) {
    var id = row.dataset.reportId;
    row.addEventListener("click", function (e) {
      if (e.target.tagName === "A" || e.target.tagName === "INPUT") { return; }
      select(id, false);
    });
    row.addEventListener("focusin", function () { select(id, false); });
  });
})();
