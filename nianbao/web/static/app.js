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
        var timer = null, started = 0;
        function processing() {
          // sent: the server reads the file now (OCR of a scan takes a while): an indeterminate bar and the time
          if (timer) return;
          bar.removeAttribute("value");
          started = Date.now();
          var what = /\.(png|jpe?g|tiff?|pdf)$/i.test(f.name) ? form.dataset.scan : form.dataset.processing;
          var tick = function () {
            var s = Math.round((Date.now() - started) / 1000);
            status.textContent = label + " · " + what + (s ? " " + form.dataset.seconds.replace("{n}", s) : "");
          };
          tick();
          timer = setInterval(tick, 1000);
        }
        function stop() {
          if (timer) clearInterval(timer);
          timer = null;
          bar.value = Math.round(i / files.length * 100);
        }
        xhr.upload.onprogress = function (e) {
          if (!e.lengthComputable) return;
          bar.value = Math.round(((i - 1) + e.loaded / e.total) / files.length * 100);
          if (e.loaded >= e.total) processing();
        };
        xhr.upload.onload = processing;
        xhr.onloadend = stop;
        xhr.onload = function () {
          if (xhr.status === 200) {
            rows.insertAdjacentHTML("beforeend", xhr.responseText);
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

  // Report, read mode: a reviewer clicking a value cell opens the edit mode on that cell.
  function initCells() {
    var link = document.getElementById("edit-link");
    if (!link) return;
    document.querySelectorAll("table.form-table td.v").forEach(function (td) {
      td.addEventListener("click", function (e) {
        if (e.target.tagName === "A") return;  // the small link opens the source
        var id = "in-" + td.dataset.ref.replace(/[^\w\u4e00-\u9fff]+/g, "-").replace(/^-+|-+$/g, "");
        window.location.href = link.getAttribute("href").split("#")[0] + "#" + id;
      });
    });
  }

  // Edit mode: arrows and Enter move between cells like a spreadsheet (Enter never submits), Escape puts
  // a cell back; every change is checked by the server's validator (the same rules as on saving).
  function initEdit() {
    var form = document.getElementById("edit-form");
    if (!form) return;
    var inputs = Array.prototype.slice.call(document.querySelectorAll("input.cell-input"));
    var live = document.getElementById("live-check"), csrf = form.querySelector("input[name=csrf_token]").value;
    function cellOf(input) { return input.closest("td"); }
    function neighbour(input, dRow) {
      var td = cellOf(input), tr = td.parentElement, table = tr.closest("table");
      var rows = Array.prototype.slice.call(table.rows), r = rows.indexOf(tr);
      var x = td.getBoundingClientRect().left + td.offsetWidth / 2;
      for (var i = r + dRow; i >= 0 && i < rows.length; i += dRow) {
        var best = null, dist = Infinity;
        rows[i].querySelectorAll("input.cell-input").forEach(function (inp) {
          var c = cellOf(inp).getBoundingClientRect(), d = Math.abs(c.left + c.width / 2 - x);
          if (d < dist) { dist = d; best = inp; }
        });
        if (best) return best;
      }
      return null;
    }
    inputs.forEach(function (input, k) {
      input.addEventListener("keydown", function (e) {
        var to = null;
        if (e.key === "Enter" || (e.key === "ArrowDown" && !e.altKey)) to = neighbour(input, 1);
        else if (e.key === "ArrowUp") to = neighbour(input, -1);
        else if (e.key === "ArrowRight" && input.selectionStart === input.value.length) to = inputs[k + 1];
        else if (e.key === "ArrowLeft" && input.selectionStart === 0) to = inputs[k - 1];
        else if (e.key === "Escape") { input.value = input.dataset.original; changed(input); e.preventDefault(); return; }
        if (e.key === "Enter") e.preventDefault();   // Enter moves on; saving is the explicit button
        if (to) { e.preventDefault(); to.focus(); to.select(); }
      });
      input.addEventListener("input", function () { changed(input); });
      input.addEventListener("focus", function () { input.select(); });
    });
    form.querySelectorAll("fieldset input, fieldset select").forEach(function (el) {
      el.dataset.initial = el.value;
      el.addEventListener("input", schedule);
      el.addEventListener("change", schedule);
      el.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
    });
    var reason = document.getElementById("edit-reason");
    if (reason) reason.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
    function changed(input) {
      cellOf(input).classList.toggle("dirty", input.value.trim() !== input.dataset.original);
      schedule();
    }
    var pending = null, seq = 0;
    function schedule() { clearTimeout(pending); pending = setTimeout(check, 250); }
    function values() {
      var out = {};
      inputs.forEach(function (i) { if (i.value.trim() !== i.dataset.original) out[i.name.slice(5)] = i.value.trim(); });
      form.querySelectorAll("fieldset [name^='cell:']").forEach(function (el) {
        if (el.value !== el.dataset.initial) out[el.name.slice(5)] = el.value;
      });
      return out;
    }
    function check() {
      var mine = ++seq, body = JSON.stringify({values: values()});
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.preview);
      xhr.setRequestHeader("Content-Type", "application/json");
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.onload = function () {
        if (mine !== seq || xhr.status !== 200) return;
        show(JSON.parse(xhr.responseText));
      };
      xhr.send(body);
    }
    function show(res) {
      document.querySelectorAll("td.v.edit").forEach(function (td) {
        td.classList.remove("invalid", "live-error");
        var inp = td.querySelector("input");
        inp.removeAttribute("aria-invalid");
        inp.title = "";
      });
      res.problems.forEach(function (p) {
        var td = document.querySelector('td.v.edit[data-ref="' + p.cell + '"]');
        if (td) { td.classList.add("invalid"); td.querySelector("input").setAttribute("aria-invalid", "true");
                  td.querySelector("input").title = p.message; }
      });
      var arith = res.findings.filter(function (f) { return f.severity === "error" && /^arith\./.test(f.rule); });
      arith.forEach(function (f) {
        (f.cells || []).forEach(function (ref) {
          var td = document.querySelector('td.v.edit[data-ref="' + ref + '"]');
          if (td) td.classList.add("live-error");
        });
      });
      live.textContent = "";
      var head = document.createElement("p");
      head.className = res.problems.length || arith.length ? "bad" : "good";
      head.textContent = res.problems.length ? live.dataset.refused.replace("{n}", res.problems.length)
        : arith.length ? live.dataset.broken.replace("{n}", arith.length) : live.dataset.ok;
      live.appendChild(head);
      var list = document.createElement("ul");
      res.problems.concat(arith.map(function (f) { return {message: f.text}; })).slice(0, 4).forEach(function (p) {
        var li = document.createElement("li");
        li.textContent = p.message;
        list.appendChild(li);
      });
      if (list.children.length) live.appendChild(list);
    }
    form.addEventListener("submit", function (e) {
      if (reason && !reason.value.trim()) { e.preventDefault(); reason.focus(); reason.setAttribute("aria-invalid", "true"); }
    });
    var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    if (target && target.tagName === "INPUT") { target.focus(); target.select(); }
    check();  // where the tables stand before any change
  }

  // Review: a 422 (a dismissal without a reason) swaps in the finding with its message; after each decision
  // the cells' highlights follow the findings still standing.
  function initReview() {
    document.body.addEventListener("htmx:beforeSwap", function (e) {
      if (e.detail.xhr.status === 422) { e.detail.shouldSwap = true; e.detail.isError = false; }
    });
    document.body.addEventListener("htmx:afterSwap", function (e) {
      if (e.detail.target && e.detail.target.classList && e.detail.target.classList.contains("finding")) repaint();
      var t = document.querySelector("li.finding textarea[aria-invalid]");
      if (t) t.focus();
    });
    document.body.addEventListener("click", function (e) {
      var b = e.target.closest("form.review button[value=dismissed]");
      if (!b) return;
      var t = b.form.querySelector("textarea");
      if (!t || t.value.trim()) return;
      // a dismissal needs a reason: said here at once (the server refuses it too)
      e.preventDefault();
      t.setAttribute("aria-invalid", "true");
      var msg = b.form.querySelector(".form-error");
      if (!msg) {
        msg = document.createElement("p");
        msg.className = "form-error";
        msg.setAttribute("role", "alert");
        t.closest("label").insertAdjacentElement("afterend", msg);
      }
      msg.textContent = b.dataset.need;
      t.focus();
    });
  }

  var RANK = {error: 0, warning: 1, info: 2};
  function repaint() {
    var worst = {};
    document.querySelectorAll("li.finding").forEach(function (li) {
      var status = li.dataset.status, sev = li.dataset.severity, cells = JSON.parse(li.dataset.cells || "[]");
      cells.forEach(function (ref) {
        var w = worst[ref] || {open: null, any: false};
        w.any = true;
        if (status !== "dismissed" && (w.open === null || RANK[sev] < RANK[w.open])) w.open = sev;
        worst[ref] = w;
      });
    });
    document.querySelectorAll("table.form-table td.v").forEach(function (td) {
      var w = worst[td.dataset.ref];
      td.classList.remove("sev-error", "sev-warning", "sev-info", "sev-dismissed");
      if (w) td.classList.add(w.open ? "sev-" + w.open : "sev-dismissed");
    });
  }

  // Reports: the 省/市/县 selects fill each other from /api/regions.
  function initCascade() {
    var form = document.getElementById("filters");
    if (!form) return;
    var levels = ["province", "city", "county"];
    levels.forEach(function (level, k) {
      var sel = document.getElementById("f-" + level);
      if (!sel || k === levels.length - 1) return;
      sel.addEventListener("change", function () {
        var below = levels.slice(k + 1).map(function (l) { return document.getElementById("f-" + l); });
        below.forEach(function (b) { while (b.options.length > 1) b.remove(1); b.value = ""; b.disabled = true; });
        if (!sel.value) return;
        var xhr = new XMLHttpRequest();
        xhr.open("GET", form.dataset.regions + "?level=" + levels[k + 1] + "&parent=" + encodeURIComponent(sel.value));
        xhr.onload = function () {
          if (xhr.status !== 200) return;
          JSON.parse(xhr.responseText).forEach(function (r) { below[0].add(new Option(r.name, r.id)); });
          below[0].disabled = below[0].options.length <= 1;
        };
        xhr.send();
      });
    });
  }

  // Compare: the pickers suggest reports from the whole store as one types.
  function initPicker() {
    document.querySelectorAll("input[data-suggest]").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("list")), pending = null;
      input.addEventListener("input", function () {
        clearTimeout(pending);
        var q = input.value.trim();
        if (!q || /#\d+$/.test(q)) return;
        pending = setTimeout(function () {
          var xhr = new XMLHttpRequest();
          xhr.open("GET", input.dataset.suggest + "?q=" + encodeURIComponent(q));
          xhr.onload = function () {
            if (xhr.status !== 200) return;
            list.innerHTML = "";
            JSON.parse(xhr.responseText).forEach(function (r) {
              var o = document.createElement("option");
              o.value = r.label;
              o.textContent = r.region || "";
              list.appendChild(o);
            });
          };
          xhr.send();
        }, 200);
      });
    });
  }

  // Filters change the address without a reload (hx-push-url): the language switch and the login link
  // keep leading back to the page as it is now, query included.
  document.addEventListener("htmx:pushedIntoHistory", function () {
    var here = window.location.pathname + window.location.search;
    document.querySelectorAll("header a.lang, header a[href^='/login?next=']").forEach(function (a) {
      a.setAttribute("href", a.getAttribute("href").split("?")[0] + "?next=" + encodeURIComponent(here));
    });
  });

  function initPrint() {
    document.querySelectorAll("[data-print]").forEach(function (a) {
      a.addEventListener("click", function (e) { e.preventDefault(); window.print(); });
    });
  }

  // Source of a scan: the text comes when OCR is done; meanwhile the seconds count.
  function initElapsed() {
    var el = document.querySelector("[data-elapsed]");
    if (!el) return;
    var started = Date.now(), timer = setInterval(function () {
      if (!document.body.contains(el)) { clearInterval(timer); return; }
      el.textContent = Math.round((Date.now() - started) / 1000) + " s";
    }, 1000);
  }

  // Source: bring the highlighted span into view.
  function initSource() {
    var hit = document.getElementById("hit");
    if (hit) hit.scrollIntoView({block: "center"});
  }
  document.addEventListener("htmx:afterSettle", function (e) {
    if (e.detail.target && e.detail.target.id === "source-text-box") initSource();
  });

  // Compare: hide unchanged rows on request.
  function initCompare() {
    var box = document.getElementById("only-changed"), table = document.getElementById("compare-table");
    if (box && table) box.addEventListener("change", function () { table.classList.toggle("only-changed", box.checked); });
  }

  // Dashboard: each chart's data sits in a JSON block beside it; options are built here.
  function thousands(v) { return typeof v === "number" ? v.toLocaleString("zh-CN") : v; }

  function chartOption(d, width) {
    var narrow = width < 520, labelWidth = Math.max(90, Math.min(260, width * 0.42));
    var base = {tooltip: {trigger: d.kind === "pie" ? "item" : "axis", valueFormatter: thousands},
                legend: {top: 0, type: narrow ? "scroll" : "plain"},
                grid: {left: 8, right: 16, top: 36, bottom: 8, containLabel: true}};
    if (d.kind === "bar-h") {
      base.xAxis = {type: "value", axisLabel: {formatter: thousands}};
      // whole labels: long agency names wrap instead of being cut
      base.yAxis = {type: "category", data: d.categories, inverse: true,
                    axisLabel: {width: labelWidth, overflow: "break", lineHeight: 14}};
    } else {
      var many = d.categories.length > (narrow ? 3 : 6);
      base.xAxis = {type: "category", data: d.categories,
                    axisLabel: {interval: 0, rotate: many ? 30 : 0, width: many ? 120 : undefined,
                                overflow: many ? "break" : "none", hideOverlap: false}};
      base.yAxis = [{type: "value", axisLabel: {formatter: thousands}}];
      // counts of reports sit on their own axis beside the counts of applications
      if (d.series.some(function (s) { return s.axis === 1; }))
        base.yAxis.push({type: "value", minInterval: 1, axisLabel: {formatter: thousands}});
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
      if (d.kind === "bar-h") el.style.height = Math.max(320, d.categories.length * 34 + 60) + "px";
      var chart = echarts.init(el, null, {renderer: "canvas"});
      chart.setOption(chartOption(d, el.clientWidth));
      if (d.hrefs) chart.on("click", function (p) { var h = d.hrefs[p.dataIndex]; if (h) window.location.href = h; });
      window.addEventListener("resize", function () { chart.setOption(chartOption(d, el.clientWidth)); chart.resize(); });
    });
  }

  onReady(function () {
    initUpload(); initCells(); initEdit(); initReview(); initCascade(); initPicker(); initPrint(); initElapsed();
    initSource(); initCompare(); initCharts();
  });
})();
