// cnncalc's report page. Every number and label comes from the page's JSON (made by cnncalc in Python); this
// script only places boxes and lines (a recursive series-parallel layout), sorts tables and talks to `serve`.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("cnncalc-data").textContent);
  var serve = JSON.parse(document.getElementById("cnncalc-serve").textContent);
  var opened = new Set();  // blocks opened, by name (kept across edits in serve)
  var metric = -1;
  var selected = null;
  var BW = 200, BH = 40, GAP = 22, BYPASS = 40, PAD = 10, TITLE = 20, FORK = 18, PLUS = 13;

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function text(attrs, s, parent) { var e = el("text", attrs, parent); e.textContent = s; return e; }
  function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }
  function line(g, x1, y1, x2, y2, cls) {
    return el("path", {d: "M" + x1 + "," + y1 + " L" + x2 + "," + y2, "class": cls || "edge"}, g);
  }
  function elbow(g, x1, y1, x2, y2, cls) {
    var my = (y1 + y2) / 2;
    return el("path", {d: "M" + x1 + "," + y1 + " C" + x1 + "," + my + " " + x2 + "," + my + " " + x2 + "," + y2,
                       "class": cls || "edge"}, g);
  }
  function label(g, x, y, s) { if (s) { text({x: x + 5, y: y, "class": "edge-label"}, clip(s, 40), g); } }
  function boxOf(node) { return typeof node === "number" ? data.rows[node] : data.blocks[node.b]; }
  function metricText(b) { return metric === 0 ? b.m : metric === 1 ? b.p : metric === 2 ? b.c : ""; }

  function drawBox(g, b, x, y, cls, extra) {
    var box = el("g", {"class": "box " + cls, "data-name": b.n, transform: "translate(" + x + "," + y + ")"}, g);
    for (var k in extra) { box.setAttribute(k, extra[k]); }
    var frame = el("rect", {"class": "frame", width: BW, height: BH, rx: 4}, box);
    if (metric >= 0 && b.z) {
      var z = b.z[metric];
      frame.setAttribute("style", "fill:hsl(" + (210 - 200 * z) + ",65%," + (94 - 30 * z) + "%)");
      el("rect", {"class": "bar", x: 0, y: BH - 5, width: BW * z, height: 5}, box);
    }
    var head = (cls.indexOf("block") >= 0 ? (opened.has(b.n) ? "▾ " : "▸ ") : "") + b.n + " · " + (b.k + " " + b.d).trim();
    text({x: 6, y: 15}, clip(head, 38), box);
    text({x: 6, y: 31, "class": "shape"}, clip(b.o, data.symbolic ? 44 : 30), box);
    var m = metricText(b);
    if (m) { text({x: BW - 6, y: 31, "text-anchor": "end"}, clip(m, 16), box); }
    el("title", {}, box).textContent = head + "\noutput " + b.o + "\nparams " + b.p + "\nactivations " + b.m + "\nMACs " + b.c;
    if (b.n === selected) { box.classList.add("selected"); }
    return box;
  }

  // measure(node) -> {w, h, out, draw(g, x, y)}: the layout of a box, a block, branches or a series
  function series(items, top) {
    var parts = items.map(function (n) { return measure(n, top); });
    var w = parts.length ? Math.max.apply(null, parts.map(function (p) { return p.w; })) : BYPASS;
    var h = parts.reduce(function (s, p) { return s + p.h; }, 0) + GAP * Math.max(parts.length - 1, 0);
    return {w: w, h: h, out: parts.length ? parts[parts.length - 1].out : "", empty: !parts.length,
      draw: function (g, x, y) {
        var cx = x + w / 2, yy = y;
        parts.forEach(function (p, i) {
          if (i > 0) { line(g, cx, yy - GAP, cx, yy); label(g, cx, yy - GAP / 2 + 4, parts[i - 1].out); }
          p.draw(g, cx - p.w / 2, yy);
          yy += p.h + GAP;
        });
      }};
  }

  function measure(node, top) {
    var extra = top ? {"data-top": "1"} : {};
    if (typeof node === "number") {
      var r = data.rows[node];
      return {w: BW, h: BH, out: r.o, draw: function (g, x, y) { drawBox(g, r, x, y, "layer", extra); }};
    }
    if ("b" in node) {
      var b = data.blocks[node.b];
      extra["data-block"] = "1";
      if (!opened.has(b.n)) {
        return {w: BW, h: BH, out: b.o, draw: function (g, x, y) { drawBox(g, b, x, y, "block", extra); }};
      }
      var inner = series(node.c, false);
      var w = Math.max(inner.w, BW) + 2 * PAD, h = inner.h + TITLE + PAD;
      return {w: w, h: h, out: b.o, draw: function (g, x, y) {
        var f = el("g", {"class": "open-block", "data-name": b.n}, g);
        for (var k in extra) { f.setAttribute(k, extra[k]); }
        el("rect", {x: x, y: y, width: w, height: h, rx: 6}, f);
        var title = "▾ " + b.n + " · " + (b.k + " " + b.d).trim() + " → " + b.o;
        var t = text({x: x + 6, y: y + 14, "class": "title"}, clip(title, Math.floor((w - 12) / 6.5)), f);
        t.addEventListener("click", function (ev) { ev.stopPropagation(); opened.delete(b.n); draw(); });
        inner.draw(f, x + (w - inner.w) / 2, y + TITLE);
      }};
    }
    return branches(node, extra);
  }

  function branches(node, extra) {
    var bs = node.p.map(function (items) { return series(items, false); });
    var widths = bs.map(function (b) { return Math.max(b.w, BYPASS); });
    var wsum = widths.reduce(function (s, x) { return s + x; }, 0) + GAP * (bs.length - 1);
    var j = node.j === null ? null : data.rows[node.j];
    var add = j && j.k === "add";
    var jw = j ? (add ? 2 * PLUS : BW) : 0, jh = j ? (add ? 2 * PLUS : BH) : 0;
    var bh = Math.max.apply(null, bs.map(function (b) { return b.h; }));
    var w = Math.max(wsum, jw), h = FORK + bh + FORK + jh;
    return {w: w, h: h, out: j ? j.o : "", draw: function (g, x, y) {
      var cx = x + w / 2, bx = cx - wsum / 2, yj = y + FORK + bh + FORK;
      bs.forEach(function (b, i) {
        var bcx = bx + widths[i] / 2;
        if (b.empty) {  // the identity: a bypass line around its neighbours, into the join
          elbow(g, cx, y, bcx, y + FORK, "edge bypass");
          line(g, bcx, y + FORK, bcx, yj - FORK / 2, "edge bypass");
          elbow(g, bcx, yj - FORK / 2, cx, yj, "edge bypass");
        } else {
          elbow(g, cx, y, bcx, y + FORK);
          b.draw(g, bcx - b.w / 2, y + FORK);
          line(g, bcx, y + FORK + b.h, bcx, yj - FORK / 2);
          elbow(g, bcx, yj - FORK / 2, cx, yj);
          label(g, bcx, y + FORK + b.h + 11, b.out);
        }
        bx += widths[i] + GAP;
      });
      if (!j) { return; }
      if (add) {
        var p = el("g", {"class": "box join plus", "data-name": j.n, transform: "translate(" + cx + "," + (yj + PLUS) + ")"}, g);
        el("circle", {r: PLUS}, p);
        text({x: 0, y: 6, "text-anchor": "middle"}, "+", p);
        el("title", {}, p).textContent = j.n + ": " + j.k + " " + j.d + " → " + j.o;
        if (j.n === selected) { p.classList.add("selected"); }
      } else {
        drawBox(g, j, cx - BW / 2, yj, "join", extra.top ? {} : {});
      }
    }};
  }

  function draw() {
    var svg = $("drawing");
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var inputLabel = {n: "input", k: "", d: "", o: data.input || "", p: "0", m: "", c: ""};
    BW = data.symbolic ? 330 : 200;
    var layout = series(data.tree, true);
    var w = Math.max(layout.w, BW) + 40, h = layout.h + BH + GAP + 30;
    svg.setAttribute("width", w);
    svg.setAttribute("height", h);
    var g = el("g", {}, svg);
    var cx = w / 2;
    drawBox(g, inputLabel, cx - BW / 2, 10, "input", {});
    line(g, cx, 10 + BH, cx, 10 + BH + GAP);
    layout.draw(g, cx - layout.w / 2, 10 + BH + GAP);
  }

  function rowOf(name) {
    var rows = document.querySelectorAll("#table tbody tr");
    for (var i = 0; i < rows.length; i++) { if (rows[i].getAttribute("data-name") === name) { return rows[i]; } }
    return null;
  }

  function show(name) {
    selected = name;
    var steps = data.steps[name];
    var b = null;
    data.rows.concat(data.blocks).forEach(function (x) { if (x.n === name) { b = x; } });
    var d = $("detail");
    d.innerHTML = "";
    if (!b) { return; }
    var h = document.createElement("h3");
    h.textContent = b.n + ": " + (b.k + " " + b.d).trim() + " → " + b.o;
    d.appendChild(h);
    var t = document.createElement("table");
    var lines = steps || [["Output", b.o, ""], ["Parameters", b.p, ""], ["Activations", b.m, ""], ["MACs", b.c, ""]];
    lines.forEach(function (s) {
      var tr = t.insertRow();
      tr.insertCell().textContent = s[0];
      var c = tr.insertCell(); c.textContent = s[1]; c.className = "formula";
      tr.insertCell().textContent = s[2];
    });
    d.appendChild(t);
    document.querySelectorAll("#table tr.selected").forEach(function (r) { r.classList.remove("selected"); });
    var row = rowOf(name);
    if (row) { row.classList.add("selected"); }
  }

  function sortable(root) {
    root.querySelectorAll("table.sortable").forEach(function (table) {
      table.querySelectorAll("th").forEach(function (th, col) {
        th.addEventListener("click", function () {
          var asc = !th.classList.contains("asc");
          table.querySelectorAll("th").forEach(function (x) { x.classList.remove("asc", "desc"); });
          th.classList.add(asc ? "asc" : "desc");
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          rows.sort(function (a, b) {  // by the exact value cnncalc wrote (data-v), else by the text
            var ca = a.cells[col], cb = b.cells[col];
            var va = ca && ca.hasAttribute("data-v") ? BigInt(ca.getAttribute("data-v")) : null;
            var vb = cb && cb.hasAttribute("data-v") ? BigInt(cb.getAttribute("data-v")) : null;
            var c = va !== null && vb !== null ? (va < vb ? -1 : va > vb ? 1 : 0)
              : (ca ? ca.textContent : "").localeCompare(cb ? cb.textContent : "");
            return asc ? c : -c;
          });
          rows.forEach(function (r) { body.appendChild(r); });
        });
      });
    });
  }

  function fill() {
    $("title").textContent = data.model;
    $("setting").textContent = data.setting;
    document.title = data.model + " — cnncalc report";
    $("table").innerHTML = data.table;
    $("totals").innerHTML = data.facts;
    $("rf").innerHTML = data.rf;
    $("rf-box").hidden = !data.rf;
    $("charts").innerHTML = data.charts;
    $("charts-box").hidden = !data.charts;
    var warn = $("warnings");
    warn.innerHTML = "";
    data.warnings.forEach(function (w) { var p = document.createElement("p"); p.className = "warn"; p.textContent = "⚠ " + w; warn.appendChild(p); });
    $("warnings-box").hidden = !data.warnings.length;
    $("warnings-title").textContent = (data.symbolic ? "Never tiles" : "Tiling warnings") + " (" + data.warnings.length + ")";
    $("metric").disabled = !data.metrics.length;
    sortable(document);
    draw();
    if (selected) { show(selected); }
  }

  $("drawing").addEventListener("click", function (ev) {
    var g = ev.target.closest ? ev.target.closest(".box") : null;
    if (!g) { return; }
    var name = g.getAttribute("data-name");
    if (g.classList.contains("block")) { opened.add(name); }
    selected = name;
    draw();
    show(name);
  });
  $("table").addEventListener("click", function (ev) {
    var tr = ev.target.closest("tbody tr");
    if (tr) { selected = tr.getAttribute("data-name"); draw(); show(selected); }
  });
  $("metric").addEventListener("change", function () { metric = parseInt(this.value, 10); draw(); });
  $("expand-all").addEventListener("click", function () { data.blocks.forEach(function (b) { opened.add(b.n); }); draw(); });
  $("collapse-all").addEventListener("click", function () { opened.clear(); draw(); });

  fill();
  window.cnncalcRendered = performance.now();

  if (!serve) { return; }
  // --- serve: the editor ------------------------------------------------------------------------------------
  $("editor-pane").hidden = false;
  var yaml = $("yaml"), gutter = $("gutter"), timer = null, sent = 0, badLine = null;
  function numbers() {
    var n = yaml.value.split("\n").length, out = [];
    for (var i = 1; i <= n; i++) { out.push(i === badLine ? '<span class="bad">' + i + "</span>" : String(i)); }
    gutter.innerHTML = out.join("\n");
    gutter.scrollTop = yaml.scrollTop;
  }
  function status(s) { $("status").textContent = s; }
  function post(path, body) {
    return fetch(path, {method: "POST", headers: {"Content-Type": "text/plain; charset=utf-8", "X-Cnncalc": "1"}, body: body})
      .then(function (r) { return r.json(); });
  }
  function render() {
    var id = ++sent, t0 = performance.now();
    post("/api/render", yaml.value).then(function (res) {
      if (id !== sent) { return; }  // a newer edit is on its way
      if (res.ok) {
        data = res.data; badLine = null; $("error").hidden = true; fill();
        status("updated in " + Math.round(performance.now() - t0) + " ms");
      } else {  // keep the last good drawing; show the error at its line
        badLine = res.line; $("error").hidden = false; $("error").textContent = res.error;
        status("error; the drawing is the last good one");
      }
      numbers();
      document.body.setAttribute("data-rendered", String(id));
    }).catch(function (e) { status("server unreachable: " + e); });
  }
  yaml.value = serve.text;
  if (serve.error) { badLine = serve.line; $("error").hidden = false; $("error").textContent = serve.error; }
  numbers();
  yaml.addEventListener("input", function () { numbers(); clearTimeout(timer); timer = setTimeout(render, 250); });
  yaml.addEventListener("scroll", function () { gutter.scrollTop = yaml.scrollTop; });
  serve.zoo.forEach(function (name) { var o = document.createElement("option"); o.value = o.textContent = name; $("zoo").appendChild(o); });
  $("zoo").addEventListener("change", function () {
    if (!this.value) { return; }
    fetch("/api/zoo/" + encodeURIComponent(this.value)).then(function (r) { return r.json(); }).then(function (res) {
      yaml.value = res.text; numbers(); render();
    });
  });
  $("save").disabled = !serve.file;
  $("save").title = serve.file ? "write " + serve.file : "started without a file: nothing to save to";
  $("save").addEventListener("click", function () {
    post("/api/save", yaml.value).then(function (res) { status(res.ok ? "saved " + res.file : res.error); });
  });
  $("download").addEventListener("click", function (ev) {
    ev.preventDefault();
    fetch("/api/report", {method: "POST", headers: {"X-Cnncalc": "1"}, body: yaml.value}).then(function (r) {
      if (!r.ok) { throw new Error("the spec does not parse"); }
      return r.blob();
    }).then(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob); a.download = data.model.replace(/[^\w.-]+/g, "_") + ".html";
      document.body.appendChild(a); a.click(); a.remove();
    }).catch(function (e) { status(String(e)); });
  });
}());
