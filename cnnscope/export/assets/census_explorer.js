// The census explorer's page script (cnnscope/export/census_explorer.py): filters, the scatter, the
// sortable table and the picked model's figures.  The filters follow studies/census/explore.py: a filter
// that is set keeps only rows whose figure is known and within it.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("census-data").textContent);
  var text = JSON.parse(document.getElementById("census-text").textContent);
  var rows = data.rows;
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf", "#393b79", "#ad494a", "#8ca252", "#bd9e39", "#843c39", "#7b4173",
                 "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#6baed6", "#fd8d3c", "#74c476"];
  var NUMERIC = {params: 1, macs: 1, activation_bytes: 1, training_bytes_adam: 1, rf: 1, acc1: 1, acc5: 1, seconds: 1,
                 peak_memory_bytes: 1};
  var state = {by: "group", sortKey: "macs", sortDir: 1, picked: null};
  var plot = document.getElementById("cx-plot");
  var body = document.querySelector("#cx-table tbody");

  function num(v) {
    if (v === null || v === undefined || v === "" || typeof v === "boolean") return null;
    var n = Number(v);
    return isNaN(n) ? null : n;
  }
  function rf(row) {
    var h = num(row.rf_size_h), w = num(row.rf_size_w);
    if (h === null && w === null) return null;
    return Math.max(h === null ? -Infinity : h, w === null ? -Infinity : w);
  }
  function value(row, key) { return key === "rf" ? rf(row) : row[key]; }
  function si(n) {
    var steps = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
    for (var i = 0; i < steps.length; i++) {
      if (Math.abs(n) >= steps[i][0]) return (n / steps[i][0]).toFixed(2) + " " + steps[i][1];
    }
    return String(Math.round(n));
  }
  function megabytes(n) { return (n / 1048576).toFixed(2) + " MB"; }
  function cell(row, key) {
    var v = value(row, key);
    if (v === null || v === undefined || v === "") return text.none;
    if (key === "params") return Number(v).toLocaleString("en-US");
    if (key === "macs") return si(Number(v));
    if (key === "activation_bytes" || key === "training_bytes_adam" || key === "peak_memory_bytes") {
      return megabytes(Number(v));
    }
    if (key === "acc1" || key === "acc5") return Number(v).toFixed(2) + "%";
    if (key === "seconds") return Number(v).toFixed(2);
    return String(v);
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }

  // budgets: a range over the 1-2-5 steps, its last position "any"
  function budget(id, steps) {
    var input = document.getElementById(id), out = document.getElementById(id + "-value");
    input.max = String(steps.length);
    input.value = String(steps.length);
    function limit() { var i = Number(input.value); return i >= steps.length ? null : steps[i]; }
    function show() { var l = limit(); out.textContent = l === null ? text.any : "≤ " + si(l); }
    input.addEventListener("input", function () { show(); update(); });
    show();
    return limit;
  }
  var macLimit = budget("cx-macs", text.macSteps), paramLimit = budget("cx-params", text.paramSteps);
  function checked(cls) {
    var found = {};
    document.querySelectorAll("input." + cls).forEach(function (b) { if (b.checked) found[b.value] = 1; });
    return found;
  }
  function within(v, limit, atMost) {
    if (limit === null) return true;
    var n = num(v);
    if (n === null) return false;
    return atMost ? n <= limit : n >= limit;
  }
  function passing() {
    var inputs = checked("cx-input"), statuses = checked("cx-status");
    var accText = document.getElementById("cx-acc").value, minAcc = accText === "" ? null : Number(accText);
    var macs = macLimit(), params = paramLimit(), kept = [];
    rows.forEach(function (row, i) {
      if (!((row.input || "") in inputs) || !((row.status || "") in statuses)) return;
      if (within(row.macs, macs, true) && within(row.params, params, true) && within(row.acc1, minAcc, false)) kept.push(i);
    });
    return kept;
  }

  function drawPlot(kept) {
    var groups = {}, order = [];
    rows.forEach(function (row) {
      var key = String(row[state.by] || text.none);
      if (!(key in groups)) { groups[key] = []; order.push(key); }
    });
    order.sort();
    var colours = {};
    order.forEach(function (k, j) { colours[k] = PALETTE[j % PALETTE.length]; });
    kept.forEach(function (i) {
      var row = rows[i];
      if (num(row.macs) > 0 && num(row.params) > 0) groups[String(row[state.by] || text.none)].push(i);
    });
    var h = text.hover, traces = [], onPlot = 0;
    order.forEach(function (key) {
      var members = groups[key];
      if (!members.length) return;
      onPlot += members.length;
      traces.push({
        type: "scatter", mode: "markers", name: key,
        x: members.map(function (i) { return num(rows[i].params); }),
        y: members.map(function (i) { return num(rows[i].macs); }),
        customdata: members,
        text: members.map(function (i) {
          var r = rows[i];
          return "<b>" + r.name + "</b><br>" + h.params + ": " + cell(r, "params") + "<br>" + h.macs + ": " +
            cell(r, "macs") + "<br>" + h.input + ": " + cell(r, "input") + "<br>" + h.rf + ": " + cell(r, "rf") +
            "<br>" + h.acc1 + ": " + cell(r, "acc1");
        }),
        hovertemplate: "%{text}<extra>" + key + "</extra>",
        marker: {size: members.map(function (i) { return text.sizes[i]; }), color: colours[key], opacity: 0.75,
                 line: {width: members.map(function (i) { return i === state.picked ? 3 : 0.5; }), color: "#222"}}
      });
    });
    var layout = {
      margin: {l: 70, r: 10, t: 36, b: 55}, hovermode: "closest", legend: {title: {text: text.colourBy[state.by]}, itemsizing: "constant"},
      // SI prefixes (G, not plotly's default B for 10^9), as the table and the rest of cnnscope
      xaxis: {type: "log", exponentformat: "SI", title: {text: text.headers.params}},
      yaxis: {type: "log", exponentformat: "SI", title: {text: text.headers.macs}}
    };
    Plotly.react(plot, traces, layout, {displaylogo: false, responsive: true});
    return onPlot;
  }

  function drawTable(kept) {
    var key = state.sortKey, dir = state.sortDir, numeric = key in NUMERIC;
    var sorted = kept.slice().sort(function (a, b) {
      var va = value(rows[a], key), vb = value(rows[b], key);
      var ea = va === null || va === undefined || va === "", eb = vb === null || vb === undefined || vb === "";
      if (ea || eb) return ea === eb ? a - b : (ea ? 1 : -1);  // no figure: last, either way
      var c = numeric ? Number(va) - Number(vb) : (String(va) < String(vb) ? -1 : String(va) > String(vb) ? 1 : 0);
      return c === 0 ? a - b : dir * c;
    });
    document.querySelectorAll("#cx-table th").forEach(function (th) {
      if (th.dataset.key === key) th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    });
    var keys = Array.prototype.map.call(document.querySelectorAll("#cx-table th"), function (th) { return th.dataset.key; });
    var html = [];
    sorted.forEach(function (i) {
      var r = rows[i];
      html.push('<tr data-index="' + i + '"' + (i === state.picked ? ' class="picked"' : "") + ">" + keys.map(function (k) {
        var td = document.createElement("td");
        td.textContent = cell(r, k);
        if (k in NUMERIC) td.className = "num";
        return td.outerHTML;
      }).join("") + "</tr>");
    });
    if (!sorted.length) html.push('<tr><td colspan="' + keys.length + '">' + text.noRows + "</td></tr>");
    body.innerHTML = html.join("");
  }

  function showDetails() {
    var box = document.getElementById("cx-details");
    if (state.picked === null) { box.textContent = text.details; return; }
    var row = rows[state.picked], dl = document.createElement("dl");
    Object.keys(row).forEach(function (k) {
      var pair = document.createElement("div"), dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = k;
      var shown = k in NUMERIC ? cell(row, k) : row[k];
      dd.textContent = shown === null || shown === undefined || shown === "" ? text.none : String(shown);
      pair.appendChild(dt); pair.appendChild(dd); dl.appendChild(pair);
    });
    box.innerHTML = "";
    var title = document.createElement("strong");
    title.textContent = row.name;
    box.appendChild(title);
    box.appendChild(dl);
  }

  function pick(i) {
    state.picked = i;
    update();
    var tr = body.querySelector('tr[data-index="' + i + '"]');
    if (tr) tr.scrollIntoView({block: "center"});
  }

  function update() {
    var kept = passing();
    var onPlot = drawPlot(kept);
    drawTable(kept);
    showDetails();
    document.getElementById("cx-count").textContent =
      fill(text.shown, {shown: kept.length, total: rows.length}) + "; " + fill(text.onPlot, {n: onPlot});
  }

  document.querySelectorAll("input[name=cx-colour]").forEach(function (r) {
    r.addEventListener("change", function () { state.by = r.value; update(); });
  });
  document.querySelectorAll("input.cx-input, input.cx-status").forEach(function (b) { b.addEventListener("change", update); });
  document.getElementById("cx-acc").addEventListener("input", update);
  document.querySelectorAll("#cx-table th").forEach(function (th) {
    th.addEventListener("click", function () {
      if (state.sortKey === th.dataset.key) state.sortDir = -state.sortDir;
      else { state.sortKey = th.dataset.key; state.sortDir = th.dataset.key in NUMERIC ? -1 : 1; }
      drawTable(passing());
    });
  });
  body.addEventListener("click", function (event) {
    var tr = event.target.closest("tr[data-index]");
    if (tr) { state.picked = Number(tr.dataset.index); update(); }
  });
  update();
  plot.on("plotly_click", function (event) {
    if (event.points && event.points.length) pick(event.points[0].customdata);
  });
  document.body.setAttribute("data-ready", "true");
})();
