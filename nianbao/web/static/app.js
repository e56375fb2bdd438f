// nianbao web: small behaviours on top of server-rendered pages. No inline scripts (CSP: script-src 'self').
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  // Upload: drag and drop or choose; files go one a request so the progress shows each file's turn.
  function initUpload() {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var zone = document.getElementById("dropzone"), input = document.getElementById("upload-files");
    var bar = document.getElementById("upload-progress"), status = document.getElementById("upload-status");
    var maxBytes = parseInt(form.dataset.maxBytes, 10) || Infinity;
    var csrf = form.querySelector("input[name=csrf_token]").value;
    ["dragenter", "dragover"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) send(e.dataTransfer.files);
    });
    input.addEventListener("change", function () {
      status.textContent = input.files.length + " × " + Array.prototype.map.call(input.files, function (f) {
        return f.name; }).slice(0, 5).join(", ");
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); send(input.files); });

    function failRow(rows, name, message) {
      var tr = document.createElement("tr"), a = document.createElement("td"), b = document.createElement("td");
      var span = document.createElement("span");
      tr.className = "failed";
      a.textContent = name;
      span.className = "message error";
      span.textContent = message;
      b.appendChild(span);
      tr.appendChild(a); tr.appendChild(b); tr.appendChild(document.createElement("td"));
      rows.appendChild(tr);
    }

    function messageOf(xhr) {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var m = doc.querySelector(".message");
      return (m ? m.textContent : "") || ("HTTP " + xhr.status);
    }

    function send(fileList) {
      var files = Array.prototype.slice.call(fileList || []);
      if (!files.length) return;
      var results = document.getElementById("upload-results");
      results.innerHTML = "";
      results.appendChild(document.getElementById("upload-table-template").content.cloneNode(true));
      var rows = document.getElementById("upload-rows"), done = document.getElementById("upload-done");
      var ok = 0, i = 0;
      bar.hidden = false;
      bar.value = 0;
      function next() {
        if (i >= files.length) {
          bar.value = 100;
          status.textContent = "";
          done.textContent = form.dataset.done.replace("{ok}", ok).replace("{total}", files.length);
          return;
        }
        var f = files[i++], label = i + "/" + files.length + " · " + f.name;
        status.textContent = label;
        if (f.size > maxBytes) { failRow(rows, f.name, form.dataset.tooLarge); next(); return; }
        var fd = new FormData();
        fd.append("csrf_token", csrf);
        fd.append("files", f, f.name);
        var xhr = new XMLHttpRequest();
        xhr.open("POST", "/upload?rows=1");
        xhr.setRequestHeader("X-CSRF-Token", csrf);
        xhr.upload.onprogress = function (e) {
          if (!e.lengthComputable) return;
          bar.value = Math.round(((i - 1) + e.loaded / e.total) / files.length * 100);
          if (e.loaded >= e.total) status.textContent = label + " · " + form.dataset.processing;
        };
        xhr.onload = function () {
          if (xhr.status === 200) {
            rows.insertAdjacentHTML("beforeend", xhr.responseText);
            // a queued row polls its job until it ends (htmx must see rows added by hand)
            if (rows.lastElementChild && window.htmx) window.htmx.process(rows.lastElementChild);
            if (rows.lastElementChild && rows.lastElementChild.classList.contains("ok")) ok++;
          } else {
            failRow(rows, f.name, messageOf(xhr));
          }
          next();
        };
        xhr.onerror = function () { failRow(rows, f.name, "network error"); next(); };
        xhr.send(fd);
      }
      next();
    }
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
