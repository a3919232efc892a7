// After a refused submission, move focus to the error summary so that screen
// readers announce it and keyboard users start at the first problem.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});
