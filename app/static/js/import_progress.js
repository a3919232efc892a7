// The address import page: asks for the import's progress every two seconds and updates the
// bar; when the worker is finished the page is loaded again to show the result.
(function () {
  "use strict";
  var status = document.getElementById("import-status");
  if (!status || status.dataset.running !== "1") { return; }
  function poll() {
    fetch(status.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return setTimeout(poll, 4000); }
        if (data.state === "done" || data.state === "failed") { window.location.reload(); return; }
        var bar = document.getElementById("fortschritt");
        if (bar && data.total) { bar.max = data.total; bar.value = data.done; }
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 4000); });
  }
  setTimeout(poll, 2000);
})();
