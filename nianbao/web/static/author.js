// nianbao 编制: the live check of a draft. The server checks (htmx posts the form to /author/{id}/check);
// this script only puts its answer in place: totals, suggested cells, marks on cells, 重复率 per section.
(function () {
  "use strict";
  var SEV = ["sev-error", "sev-warning", "sev-info", "sev-todo"];

  function json(el, name) {
    try { return JSON.parse(el.getAttribute(name) || "{}"); } catch (e) { return {}; }
  }

  function followed() {
    var f = document.getElementById("draft-follow");
    return f && f.value ? f.value.split(",") : [];
  }

  function apply() {
    var live = document.getElementById("author-live"), form = document.getElementById("draft-form");
    if (!live || !form) return;
    var marks = json(live, "data-marks"), totals = json(live, "data-totals"), follow = json(live, "data-follow");
    var rates = json(live, "data-rates"), threshold = parseInt(live.getAttribute("data-threshold"), 10) || 50;
    var following = followed();
    form.querySelectorAll("[data-ref]").forEach(function (el) {
      var ref = el.getAttribute("data-ref");
      var box = el.closest("td") || el;
      SEV.forEach(function (c) { box.classList.remove(c); });
      if (marks[ref]) box.classList.add("sev-" + marks[ref]);
      if (el.tagName === "OUTPUT" && Object.prototype.hasOwnProperty.call(totals, ref)) el.textContent = totals[ref];
      if (el.tagName === "INPUT" && el.hasAttribute("data-suggested")) {
        var on = following.indexOf(ref) >= 0;
        box.classList.toggle("following", on);
        if (on && Object.prototype.hasOwnProperty.call(follow, ref)) el.value = follow[ref];
      }
    });
    document.querySelectorAll(".rate[data-section]").forEach(function (el) {
      var v = rates[el.getAttribute("data-section")];
      el.textContent = (v === null || v === undefined) ? "" : el.getAttribute("data-label") + " " + v + "%";
      el.classList.toggle("high", v !== null && v !== undefined && v > threshold);
    });
  }

  function dirty(on) {
    var form = document.getElementById("draft-form"), note = document.getElementById("dirty-note");
    if (!form) return;
    form.dataset.dirty = on ? "1" : "";
    if (note) note.hidden = !on;
  }

  function init() {
    var form = document.getElementById("draft-form");
    if (!form) return;
    apply();
    form.addEventListener("input", function (e) {
      var el = e.target;
      if (el.name === "note" || el.name === "reason") return;
      dirty(true);
      // typing into a suggested cell: it stops following its suggestion
      if (el.hasAttribute && el.hasAttribute("data-suggested")) {
        var ref = el.getAttribute("data-ref"), f = document.getElementById("draft-follow");
        f.value = followed().filter(function (r) { return r !== ref; }).join(",");
        (el.closest("td") || el).classList.remove("following");
      }
    });
    form.addEventListener("submit", function () { dirty(false); });
    document.body.addEventListener("htmx:afterSwap", function (e) {
      if (e.detail && e.detail.target && (e.detail.target.id === "author-live" || e.detail.elt.id === "author-live")) apply();
    });
    document.body.addEventListener("htmx:afterRequest", function (e) {
      var elt = e.detail && e.detail.elt;
      if (elt && elt.id === "save-button" && e.detail.successful) dirty(false);
    });
    // htmx swaps error answers too: a refused save shows its message
    document.body.addEventListener("htmx:beforeSwap", function (e) {
      if (e.detail.elt && e.detail.elt.id === "save-button" && e.detail.xhr.status >= 400) {
        e.detail.shouldSwap = true;
        e.detail.isError = false;
      }
    });
    document.addEventListener("click", function (e) {
      var a = e.target.closest && e.target.closest("a.cellref");
      if (!a) return;
      var target = document.getElementById((a.getAttribute("href") || "").slice(1));
      if (target) {
        e.preventDefault();
        target.scrollIntoView({ block: "center" });
        if (target.focus) target.focus();
      }
    });
    window.addEventListener("beforeunload", function (e) {
      if (form.dataset.dirty) { e.preventDefault(); e.returnValue = ""; }
    });
  }

  if (document.readyState !== "loading") init(); else document.addEventListener("DOMContentLoaded", init);
})();
