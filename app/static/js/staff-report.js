// Report detail: small map, Textbausteine into the note field, rectangle drawing for redaction.
(function () {
  "use strict";
  var el = document.getElementById("report-map");
  if (el && typeof L !== "undefined") {
    var pos = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
    var map = L.map(el).setView(pos, 17);
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
    var marker = L.marker(pos, { keyboard: false, draggable: true }).addTo(map);
    // Dragging the pin fills the correction form's coordinates (German decimal comma, as typed).
    marker.on("dragend", function () {
      var p = marker.getLatLng();
      var lat = document.getElementById("corr-lat"), lon = document.getElementById("corr-lon");
      if (lat && lon) {
        lat.value = p.lat.toFixed(6).replace(".", ",");
        lon.value = p.lng.toFixed(6).replace(".", ",");
      }
    });
  }
  var templates = JSON.parse((document.getElementById("text-templates") || {}).textContent || "[]");
  var pick = document.getElementById("template");
  var note = document.getElementById("public_note");
  if (pick && note) {
    pick.addEventListener("change", function () {
      var chosen = templates.filter(function (t) { return String(t.id) === pick.value; })[0];
      if (chosen) {
        note.value = chosen.body;
        var status = document.getElementById("status");
        if (chosen.status && status) { status.value = chosen.status; }
      }
    });
  }
  // Drag on a photo to fill the redaction rectangle's percent fields.
  document.querySelectorAll(".redact-area").forEach(function (area) {
    var img = area.querySelector("img");
    var form = area.parentNode.querySelector(".redact-form");
    var box = null, start = null;
    function pct(e) {
      var r = img.getBoundingClientRect();
      return { x: Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)),
               y: Math.min(1, Math.max(0, (e.clientY - r.top) / r.height)) };
    }
    area.addEventListener("pointerdown", function (e) {
      e.preventDefault();
      start = pct(e);
      if (!box) { box = document.createElement("div"); box.className = "redact-box"; area.appendChild(box); }
    });
    area.addEventListener("pointermove", function (e) {
      if (!start) { return; }
      var p = pct(e);
      var x = Math.min(start.x, p.x), y = Math.min(start.y, p.y);
      var w = Math.abs(p.x - start.x), h = Math.abs(p.y - start.y);
      box.style.left = (x * 100) + "%"; box.style.top = (y * 100) + "%";
      box.style.width = (w * 100) + "%"; box.style.height = (h * 100) + "%";
      form.querySelector(".rect-x").value = (x * 100).toFixed(1);
      form.querySelector(".rect-y").value = (y * 100).toFixed(1);
      form.querySelector(".rect-w").value = (w * 100).toFixed(1);
      form.querySelector(".rect-h").value = (h * 100).toFixed(1);
    });
    window.addEventListener("pointerup", function () { start = null; });
  });
})();
