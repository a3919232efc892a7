// The intake as step screens ("one thing per page"): with JavaScript only the current numbered
// section of the form is shown, with Weiter/Zurück, the progress above it and the focus on the
// step's heading. Every step is an entry in the browser's history, so the back button goes one
// step back. Without JavaScript the sections stay one long form that posts as it is.
// The form itself (pin, photos, sending, the queue) is js/intake.js; this script only shows and
// hides its sections and checks a step's fields before moving on.
/* global MMIntake */
(function () {
  "use strict";

  var form = document.getElementById("report-form");
  var configNode = document.getElementById("intake-config");
  if (!form || !configNode || !window.history || !history.pushState || !window.MMIntake) { return; }
  var msg = JSON.parse(configNode.textContent).messages;
  var steps = Array.prototype.slice.call(form.querySelectorAll(".intake-step"));
  if (steps.length < 2) { return; }
  var current = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }
  function chosenCategory() {
    var checked = form.querySelector("input[name=category]:checked");
    return checked ? checked.value : "";
  }
  // The details step (notice, stop notice, questions) only counts for a category that has some.
  function activeBlock() {
    var chosen = chosenCategory();
    return chosen ? form.querySelector(".category-extra[data-category='" + chosen + "']") : null;
  }
  function applies(step) { return step.id !== "step-details" || !!activeBlock(); }
  function route() { return steps.filter(applies); }

  // ------------------------------------------------------------------ progress and buttons
  var progress = el("div", { "class": "step-progress", id: "step-progress" });
  var progressText = el("p", { "class": "step-progress__text", id: "step-progress-text" });
  var progressBar = el("progress", { "class": "step-progress__bar", "aria-labelledby": "step-progress-text" });
  progress.appendChild(progressText);
  progress.appendChild(progressBar);
  // The progress sits at the top of the shown step (moved there on each step): it is part of the
  // step's screen, not above the page's fold.

  steps.forEach(function (step) {
    var nav = el("div", { "class": "step-nav" });
    var back = el("button", { type: "button", "class": "kern-btn kern-btn--secondary step-back" }, msg.back);
    back.addEventListener("click", function () { move(-1); });
    nav.appendChild(back);
    if (step.id !== "step-send") {
      var next = el("button", { type: "button", "class": "kern-btn kern-btn--primary primary step-next" }, msg.next);
      next.addEventListener("click", function () { move(1); });
      nav.appendChild(next);
    }
    step.appendChild(nav);
  });
  form.classList.add("steps-on");

  // The summary's rows lead back to their step ("Ändern").
  [["summary-photos", "step-photo"], ["summary-place", "step-place"], ["summary-category", "step-category"],
   ["summary-description", "step-description"], ["summary-email", "step-contact"]].forEach(function (pair) {
    var dd = document.getElementById(pair[0]);
    if (!dd) { return; }
    var dt = dd.parentNode.querySelector("dt"), label = dt.textContent;
    var change = el("button", { type: "button", "class": "link-button summary-change", "data-step": pair[1],
                                "aria-label": format(msg.changeWhat, { what: label }) }, msg.change);
    change.addEventListener("click", function () { show(pair[1], true); });
    dt.appendChild(change);  // in the <dt>: a <dl> row holds only its term and its description
  });

  function render() {
    var visible = route();
    var index = visible.indexOf(current);
    steps.forEach(function (step) { step.hidden = step !== current; });
    current.insertBefore(progress, current.firstChild);
    progressText.textContent = format(msg.stepOf, { n: index + 1, total: visible.length });
    progressBar.max = visible.length;
    progressBar.value = index + 1;
    var back = current.querySelector(".step-back");
    back.hidden = index === 0;
    // A stop notice ends the form: no way on from the chosen category's details.
    var next = current.querySelector(".step-next");
    if (next) {
      var block = current.id === "step-details" ? activeBlock() : null;
      next.hidden = !!(block && block.querySelector(".stop-notice"));
    }
    form.dispatchEvent(new CustomEvent("mm:step", { detail: { id: current.id } }));
  }

  function show(id, push, focus) {
    var step = document.getElementById(id);
    if (!step || steps.indexOf(step) < 0) { return; }
    // A details step that no longer applies (back to it after choosing a category without
    // questions): the next step instead.
    while (!applies(step) && steps.indexOf(step) < steps.length - 1) { step = steps[steps.indexOf(step) + 1]; }
    current = step;
    render();
    if (push) { history.pushState({ mmStep: step.id }, "", "#" + step.id.replace(/^step-/, "")); }
    if (focus !== false) {
      var heading = step.querySelector("h2");
      heading.focus();
      // The step's top in view, with its progress, not the page's middle.
      progress.scrollIntoView({ block: "start" });
    }
  }

  // ------------------------------------------------------------------ checks before moving on
  function requiredQuestions() {
    var block = activeBlock(), errors = [];
    if (!block) { return errors; }
    Array.prototype.forEach.call(block.querySelectorAll("[data-required]"), function (question) {
      var controls = Array.prototype.slice.call(question.querySelectorAll("input, textarea"));
      var answered = controls.some(function (c) {
        return (c.type === "radio" || c.type === "checkbox") ? c.checked : c.value.trim() !== "";
      });
      if (!answered) {
        errors.push({ field: null, target: controls[0].id, controls: controls,
                      message: format(msg.answerQuestion, { question: question.getAttribute("data-required") }) });
      }
    });
    return errors;
  }

  var STEP_FIELDS = { "step-photo": ["photos"], "step-place": ["location"], "step-category": ["category"],
                      "step-description": ["description"] };

  function stepErrors(step) {
    if (step.id === "step-details") { return requiredQuestions(); }
    var fields = STEP_FIELDS[step.id] || [];
    return MMIntake.errors().filter(function (e) { return fields.indexOf(e.field) >= 0; });
  }

  function move(delta) {
    var visible = route();
    var index = visible.indexOf(current);
    if (delta > 0) {
      var errors = stepErrors(current);
      if (errors.length) { MMIntake.showErrors(errors); return; }
      MMIntake.clearErrors();
    }
    var target = visible[index + delta];
    if (target) { show(target.id, true); }
  }

  // Links of the error summary (from a step check, the server, or the plain form's answer) lead to
  // their field's step.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("#error-summary a[href^='#']");
    if (!link) { return; }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    var step = target && target.closest(".intake-step");
    if (!step) { return; }
    event.preventDefault();
    if (step !== current) { show(step.id, true, false); }
    var focusable = target.matches("input, textarea, select, button") ? target : target.querySelector("input, textarea, select");
    if (target.closest("details")) { target.closest("details").open = true; }
    (focusable || step.querySelector("h2")).focus();
  });

  // The browser's back and forward buttons move between the steps.
  window.addEventListener("popstate", function (event) {
    var id = event.state && event.state.mmStep;
    show(id || steps[0].id, false);
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "category") { render(); }
  });
  // After sending failed on the server's side the errors name fields of earlier steps; after a
  // report went into the offline queue the form starts again at the first step.
  form.addEventListener("mm:reset", function () { show(steps[0].id, true, false); });

  window.MMSteps = { show: function (id) { show(id, true); }, current: function () { return current.id; } };

  // A fresh visit starts at the first step (a reload of a later step too: the fields it builds on
  // may be empty). Without a server error in the page, that is; with one, its first field's step.
  var firstError = document.querySelector("#error-summary a[href^='#']");
  var errorTarget = firstError && document.getElementById(firstError.getAttribute("href").slice(1));
  var start = (errorTarget && errorTarget.closest(".intake-step")) || steps[0];
  history.replaceState({ mmStep: start.id }, "", window.location.pathname + window.location.search);
  show(start.id, false, false);
})();
