"""How long a report made without graphviz takes to draw its diagram in the reader's browser, and
what the vendored viz.js adds to the file.

For each model: the HTML model report rendered as on a machine without ``dot`` (the DOT source and
viz.js in the page), opened from a file in headless Chromium with the network off; the time from
navigation start until every diagram is drawn (the loader marks each ``data-drawn="wasm"``), read
from the page's own clock, and the nodes drawn; beside it, the same report carrying dot's SVG, until its
load event (dot must be installed for that baseline).

    python benchmarks/report_diagram.py                     # resnet18 vgg16 densenet121 googlenet
    python benchmarks/report_diagram.py --repeats 5 resnet50
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

import cnnscope
from cnnscope.export import model_document
from cnnscope.export.wasm_graphviz import viz_script

NOT_PENDING = "return document.querySelectorAll('.diagram[data-drawn=pending]').length === 0"


def driver():
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"),
                               options=options)
    browser.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    return browser


def loaded_after(browser, path: Path) -> float:
    """ms from navigation start to the page's load event (the baseline: plotly.js and the charts)."""
    browser.get(path.as_uri())
    while not browser.execute_script("return document.readyState === 'complete'"):
        time.sleep(0.01)
    return browser.execute_script("return performance.getEntriesByType('navigation')[0].loadEventEnd")


def drawn_after(browser, path: Path) -> tuple[float, list[str], int]:
    """(ms from navigation start to the last diagram drawn, each diagram's outcome, its SVG nodes)."""
    browser.get(path.as_uri())
    deadline = time.monotonic() + 120
    while not browser.execute_script(NOT_PENDING):
        if time.monotonic() > deadline:
            raise SystemExit(f"{path.name}: still drawing after 120 s")
        time.sleep(0.01)
    ms = browser.execute_script("return performance.now()")
    outcome = browser.execute_script("return Array.from(document.querySelectorAll('.diagram'))"
                                     ".map(d => d.getAttribute('data-drawn'))")
    nodes = browser.execute_script("return document.querySelectorAll('.diagram svg g.node').length")
    return ms, outcome, nodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["resnet18", "vgg16", "densenet121", "googlenet"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"viz.js: {len(viz_script().encode()) / 2**20:.2f} MiB; load {os.getloadavg()[0]:.2f}")
    browser = driver()
    try:
        with tempfile.TemporaryDirectory() as folder:
            for model in args.models:
                report = cnnscope.analyze(model)
                with mock.patch("cnnscope.export.graphviz.shutil.which", return_value=None):  # as without dot
                    without = model_document.render(report, "html")
                with_dot = model_document.render(report, "html")
                path, dot_path = Path(folder) / f"{model}.html", Path(folder) / f"{model}-dot.html"
                path.write_text(without, encoding="utf-8")
                dot_path.write_text(with_dot, encoding="utf-8")
                runs = [drawn_after(browser, path) for _ in range(args.repeats)]
                baseline = statistics.median(loaded_after(browser, dot_path) for _ in range(args.repeats))
                outcomes = {tuple(r[1]) for r in runs}
                times = [r[0] for r in runs]
                print(f"{model:12s} drawn {statistics.median(times):7.0f} ms after navigation (median of "
                      f"{len(times)}; in order: {', '.join(f'{t:.0f}' for t in times)}); {runs[0][2]} nodes; "
                      f"outcomes {sorted(outcomes)}; file {len(without.encode()) / 2**20:.2f} MiB without dot, "
                      f"{len(with_dot.encode()) / 2**20:.2f} MiB with dot, whose page is loaded after "
                      f"{baseline:.0f} ms (median)")
    finally:
        browser.quit()


if __name__ == "__main__":
    main()
