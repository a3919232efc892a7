// The staff intake page's duplicate hint: once a category and a place (coordinates, or an
// address of the town) are typed, list the open reports of that category nearby, as the
// citizen form does. Links open in a new tab so that what was typed here stays.
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  var box = document.getElementById("duplicates"), list = document.getElementById("duplicates-list");
  if (!form || !box || !window.fetch) { return; }
  var run = 0;

  function value(name) { var field = form.elements.namedItem(name); return field ? field.value : ""; }

  function check() {
    var query = new URLSearchParams({ category: value("category"), lat: value("lat"), lon: value("lon"),
                                      address: value("address") });
    var mine = ++run;
    if (!query.get("category") || !(query.get("address") || (query.get("lat") && query.get("lon")))) {
      box.hidden = true;
      return;
    }
    fetch(form.getAttribute("data-similar-url") + "?" + query.toString(),
          { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { reports: [] }; })
      .then(function (body) {
        if (mine !== run) { return; }
        list.textContent = "";
        (body.reports || []).forEach(function (report) {
          var item = document.createElement("li");
          var link = document.createElement("a");
          link.href = report.url;
          link.target = "_blank";
          link.rel = "noopener";
          link.textContent = report.category_label + " " + report.reference;
          item.appendChild(link);
          item.appendChild(document.createTextNode(" – " + report.status_label + ", " + report.distance));
          list.appendChild(item);
        });
        box.hidden = list.children.length === 0;
      })
      .catch(function () { box.hidden = true; });
  }

  ["category", "lat", "lon", "address"].forEach(function (name) {
    var field = form.elements.namedItem(name);
    if (field) { field.addEventListener("change", check); }
  });
  check();
})();
