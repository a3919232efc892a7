// Copy and share buttons for the private tracking link: shown only where the browser can do it
// (the Clipboard API needs a secure context; the share sheet exists mostly on phones).
(function () {
  "use strict";
  var box = document.querySelector(".share-buttons");
  if (!box) { return; }
  var url = box.getAttribute("data-url"), title = box.getAttribute("data-title");
  var result = document.getElementById("share-result");
  var copy = document.getElementById("copy-link"), share = document.getElementById("share-link");
  if (navigator.clipboard && window.isSecureContext !== false) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(url).then(function () {
        result.textContent = result.getAttribute("data-copied");
      }, function () { result.textContent = result.getAttribute("data-failed"); });
    });
  }
  if (navigator.share) {
    share.hidden = false;
    share.addEventListener("click", function () {
      navigator.share({ title: title, url: url }).catch(function () { /* closed by the user */ });
    });
  }
  box.hidden = copy.hidden && share.hidden;
})();
