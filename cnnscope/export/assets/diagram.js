/* cnnscope interactive architecture diagram. Part of cnnscope (same licence); no dependencies.
 *
 * Each <div class="cnn-diagram"> holds its graph as JSON (<script type="application/json"
 * class="cnn-diagram-data">, made by cnnscope/vis/diagram_data.py). The page lays out the VISIBLE
 * graph -- closed blocks are single nodes -- with a nested layered layout: inside each open block,
 * its children are ranked by the longest data-flow path between them and placed rank by rank, so a
 * block's box never overlaps another's. It is linear in rows + edges (densenet201 with every row open
 * lays out in tens of milliseconds), which is why no graph library is needed; see docs/architecture.md.
 * Zoom and pan change the SVG's viewBox, so text stays vector text at every zoom.
 */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var FONT = 11, LINE = 14, CHAR = 6.6, PAD = 8, GAP_X = 18, GAP_Y = 30, HEAD = 22;

  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function si(n) {
    var steps = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
    for (var k = 0; k < steps.length; k++) if (Math.abs(n) >= steps[k][0]) return (n / steps[k][0]).toFixed(2) + " " + steps[k][1];
    return String(n);
  }
  function count(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function display(row) { return row.n + (row.call ? " (call " + (row.call + 1) + ")" : ""); }

  function Diagram(box) {
    this.box = box;
    this.data = JSON.parse(box.querySelector("script.cnn-diagram-data").textContent);
    var rows = this.data.rows;
    this.children = rows.map(function () { return []; });
    var maxDepth = 1;
    for (var k = 1; k < rows.length; k++) {
      this.children[rows[k].p].push(k);
      if (rows[k].c) maxDepth = Math.max(maxDepth, rows[k].d + 1);
    }
    this.maxDepth = maxDepth;
    this.open = {};
    this.selected = null;
    this.heat = false;
    this.panel = box.querySelector(".cnn-diagram-details");
    this.svg = box.querySelector("svg.cnn-diagram-svg");
    this.controls();
    this.setDepth(parseInt(box.getAttribute("data-depth") || "1", 10));
    this.zoomable();
    box.setAttribute("data-ready", "true");
  }

  Diagram.prototype.controls = function () {
    var self = this, depth = this.box.querySelector("select.cnn-depth");
    for (var d = 1; d <= this.maxDepth; d++) {
      var option = document.createElement("option");
      option.value = d; option.textContent = d === this.maxDepth ? d + " (every row)" : String(d);
      depth.appendChild(option);
    }
    depth.value = Math.min(parseInt(this.box.getAttribute("data-depth") || "1", 10), this.maxDepth);
    depth.addEventListener("change", function () { self.setDepth(parseInt(depth.value, 10)); self.fit(); });
    this.box.querySelector("button.cnn-fit").addEventListener("click", function () { self.fit(true); });
    this.box.querySelector("input.cnn-heat").addEventListener("change", function (e) { self.heat = e.target.checked; self.draw(); });
    var search = this.box.querySelector("input.cnn-search");
    var go = function () { self.search(search.value); };
    search.addEventListener("keydown", function (e) { if (e.key === "Enter") go(); });
    this.box.querySelector("button.cnn-find").addEventListener("click", go);
  };

  Diagram.prototype.setDepth = function (depth) {
    var rows = this.data.rows;
    this.open = {0: true};
    for (var k = 1; k < rows.length; k++) if (rows[k].c && rows[k].d < depth) this.open[k] = true;
    this.draw();
  };

  // The visible item standing for row k: its outermost closed ancestor, else itself.
  Diagram.prototype.rep = function (k) {
    var rows = this.data.rows, chain = [], r = k;
    while (r > 0) { chain.push(r); r = rows[r].p; }
    for (var i = chain.length - 1; i >= 0; i--) if (!this.open[chain[i]] || !rows[chain[i]].c) return chain[i];
    return k;
  };

  Diagram.prototype.layout = function () {
    var rows = this.data.rows, self = this, repOf = {};
    function rep(k) { if (typeof k !== "number") return k; if (!(k in repOf)) repOf[k] = self.rep(k); return repOf[k]; }
    // Visible edges, lifted to visible items; each is also recorded in the lowest open block holding both
    // ends, between the two children of that block that contain them (the ranking edges of that block).
    var seen = {}, edges = [], local = {};
    function chainOf(k) { var c = []; while (k >= 0) { c.push(k); k = k === 0 ? -1 : rows[k].p; } return c.reverse(); }
    this.data.edges.forEach(function (e) {
      var a = rep(e[0]), b = rep(e[1]);
      if (a === b) return;
      var key = a + ">" + b;
      if (seen[key]) return;
      seen[key] = true;
      edges.push({from: a, to: b, label: e[2]});
      var ca = typeof a === "number" ? chainOf(a) : [0, a], cb = typeof b === "number" ? chainOf(b) : [0, b];
      var i = 0;
      while (i < ca.length && i < cb.length && ca[i] === cb[i]) i++;
      if (i === 0 || i >= ca.length || i >= cb.length) return;
      var block = ca[i - 1];
      (local[block] = local[block] || []).push([ca[i], cb[i]]);
    });
    var size = {}, place = {};  // size[item] = [w, h]; place[item] = [x, y] of its top-left, inside its parent
    function labelLines(k) {
      var row = rows[k], lines = [display(row), row.t + (row.k ? " " + row.k + (row.s && row.s !== "1" ? "/" + row.s : "") : ""), row.o];
      var costs = [];
      if (row.P) costs.push(si(row.P) + " params");
      if (row.M) costs.push(si(row.M) + " MACs");
      if (costs.length) lines.push(costs.join(" · "));
      return lines;
    }
    function measure(lines) {
      var w = 0;
      lines.forEach(function (l) { w = Math.max(w, l.length); });
      return [Math.round(w * CHAR + 2 * PAD), lines.length * LINE + PAD];
    }
    var labels = {};
    function lay(k) {  // size of item k, laying out its children when it is an open block
      if (!(rows[k].c && self.open[k])) {
        labels[k] = labelLines(k);
        size[k] = measure(labels[k]);
        return;
      }
      var kids = self.children[k].slice();
      if (k === 0) kids = self.data.inputs.map(function (_, j) { return "in" + j; }).concat(kids, ["out"]);
      kids.forEach(function (c) {
        if (typeof c === "string") { labels[c] = [c === "out" ? "output " + self.data.output : "input " + self.data.inputs[+c.slice(2)]]; size[c] = measure(labels[c]); }
        else lay(c);
      });
      var order = {}, rank = {};
      kids.forEach(function (c, j) { order[c] = j; rank[c] = 0; });
      var preds = {};
      (local[k] || []).forEach(function (p) { if (order[p[0]] < order[p[1]]) (preds[p[1]] = preds[p[1]] || []).push(p[0]); });
      var ranks = [];
      kids.forEach(function (c) {
        (preds[c] || []).forEach(function (p) { rank[c] = Math.max(rank[c], rank[p] + 1); });
        (ranks[rank[c]] = ranks[rank[c]] || []).push(c);
      });
      var width = 0, y = k === 0 ? PAD : HEAD, widths = [];
      ranks.forEach(function (items, r) {
        if (!items) { widths[r] = 0; return; }
        var w = -GAP_X;
        items.forEach(function (c) { w += size[c][0] + GAP_X; });
        widths[r] = w;
        width = Math.max(width, w);
      });
      var title = (k === 0 ? "" : display(rows[k]) + " (" + rows[k].t + ")");
      width = Math.max(width, title.length * CHAR) + 2 * PAD;
      ranks.forEach(function (items, r) {
        if (!items) return;
        var x = (width - widths[r]) / 2, h = 0;
        items.forEach(function (c) { place[c] = [x, y]; x += size[c][0] + GAP_X; h = Math.max(h, size[c][1]); });
        items.forEach(function (c) { place[c][1] += (h - size[c][1]) / 2; });
        y += h + GAP_Y;
      });
      size[k] = [width, y - GAP_Y + PAD];
      labels[k] = [title];
    }
    lay(0);
    var abs = {};
    function absolute(k, x0, y0) {
      var p = place[k] || [0, 0], x = x0 + p[0], y = y0 + p[1];
      abs[k] = [x, y, size[k][0], size[k][1]];
      if (typeof k === "number" && rows[k].c && self.open[k]) {
        var kids = self.children[k];
        if (k === 0) kids = self.data.inputs.map(function (_, j) { return "in" + j; }).concat(kids, ["out"]);
        kids.forEach(function (c) { absolute(c, x, y); });
      }
    }
    absolute(0, 0, 0);
    return {abs: abs, labels: labels, edges: edges};
  };

  Diagram.prototype.draw = function () {
    var t0 = performance.now(), rows = this.data.rows, self = this;
    var L = this.layout(), abs = L.abs, parts = [];
    // the heat is relative to the heaviest node in view, so the stages of a net stay apart (a scale
    // fixed to the whole model's MACs saturated at any share of 16 % or more)
    var peak = 0;
    Object.keys(abs).forEach(function (key) {
      var k = +key;
      if (!isNaN(k) && k > 0 && !(rows[k].c && self.open[k])) peak = Math.max(peak, rows[k].M || 0);
    });
    function fill(k) {
      if (typeof k !== "number") return "#ffffff";
      if (self.heat) {
        var s = peak > 0 ? Math.sqrt((rows[k].M || 0) / peak) : 0;
        return "rgb(255," + Math.round(245 - 150 * s) + "," + Math.round(235 - 200 * s) + ")";
      }
      return rows[k].c ? "#e3efe3" : rows[k].f ? "#fbf3e4" : "#eef3fb";
    }
    // open blocks first (boxes behind), outermost first
    Object.keys(abs).forEach(function (key) {
      var k = isNaN(+key) ? key : +key;
      if (k === 0 || typeof k !== "number" || !(rows[k].c && self.open[k])) return;
      var a = abs[k];
      parts.push('<g class="cnn-block open" data-layer="' + esc(rows[k].n) + '" data-row="' + k + '" data-expandable="true">' +
        '<rect x="' + a[0] + '" y="' + a[1] + '" width="' + a[2] + '" height="' + a[3] + '" rx="6" fill="none" stroke="#aab6c8"/>' +
        '<text x="' + (a[0] + PAD) + '" y="' + (a[1] + 15) + '" class="cnn-title">⊟ ' + esc(L.labels[k][0]) + '</text></g>');
    });
    // Edge labels: a tensor fanned out to several rows is labelled once, and a label that would print
    // over one already placed is left out (its shape is on the node it points to and in the side panel).
    var placed = [], fanned = {};
    function roomFor(label, x, y) {
      var w = 5.6 * label.length;
      for (var i = 0; i < placed.length; i++) {
        var p = placed[i];
        if (x < p[0] + p[2] && p[0] < x + w && Math.abs(y - p[1]) < 11) return false;
      }
      placed.push([x, y, w]);
      return true;
    }
    L.edges.forEach(function (e) {
      var a = abs[e.from], b = abs[e.to];
      if (!a || !b) return;
      var x1 = a[0] + a[2] / 2, y1 = a[1] + a[3], x2 = b[0] + b[2] / 2, y2 = b[1], d;
      if (y2 - y1 > 2 * GAP_Y + 20 && Math.abs(x1 - x2) < 4) {  // a skip over the nodes between: bow out to the right
        var bow = Math.max(a[2], b[2]) / 2 + 30;
        d = "M" + x1 + "," + y1 + " C" + (x1 + bow) + "," + (y1 + 40) + " " + (x2 + bow) + "," + (y2 - 40) + " " + x2 + "," + y2;
        var lx = x1 + bow * 0.75, ly = (y1 + y2) / 2;
      } else {
        var m = (y1 + y2) / 2;
        d = "M" + x1 + "," + y1 + " C" + x1 + "," + m + " " + x2 + "," + m + " " + x2 + "," + y2;
        lx = (x1 + x2) / 2 + 4; ly = m + 4;
      }
      parts.push('<path class="cnn-edge" d="' + d + '" marker-end="url(#cnn-arrow)"/>');
      var once = e.from + "|" + e.label;
      if (e.label && !fanned[once] && roomFor(e.label, lx, ly)) {
        fanned[once] = true;
        parts.push('<text class="cnn-edge-label" x="' + lx + '" y="' + ly + '">' + esc(e.label) + '</text>');
      }
    });
    Object.keys(abs).forEach(function (key) {
      var k = isNaN(+key) ? key : +key, a = abs[k];
      if (k === 0 || (typeof k === "number" && rows[k].c && self.open[k])) return;
      var lines = L.labels[k], attrs;
      if (typeof k === "number") {
        attrs = ' class="cnn-node' + (rows[k].c ? " closed" : "") + (self.selected === k ? " selected" : "") + '" data-layer="' +
          esc(rows[k].n) + '" data-row="' + k + '"' + (rows[k].c ? ' data-expandable="true"' : "");
      } else attrs = ' class="cnn-io"';
      var text = "";
      lines.forEach(function (line, j) {
        text += '<text x="' + (a[0] + a[2] / 2) + '" y="' + (a[1] + PAD / 2 + LINE * (j + 0.8)) + '"' + (j === 0 ? ' class="cnn-name"' : "") + ">" +
          (j === 0 && typeof k === "number" && rows[k].c ? "⊞ " : "") + esc(line) + "</text>";
      });
      parts.push("<g" + attrs + '><rect x="' + a[0] + '" y="' + a[1] + '" width="' + a[2] + '" height="' + a[3] + '" rx="' +
        (typeof k === "number" && rows[k].f ? 12 : 4) + '" fill="' + fill(k) + '"/>' + text + "</g>");
    });
    var whole = abs[0];
    this.extent = [whole[2], whole[3]];
    this.svg.innerHTML = '<defs><marker id="cnn-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto">' +
      '<path d="M0,0 L8,4 L0,8 z" fill="#777"/></marker></defs><g class="cnn-root">' + parts.join("") + "</g>";
    if (!this.view) this.fit();
    else this.apply();
    this.lastDraw = performance.now() - t0;
    this.box.setAttribute("data-draw-ms", this.lastDraw.toFixed(1));
    this.box.setAttribute("data-nodes", String(this.svg.querySelectorAll("[data-layer]").length));
  };

  Diagram.prototype.toggle = function (k) {
    if (this.open[k]) {  // close it and everything inside
      var stack = [k];
      while (stack.length) { var r = stack.pop(); delete this.open[r]; stack.push.apply(stack, this.children[r]); }
    } else this.open[k] = true;
    this.draw();
  };

  Diagram.prototype.details = function (k) {
    var row = this.data.rows[k], total = this.data.macs;
    this.selected = k;
    var fields = [["Name", display(row), "name"], ["Type", row.t, "type"], ["Input", row.i || "—", "input"], ["Output", row.o, "output"]];
    [["Kernel", "k"], ["Stride", "s"], ["Padding", "pad"], ["Dilation", "dil"], ["Groups", "g"]].forEach(function (f) {
      if (row[f[1]] !== undefined) fields.push([f[0], String(row[f[1]]), f[0].toLowerCase()]);
    });
    fields.push(["Parameters", count(row.P || 0), "params"]);
    fields.push(["MACs", count(row.M || 0), "macs"]);
    fields.push(["MAC share", total ? (100 * (row.M || 0) / total).toFixed(1) + "%" : "—", "share"]);
    if (row.rf !== undefined) { fields.push(["Receptive field", row.rf, "rf"]); fields.push(["Jump", row.j, "jump"]); }
    this.panel.innerHTML = "<table>" + fields.map(function (f) {
      return '<tr><th>' + esc(f[0]) + '</th><td data-field="' + f[2] + '">' + esc(f[1]) + "</td></tr>";
    }).join("") + "</table>";
    this.panel.setAttribute("data-layer", row.n);
    var was = this.svg.querySelector(".cnn-node.selected");
    if (was) was.classList.remove("selected");
    var node = this.svg.querySelector('.cnn-node[data-row="' + k + '"]');
    if (node) node.classList.add("selected");
  };

  // An exact name first, then every row whose name holds the text (any case); pressing Find or Enter
  // again with the same text goes on to the next match.
  Diagram.prototype.search = function (query) {
    query = query.trim();
    var note = this.box.querySelector(".cnn-search-note");
    if (!query) { note.textContent = ""; return; }
    var rows = this.data.rows, wanted = query.toLowerCase(), matches = [];
    for (var k = 1; k < rows.length; k++) if (rows[k].n.toLowerCase() === wanted) matches.push(k);
    for (k = 1; k < rows.length; k++) {
      if (rows[k].n.toLowerCase() !== wanted && rows[k].n.toLowerCase().indexOf(wanted) >= 0) matches.push(k);
    }
    if (!matches.length) { note.textContent = "no layer named like " + query; return; }
    this.found = this.found && this.found.query === wanted ? this.found : {query: wanted, at: -1};
    this.found.at = (this.found.at + 1) % matches.length;
    var hit = matches[this.found.at];
    note.textContent = matches.length > 1 ? "match " + (this.found.at + 1) + " of " + matches.length +
      " (Find again for the next)" : "";
    for (var r = rows[hit].p; r > 0; r = rows[r].p) this.open[r] = true;
    this.draw();
    this.details(hit);
    var a = this.lastAbs(hit);
    if (a) { var w = this.view[2], h = this.view[3]; this.view = [a[0] + a[2] / 2 - w / 2, a[1] + a[3] / 2 - h / 2, w, h]; this.apply(); }
  };

  Diagram.prototype.lastAbs = function (k) {
    var node = this.svg.querySelector('[data-row="' + k + '"] rect');
    if (!node) return null;
    return [+node.getAttribute("x"), +node.getAttribute("y"), +node.getAttribute("width"), +node.getAttribute("height")];
  };

  // whole: the whole graph in view (the Fit button, capped at 1.5× natural size); else a first view
  // whose text is readable (natural size, or the width), the top of the graph centred
  Diagram.prototype.fit = function (whole) {
    var w = this.extent[0] + 20, h = this.extent[1] + 20, rect = this.svg.getBoundingClientRect();
    var pw = rect.width || 800, ph = rect.height || 600;
    var scale = Math.min(pw / w, ph / h, 1.5);
    if (!whole) scale = Math.max(scale, Math.min(1, pw / w));
    var vw = pw / scale, vh = ph / scale;
    this.view = [-10 - (vw - w) / 2, h * scale <= ph ? -10 - (vh - h) / 2 : -10, vw, vh];
    this.apply();
  };

  Diagram.prototype.apply = function () { this.svg.setAttribute("viewBox", this.view.map(function (v) { return v.toFixed(2); }).join(" ")); };

  Diagram.prototype.zoomAt = function (factor, cx, cy) {  // cx, cy: the point kept still, in client pixels
    var rect = this.svg.getBoundingClientRect(), v = this.view;
    var px = v[0] + (cx - rect.left) / rect.width * v[2], py = v[1] + (cy - rect.top) / rect.height * v[3];
    var w = Math.min(Math.max(v[2] * factor, 20), 1e6), f = w / v[2];
    this.view = [px - (px - v[0]) * f, py - (py - v[1]) * f, w, v[3] * f];
    this.apply();
  };

  Diagram.prototype.zoomable = function () {
    var self = this, svg = this.svg, pointers = {}, moved = 0, pinch = null;
    svg.addEventListener("wheel", function (e) {
      e.preventDefault();
      self.zoomAt(Math.exp(e.deltaY * 0.0015), e.clientX, e.clientY);
    }, {passive: false});
    svg.addEventListener("pointerdown", function (e) {
      pointers[e.pointerId] = [e.clientX, e.clientY];
      moved = 0;
      var ids = Object.keys(pointers);
      if (ids.length === 2) {
        var p = pointers[ids[0]], q = pointers[ids[1]];
        pinch = Math.hypot(p[0] - q[0], p[1] - q[1]);
      }
    });
    svg.addEventListener("pointermove", function (e) {
      if (!pointers[e.pointerId]) return;
      var last = pointers[e.pointerId], ids = Object.keys(pointers);
      pointers[e.pointerId] = [e.clientX, e.clientY];
      if (ids.length === 2 && pinch) {
        var p = pointers[ids[0]], q = pointers[ids[1]], d = Math.hypot(p[0] - q[0], p[1] - q[1]);
        self.zoomAt(pinch / d, (p[0] + q[0]) / 2, (p[1] + q[1]) / 2);
        pinch = d; moved += 10;
        return;
      }
      var rect = svg.getBoundingClientRect(), dx = e.clientX - last[0], dy = e.clientY - last[1];
      moved += Math.abs(dx) + Math.abs(dy);
      if (moved > 3) {
        if (svg.setPointerCapture && !svg.hasPointerCapture(e.pointerId)) svg.setPointerCapture(e.pointerId);
        self.view[0] -= dx / rect.width * self.view[2];
        self.view[1] -= dy / rect.height * self.view[3];
        self.apply();
      }
    });
    function up(e) { delete pointers[e.pointerId]; if (Object.keys(pointers).length < 2) pinch = null; }
    svg.addEventListener("pointerup", up);
    svg.addEventListener("pointercancel", up);
    svg.addEventListener("click", function (e) {
      if (moved > 3) return;  // the end of a drag, not a click
      var node = e.target.closest("[data-row]");
      if (!node) return;
      var k = +node.getAttribute("data-row");
      if (node.getAttribute("data-expandable") === "true") self.toggle(k);
      self.details(k);
    });
  };

  function mountAll() {
    var boxes = document.querySelectorAll(".cnn-diagram:not([data-ready])");
    for (var k = 0; k < boxes.length; k++) {
      try { boxes[k].cnnDiagram = new Diagram(boxes[k]); }
      catch (error) { boxes[k].setAttribute("data-ready", "failed"); boxes[k].querySelector(".cnn-diagram-details").textContent = "The diagram could not be drawn: " + error.message; }
    }
  }
  window.CnnDiagram = {mountAll: mountAll, Diagram: Diagram};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
