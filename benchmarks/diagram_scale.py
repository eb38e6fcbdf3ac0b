"""How fast the interactive diagram (``cnnscope graph MODEL -o x.html``) draws in headless Chromium, with
every row open, and how fast a block opens and closes; timed inside the page with ``performance.now()``.

Method
------
* The page is ``export.interactive_diagram.diagram_page(report, depth=<deepest>)``: every row open.
* **load → drawn**: ``performance.now()`` (0 = navigation start) once the diagram is drawn and the browser
  has painted it (two animation frames after ``data-ready``): parsing the page and its JSON, the layout,
  building the SVG, and Chromium's style, layout and paint.
* **redraw, every row open**: the depth control moved from 1 to the deepest, timed from the change to
  the paint after it (median of 5).
* **open / close a block**: the block of leaf rows nearest the middle of the model closed, then opened
  again (``toggle``), with every other row open, each timed to the paint after it (median and max of 5
  closes and 5 opens).  The page is blocked for the layout and the SVG
  build only; ``data-draw-ms`` is that part ("script" column).
* **viz.js (dot)**, for comparison: Graphviz 16.1 in WebAssembly (the viz.js cnnscope already ships)
  laying out ``vis.graph.to_dot(report, expand=True)``, the static diagram with every row, in the same
  browser (``Viz.instance()`` excluded).
* The 5,000+ node graph: ``stack`` is a synthetic residual net (``--blocks`` blocks of conv, bn, relu,
  conv, bn, add, relu, traced like any model); no timm model found has that many rows
  (timm:hrnet_w64: 1,674 rows).

Usage::

    python benchmarks/diagram_scale.py [densenet201 regnet_y_128gf stack timm:hrnet_w64] [--blocks 700] [--no-viz]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIZ_MAX_ROWS = 3000  # dot on the 5,000-row graph: not tried (it is the layout the page replaces)
sys.path.insert(0, str(ROOT))

PAINTED = """
var done = arguments[arguments.length - 1];
requestAnimationFrame(function () { requestAnimationFrame(function () { done(performance.now()); }); });
"""
TIMED = """
var done = arguments[arguments.length - 1], box = document.querySelector('.cnn-diagram'), d = box.cnnDiagram;
var t0 = performance.now();
(%s)(d, box);
requestAnimationFrame(function () { requestAnimationFrame(function () {
  done([performance.now() - t0, d.lastDraw, box.querySelectorAll('svg [data-layer]').length]); }); });
"""
VIZ = """
var done = arguments[arguments.length - 1], source = arguments[0];
Viz.instance().then(function (viz) {
  var t0 = performance.now(); var svg = viz.renderSVGElement(source); document.body.appendChild(svg);
  requestAnimationFrame(function () { requestAnimationFrame(function () {
    done([performance.now() - t0, svg.querySelectorAll('g.node').length]); }); });
}, function (e) { done([-1, String(e)]); });
"""


def stack(blocks: int):
    import torch.nn as nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16)
            self.conv2, self.bn2 = nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + x)

    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), *[Block() for _ in range(blocks)])


def browser():
    from selenium import webdriver

    from tests.conftest import CHROMEDRIVER, CHROMIUM

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    driver.set_script_timeout(120)
    return driver


def measure(driver, name: str, report, folder: Path, viz: bool) -> dict:
    from cnnscope.export.interactive_diagram import diagram_page

    deepest = max(row.depth for row in report.layers)
    page = folder / "page.html"
    page.write_text(diagram_page(report, depth=max(deepest, 1)), encoding="utf-8")
    driver.get(page.as_uri())
    while driver.execute_script("return document.querySelector('.cnn-diagram').getAttribute('data-ready')") != "true":
        time.sleep(0.02)
    loaded = driver.execute_async_script(PAINTED)
    nodes = driver.execute_script("return document.querySelectorAll('svg [data-layer]').length")
    first = driver.execute_script("return +document.querySelector('.cnn-diagram').getAttribute('data-draw-ms')")
    redraws, toggles = [], []
    for _ in range(5):
        driver.execute_async_script(TIMED % "function (d) { d.setDepth(1); }")
        redraws.append(driver.execute_async_script(TIMED % f"function (d) {{ d.setDepth({deepest}); }}"))
    # the block of leaves nearest the middle of the rows: closing it re-lays out the whole open graph
    block = driver.execute_script(
        "var d = document.querySelector('.cnn-diagram').cnnDiagram, rows = d.data.rows, best = -1;"
        "rows.forEach(function (r, k) { if (r.c && d.children[k].every(function (c) { return !rows[c].c; }) &&"
        "  (best < 0 || Math.abs(k - rows.length / 2) < Math.abs(best - rows.length / 2))) best = k; });"
        "return best;")
    if block > 0:
        for _ in range(10):
            toggles.append(driver.execute_async_script(TIMED % f"function (d) {{ d.toggle({block}); }}"))
    result = {"model": name, "rows": len(report.layers), "nodes": nodes, "load_ms": loaded, "first_script_ms": first,
              "redraw_ms": statistics.median(r[0] for r in redraws),
              "redraw_script_ms": statistics.median(r[1] for r in redraws),
              "toggle_ms": statistics.median(t[0] for t in toggles) if toggles else None,
              "toggle_max_ms": max(t[0] for t in toggles) if toggles else None}
    if viz and len(report.layers) < VIZ_MAX_ROWS:
        from cnnscope.export.wasm_graphviz import viz_script
        from cnnscope.vis.graph import to_dot

        page = folder / "viz.html"
        page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
                        f"<script>{viz_script()}</script></body></html>", encoding="utf-8")
        driver.get(page.as_uri())
        result["viz_ms"], result["viz_nodes"] = driver.execute_async_script(VIZ, to_dot(report, expand=True))
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", default=["densenet201", "regnet_y_128gf", "stack"])
    parser.add_argument("--blocks", type=int, default=700, help="blocks of the synthetic 'stack' model")
    parser.add_argument("--no-viz", action="store_true", help="skip the viz.js comparison")
    args = parser.parse_args(argv)
    from cnnscope import analyze

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    driver = browser()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name in args.models:
                report = analyze(stack(args.blocks), (1, 3, 16, 16), name=f"stack{args.blocks}") if name == "stack" \
                    else analyze(name)
                r = measure(driver, report.model, report, Path(tmp), viz=not args.no_viz)
                toggle = "—" if r["toggle_ms"] is None else f"{r['toggle_ms']:.0f} ms (max {r['toggle_max_ms']:.0f})"
                viz = f", viz.js dot: {r['viz_ms'] / 1000:.1f} s ({r['viz_nodes']} nodes)" if "viz_ms" in r else ""
                print(f"{r['model']}: {r['rows']} rows, {r['nodes']} elements; load→drawn {r['load_ms']:.0f} ms "
                      f"(script {r['first_script_ms']:.0f}); redraw every row {r['redraw_ms']:.0f} ms "
                      f"(script {r['redraw_script_ms']:.0f}); open/close a block {toggle}{viz}", flush=True)
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
