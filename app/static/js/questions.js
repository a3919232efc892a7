// Show only the chosen category's notice, stop notice and extra questions on /melden (and on the
// staff intake page, where the category is a select); the other
// categories' blocks are hidden and disabled (a disabled fieldset's fields are not sent). A stop
// notice also disables the send button: the form ends there. Without this script every block is
// shown under its category's name and only the chosen category's answers count.
(function () {
  "use strict";
  var form = document.getElementById("report-form") || document.getElementById("intake-form");
  if (!form || !document.getElementById("category-extras")) { return; }
  var blocks = Array.prototype.slice.call(form.querySelectorAll(".category-extra"));
  var send = document.getElementById("send") || document.getElementById("intake-button");

  function update() {
    var checked = form.querySelector("input[name=category]:checked, select[name=category]");
    var chosen = checked ? checked.value : "";
    var stopped = false;
    blocks.forEach(function (block) {
      var active = block.getAttribute("data-category") === chosen;
      block.hidden = !active;
      block.disabled = !active;
      if (active && block.querySelector(".stop-notice")) { stopped = true; }
    });
    if (send) { send.disabled = stopped; }
  }

  form.addEventListener("change", function (e) {
    if (e.target.name === "category") { update(); }
  });
  update();
})();
