// nianbao web: small behaviours on top of server-rendered pages. No inline scripts (CSP: script-src 'self').
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  // Upload: drag and drop onto the zone, progress from htmx's XHR events.
  function initUpload() {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var zone = document.getElementById("dropzone"), input = document.getElementById("upload-files");
    var bar = document.getElementById("upload-progress"), status = document.getElementById("upload-status");
    ["dragenter", "dragover"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      input.files = e.dataTransfer.files;
      showChosen();
      htmx.trigger(form, "submit");
    });
    input.addEventListener("change", showChosen);
    function showChosen() {
      var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
      status.textContent = names.length + " × " + names.slice(0, 5).join(", ") + (names.length > 5 ? " …" : "");
    }
    form.addEventListener("htmx:xhr:loadstart", function () { bar.hidden = false; bar.value = 0; });
    form.addEventListener("htmx:xhr:progress", function (e) {
      if (e.detail.lengthComputable) bar.value = Math.round(e.detail.loaded * 100 / e.detail.total);
      if (bar.value >= 100) status.textContent = form.dataset.processing || "…";
    });
    form.addEventListener("htmx:afterRequest", function () { bar.value = 100; status.textContent = ""; });
  }

  // Report: clicking a value cell chooses it for correction.
  function initCells() {
    var cellInput = document.getElementById("correct-cell"), valueInput = document.getElementById("correct-value");
    document.querySelectorAll("table.form-table td.v").forEach(function (td) {
      td.addEventListener("click", function (e) {
        if (!cellInput) return;
        if (e.target.tagName === "A") return;  // the small link opens the source
        document.querySelectorAll("td.v.selected").forEach(function (x) { x.classList.remove("selected"); });
        td.classList.add("selected");
        cellInput.value = td.dataset.ref;
        valueInput.value = td.dataset.value;
        valueInput.focus();
        valueInput.select();
      });
    });
  }

  // Source: bring the highlighted span into view.
  function initSource() {
    var hit = document.getElementById("hit");
    if (hit) hit.scrollIntoView({block: "center"});
  }

  // Compare: hide unchanged rows on request.
  function initCompare() {
    var box = document.getElementById("only-changed"), table = document.getElementById("compare-table");
    if (box && table) box.addEventListener("change", function () { table.classList.toggle("only-changed", box.checked); });
  }

  // Dashboard: each chart's data sits in a JSON block beside it; options are built here.
  function chartOption(d) {
    var base = {tooltip: {trigger: d.kind === "pie" ? "item" : "axis"}, legend: {top: 0},
                grid: {left: 48, right: 16, top: 36, bottom: 40, containLabel: true}};
    if (d.kind === "bar-h") {
      base.xAxis = {type: "value"};
      base.yAxis = {type: "category", data: d.categories, inverse: true, axisLabel: {width: 220, overflow: "truncate"}};
    } else {
      base.xAxis = {type: "category", data: d.categories, axisLabel: {interval: 0, rotate: d.categories.length > 6 ? 30 : 0}};
      base.yAxis = [{type: "value"}];
      // counts of reports sit on their own axis beside the counts of applications
      if (d.series.some(function (s) { return s.axis === 1; })) base.yAxis.push({type: "value", minInterval: 1});
    }
    base.series = d.series.map(function (s) {
      return {name: s.name, type: s.type || (d.kind === "line" ? "line" : "bar"), data: s.data,
              stack: s.stack, smooth: true, emphasis: {focus: "series"}, yAxisIndex: s.axis || 0,
              barMaxWidth: 48, itemStyle: s.axis === 1 ? {opacity: 0.35} : undefined};
    });
    return base;
  }

  function initCharts() {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("script.chart-data").forEach(function (node) {
      var el = document.getElementById(node.dataset.for), d = JSON.parse(node.textContent);
      if (!el || !d.categories || !d.categories.length) { if (el) el.classList.add("empty-chart"); return; }
      var chart = echarts.init(el, null, {renderer: "canvas"});
      chart.setOption(chartOption(d));
      if (d.hrefs) chart.on("click", function (p) { var h = d.hrefs[p.dataIndex]; if (h) window.location.href = h; });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  onReady(function () { initUpload(); initCells(); initSource(); initCompare(); initCharts(); });
  document.addEventListener("htmx:afterSwap", function () { initCells(); });
})();
