// Draws the page described by the JSON in <script id="gd-data"> (validate/report's Page) as HTML
// tables and SVG plots. No library and no network: the file works opened from disk. When done, the body
// carries data-status="done", data-plots (SVG plots drawn), data-render-ms (drawing) and data-ready-ms
// (since the navigation started); an error thrown while
// drawing is kept in data-errors, so tests and people see it.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                 "#7f7f7f", "#bcbd22", "#393b79", "#ad494a", "#637939", "#ce6dbd", "#3182bd", "#e6550d",
                 "#31a354", "#756bb1", "#636363", "#843c39"];
  var started = performance.now();
  var plots = 0;
  var errors = [];

  function el(tag, attrs, parent, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function sv(tag, attrs, parent, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function fmt(v) {
    if (v === null || v === undefined) return "-";
    if (typeof v !== "number") return String(v);
    if (v === 0) return "0";
    var a = Math.abs(v);
    if (a >= 1e5 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, "e");
    return String(Number(v.toPrecision(4)));
  }
  function finite(v) { return typeof v === "number" && isFinite(v); }

  // ---- axes --------------------------------------------------------------------------------------
  // `integer`: ticks only at whole numbers (layers, positions).
  function scale(lo, hi, a, b, log, integer) {
    if (log) { lo = Math.log10(lo); hi = Math.log10(hi); }
    if (hi === lo) { hi = lo + 1; lo = lo - 1; }
    var f = function (v) { return a + ((log ? Math.log10(v) : v) - lo) / (hi - lo) * (b - a); };
    f.ticks = function () {
      var out = [];
      if (log) {
        // Powers of ten; within a decade or two also 2 and 5 times them.
        var steps = hi - lo < 2 ? [1, 2, 5] : [1];
        for (var e = Math.floor(lo); e <= Math.ceil(hi); e++)
          steps.forEach(function (m) {
            var t = Math.log10(m) + e;
            if (t >= lo - 1e-9 && t <= hi + 1e-9) out.push(m * Math.pow(10, e));
          });
        if (out.length < 2) out = [Math.pow(10, lo)].concat(out, [Math.pow(10, hi)]);
        return out;
      }
      var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / 5)));
      var err = (hi - lo) / 5 / step;
      if (err >= 5) step *= 10; else if (err >= 2) step *= 5; else if (err >= 1.5) step *= 2;
      if (integer) step = Math.max(1, step);
      for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
      return out;
    };
    return f;
  }
  function extent(arrays, log) {
    var lo = Infinity, hi = -Infinity;
    arrays.forEach(function (arr) {
      arr.forEach(function (v) { if (finite(v) && (!log || v > 0)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    });
    if (lo === Infinity) return log ? [1, 10] : [0, 1];
    if (log && lo === hi) return [lo / 2, hi * 2];
    if (!log) { var pad = (hi - lo) * 0.04 || Math.abs(hi) * 0.1 || 1; return [lo - pad, hi + pad]; }
    return [lo, hi];
  }
  function frame(parent, w, h, m, xs, ys, xLabel, yLabel) {
    var svg = sv("svg", {"class": "gd-plot", width: w, height: h, viewBox: "0 0 " + w + " " + h}, parent);
    ys.ticks().forEach(function (t) {
      var y = ys(t);
      sv("line", {"class": "grid", x1: m.l, x2: w - m.r, y1: y, y2: y}, svg);
      sv("text", {x: m.l - 6, y: y + 4, "text-anchor": "end"}, svg, fmt(t));
    });
    if (xs) xs.ticks().forEach(function (t) {
      var x = xs(t);
      sv("line", {"class": "axis", x1: x, x2: x, y1: h - m.b, y2: h - m.b + 4}, svg);
      sv("text", {x: x, y: h - m.b + 16, "text-anchor": "middle"}, svg, fmt(t));
    });
    sv("line", {"class": "axis", x1: m.l, x2: w - m.r, y1: h - m.b, y2: h - m.b}, svg);
    sv("line", {"class": "axis", x1: m.l, x2: m.l, y1: m.t, y2: h - m.b}, svg);
    if (xLabel) sv("text", {x: (m.l + w - m.r) / 2, y: h - 4, "text-anchor": "middle"}, svg, xLabel);
    if (yLabel) sv("text", {x: 12, y: (m.t + h - m.b) / 2, "text-anchor": "middle",
                            transform: "rotate(-90 12 " + (m.t + h - m.b) / 2 + ")"}, svg, yLabel);
    return svg;
  }
  function done(svg, marks) {
    svg.setAttribute("data-marks", marks);
    plots++;
  }

  // ---- blocks ------------------------------------------------------------------------------------
  function linePlot(b, parent) {
    var w = 860, h = 300, m = {l: 64, r: 16, t: 12, b: 40};
    // The lines set the axes; a band wider than them is clipped to the plot (it says "all inside").
    var xsAll = [], ysAll = [];
    b.series.forEach(function (s) { xsAll.push(s.x); ysAll.push(s.y); });
    if (!b.series.length) (b.bands || []).forEach(function (s) { xsAll.push(s.x); ysAll.push(s.low, s.high); });
    var xe = extent(xsAll, false), ye = extent(ysAll, b.log_y);
    var clampY = function (v) { return Math.max(ye[0], Math.min(ye[1], v)); };
    var integerX = xsAll.every(function (arr) { return arr.every(function (v) { return !finite(v) || v === Math.round(v); }); });
    var xs = scale(xe[0], xe[1], m.l, w - m.r, false, integerX), ys = scale(ye[0], ye[1], h - m.b, m.t, b.log_y);
    var svg = frame(parent, w, h, m, xs, ys, b.x_label, b.y_label);
    var ok = function (v) { return finite(v) && (!b.log_y || v > 0); };
    var marks = 0;
    var legend = el("div", {"class": "legend"}, parent);
    (b.bands || []).forEach(function (band, i) {
      var colour = COLOURS[(b.series.length + i) % COLOURS.length];
      var top = [], bottom = [];
      for (var k = 0; k < band.x.length; k++)
        if (ok(band.low[k]) && ok(band.high[k])) {
          top.push(xs(band.x[k]) + "," + ys(clampY(band.high[k])));
          bottom.unshift(xs(band.x[k]) + "," + ys(clampY(band.low[k])));
        }
      if (!top.length) return;
      var poly = sv("polygon", {points: top.concat(bottom).join(" "), fill: colour, "fill-opacity": 0.15, stroke: "none", "class": "gd-mark"}, svg);
      sv("title", {}, poly, band.name);
      marks++;
      el("span", {"class": "band", style: "--swatch:" + colour}, legend, band.name);
    });
    b.series.forEach(function (s, i) {
      var colour = COLOURS[i % COLOURS.length], d = "", pen = false;
      for (var k = 0; k < s.x.length; k++) {
        if (!ok(s.y[k]) || !finite(s.x[k])) { pen = false; continue; }
        d += (pen ? "L" : "M") + xs(s.x[k]).toFixed(1) + "," + ys(s.y[k]).toFixed(1);
        pen = true;
        if (b.points || s.x.length === 1) {
          var c = sv("circle", {cx: xs(s.x[k]), cy: ys(s.y[k]), r: 2.5, fill: colour, "class": "gd-mark"}, svg);
          sv("title", {}, c, s.name + ": " + fmt(s.x[k]) + ", " + fmt(s.y[k]));
          marks++;
        }
      }
      if (d) {
        var p = sv("path", {d: d, fill: "none", stroke: colour, "stroke-width": 1.6, "class": "gd-mark"}, svg);
        if (s.dashed) p.setAttribute("stroke-dasharray", "5 3");
        sv("title", {}, p, s.name);
        marks++;
      }
      el("span", {style: "--swatch:" + colour}, legend, s.name);
    });
    done(svg, marks);
  }

  function histogramPlot(h, parent) {
    var w = 860, ht = 260, m = {l: 64, r: 16, t: 12, b: 40};
    var n = h.counts.length;
    var ys = scale(0, Math.max(1, Math.max.apply(null, h.counts)), ht - m.b, m.t, false);
    var xs = scale(h.min, h.max, m.l, w - m.r, false);
    var svg = frame(parent, w, ht, m, xs, ys, null, "count");
    var marks = 0, bw = (w - m.l - m.r) / Math.max(1, n);
    for (var i = 0; i < n; i++) {
      if (!h.counts[i]) continue;
      var y = ys(h.counts[i]);
      var r = sv("rect", {x: m.l + i * bw, y: y, width: Math.max(1, bw - 1), height: ht - m.b - y, fill: COLOURS[0], "class": "gd-mark"}, svg);
      var lo = h.min + (h.max - h.min) * i / n, hi = h.min + (h.max - h.min) * (i + 1) / n;
      sv("title", {}, r, "[" + fmt(lo) + ", " + fmt(hi) + "): " + h.counts[i]);
      marks++;
    }
    done(svg, marks);
  }

  function histograms(b, parent) {
    if (!b.items.length) { el("p", {"class": "note"}, parent, "No histogram."); return; }
    var select = el("select", {"aria-label": "tensor"}, parent);
    b.items.forEach(function (it, i) { el("option", {value: i}, select, it.name); });
    var holder = el("div", {}, parent);
    function show() {
      var it = b.items[+select.value];
      var counted = holder.querySelector("svg.gd-plot") !== null;
      holder.textContent = "";
      if (counted) plots--;  // the plot is replaced, not added
      histogramPlot(it, holder);
      el("div", {"class": "hist-note"}, holder, (b.x_label ? b.x_label + " of " : "") + it.name + (it.note ? ": " + it.note : ""));
    }
    select.addEventListener("change", show);
    show();
  }

  // Viridis, sampled at 9 points and interpolated.
  var RAMP = [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129],
              [92, 200, 99], [170, 220, 50], [253, 231, 37]];
  function ramp(t) {
    t = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
    var i = Math.min(RAMP.length - 2, Math.floor(t)), f = t - i, a = RAMP[i], c = RAMP[i + 1];
    return "rgb(" + [0, 1, 2].map(function (k) { return Math.round(a[k] + (c[k] - a[k]) * f); }).join(",") + ")";
  }
  function heatmap(b, parent) {
    var nr = b.rows.length, nc = b.columns.length;
    var cell = Math.max(6, Math.min(28, Math.floor(700 / Math.max(1, nc))));
    var rowH = Math.max(6, Math.min(20, Math.floor(560 / Math.max(1, nr))));
    var m = {l: 90, r: 90, t: 96, b: 20};
    var w = m.l + nc * cell + m.r, h = m.t + nr * rowH + m.b;
    var svg = sv("svg", {"class": "gd-plot", width: w, height: h, viewBox: "0 0 " + w + " " + h}, parent);
    var vals = b.values.filter(function (v) { return finite(v) && (!b.log_scale || v > 0); });
    var lo = Math.min.apply(null, vals.length ? vals : [0]), hi = Math.max.apply(null, vals.length ? vals : [1]);
    // With a threshold, the colours start well below it, so values under it never share the colour of
    // values over it (and exact zeros, the darkest, stay apart from small deviations).
    if (b.mark_above > 0) { lo = Math.min(lo, b.log_scale ? b.mark_above / 100 : 0); hi = Math.max(hi, b.mark_above); }
    var tr = function (v) { return b.log_scale ? Math.log10(v) : v; };
    var span = tr(hi) - tr(lo) || 1;
    var marks = 0;
    b.columns.forEach(function (c, j) {
      var x = m.l + j * cell + cell / 2;
      sv("text", {x: x, y: m.t - 6, transform: "rotate(-60 " + x + " " + (m.t - 6) + ")"}, svg, c);
    });
    var every = Math.ceil(11 / rowH);
    b.rows.forEach(function (r, i) {
      if (i % every === 0) sv("text", {x: m.l - 6, y: m.t + i * rowH + rowH / 2 + 4, "text-anchor": "end"}, svg, r);
      for (var j = 0; j < nc; j++) {
        var v = b.values[i * nc + j];
        if (v === null || v === undefined) continue;
        // Grey: not a number; zero on a logarithmic scale is the lowest colour.
        var colour = !finite(v) ? "#ccc" : b.log_scale && v <= 0 ? ramp(0) : ramp((tr(v) - tr(lo)) / span);
        var rect = sv("rect", {x: m.l + j * cell, y: m.t + i * rowH, width: cell - 1, height: rowH - 1,
                               fill: colour, "class": "gd-mark"}, svg);
        if (b.mark_above > 0 && v > b.mark_above) rect.setAttribute("stroke", "#d62728"), rect.setAttribute("stroke-width", 2);
        sv("title", {}, rect, r + " / " + b.columns[j] + ": " + (b.value_label ? b.value_label + " " : "") + fmt(v));
        marks++;
      }
    });
    // Colour key.
    var kx = m.l + nc * cell + 24, ky = m.t, kh = Math.max(60, Math.min(200, nr * rowH));
    for (var s = 0; s < 20; s++)
      sv("rect", {x: kx, y: ky + kh - (s + 1) * kh / 20, width: 12, height: kh / 20 + 0.5, fill: ramp(s / 19)}, svg);
    sv("text", {x: kx + 16, y: ky + 8}, svg, fmt(hi));
    sv("text", {x: kx + 16, y: ky + kh}, svg, fmt(lo));
    if (b.value_label) sv("text", {x: kx, y: ky + kh + 16}, svg, b.value_label);
    if (b.row_label) sv("text", {x: 8, y: 14}, svg, b.row_label + " \u2193  " + (b.column_label || "") + " \u2192");
    done(svg, marks);
  }

  function table(b, parent) {
    var wrap = el("div", {"class": "table-wrap"}, parent);
    var t = el("table", {"class": b.sortable ? "sortable" : ""}, wrap);
    var head = el("tr", {}, el("thead", {}, t));
    var body = el("tbody", {}, t);
    var rows = b.rows.map(function (cells, i) { return {cells: cells, status: (b.status || [])[i] || ""}; });
    function fill() {
      body.textContent = "";
      var frag = document.createDocumentFragment();
      rows.forEach(function (r) {
        var tr = el("tr", r.status ? {"class": r.status} : {}, frag);
        r.cells.forEach(function (v) {
          var numeric = typeof v === "number" || v === null;
          var td = el("td", numeric ? {"class": "num"} : {}, tr, fmt(v));
          if (typeof v === "number") td.title = String(v);
        });
      });
      body.appendChild(frag);
    }
    b.columns.forEach(function (c, k) {
      var th = el("th", {}, head, c);
      if (!b.sortable) return;
      th.addEventListener("click", function () {
        var desc = th.classList.contains("sorted-asc");
        head.querySelectorAll("th").forEach(function (o) { o.classList.remove("sorted-asc", "sorted-desc"); });
        th.classList.add(desc ? "sorted-desc" : "sorted-asc");
        rows.sort(function (p, q) {
          var a = p.cells[k], z = q.cells[k];
          var r = typeof a === "number" && typeof z === "number" ? a - z
                : a === null ? -1 : z === null ? 1 : String(a).localeCompare(String(z), undefined, {numeric: true});
          return desc ? -r : r;
        });
        fill();
      });
    });
    fill();
  }

  var DRAW = {table: table, line: linePlot, histograms: histograms, heatmap: heatmap};

  function render(page) {
    document.title = page.title;
    var header = el("header", {}, document.body);
    el("h1", {}, header, page.title);
    if (page.subtitle) el("div", {"class": "subtitle"}, header, page.subtitle);
    if (page.verdict)
      el("div", {"class": "verdict" + (page.passed === true ? " pass" : page.passed === false ? " fail" : "")}, header, page.verdict);
    var nav = el("nav", {}, document.body);
    var main = el("main", {}, document.body);
    page.sections.forEach(function (s, i) {
      var id = "s" + i;
      el("a", {href: "#" + id}, nav, s.title);
      var sec = el("section", {id: id}, main);
      el("h2", {}, sec, s.title);
      if (s.text) el("p", {}, sec, s.text);
      s.blocks.forEach(function (b) {
        var div = el("div", {"class": "block"}, sec);
        if (b.title) el("h3", {}, div, b.title);
        if (b.note) el("p", {"class": "note"}, div, b.note);
        try {
          DRAW[b.kind](b, div);
        } catch (e) {
          errors.push((b.title || b.kind) + ": " + e.message);
          el("p", {"class": "note"}, div, "This block could not be drawn: " + e.message);
        }
      });
    });
    el("footer", {}, document.body, page.generator || "");
  }

  try {
    render(JSON.parse(document.getElementById("gd-data").textContent));
  } catch (e) {
    errors.push(e.message);
  }
  document.body.setAttribute("data-plots", plots);
  document.body.setAttribute("data-render-ms", Math.round(performance.now() - started));
  // Since the navigation started: reading and parsing the file, then drawing.
  document.body.setAttribute("data-ready-ms", Math.round(performance.now()));
  if (errors.length) document.body.setAttribute("data-errors", errors.join("; "));
  document.body.setAttribute("data-status", "done");
})();
