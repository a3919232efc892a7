/* The small map on a report page: where the report is, nothing else. */
(function () {
  "use strict";
  var el = document.getElementById("report-map");
  if (!el || typeof L === "undefined") { return; }
  var point = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
  var map = L.map(el, { scrollWheelZoom: false, zoomControl: true }).setView(point, 17);
  L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
  L.circleMarker(point, { radius: 10, color: "#003e6b", weight: 3, fillColor: "#005a9c", fillOpacity: 0.7,
                          interactive: false }).addTo(map);
}());
