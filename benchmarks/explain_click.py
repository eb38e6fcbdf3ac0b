"""What a click on the app's Explain a unit page costs: VGG-16 with random weights (seed 0) on the
224×224 sample photo, for the first convolution (features.0: 3×3×3 = 27 products) and one deep in the net
(features.28: 3×3×512 = 4,608 products).

Method
------
* **capture**: the traced forward pass that keeps one row whole (``probes.unit.capture``), once per
  (model, weights, image, row); the page keeps it (st.cache_resource).  The first visit to a row also
  captures the rows "What the next rows make of it" explains (timed together as "first visit").
* **click, library**: what the page computes for one unit once the captures are kept:
  ``explain_captured`` (top 75, as the page asks), the next rows (``app.explain_chain``), the receptive
  field drawn on the image, the feature map and the patch/kernel/products heat maps, each figure turned
  into the JSON Streamlit sends (``plotly.tools.return_figure_from_figure_or_data`` with validation, then
  ``plotly.io.to_json``, as ``st.plotly_chart`` does).  Median and max over distinct units.
* **click, whole page**: the page script rerun headless (``streamlit.testing.AppTest``) after the unit's
  number boxes change: everything above plus the sidebar, the widgets and Streamlit's own work, without
  the browser's drawing.  Median and max over distinct units.
* **click, browser** (``--browser``): `cnnscope app` on a loopback port and Debian's headless Chromium; a
  real mouse click on a cell of the map, timed until the panel names the clicked unit and the script
  has finished (the tests' ``_idle``: no running indicator for 0.4 s, not counted).  This adds the
  network, Plotly drawing the map (50,176 cells at features.0) and Streamlit's redraw.

Usage::

    python benchmarks/explain_click.py [--clicks 7] [--no-page] [--browser]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("features.0", "features.28")


def _units(shape, count: int, seed: int = 0) -> list[tuple[int, int, int]]:
    import random

    pick = random.Random(seed)
    c, h, w = shape
    found = []
    while len(found) < count:
        unit = (pick.randrange(c), pick.randrange(h), pick.randrange(w))
        if unit not in found:
            found.append(unit)
    return found


def _as_streamlit_sends(figure) -> int:
    import plotly.io
    import plotly.tools

    checked = plotly.tools.return_figure_from_figure_or_data(figure, validate_figure=True)
    return len(plotly.io.to_json(checked, validate=False))


def library(clicks: int) -> None:
    from cnnscope.app import explain_figures as figures
    from cnnscope.app import explain_panel as panel
    from cnnscope.app.explain_chain import next_rows
    from cnnscope.probes.unit import capture, explain_captured
    from cnnscope.sources import load_model
    from cnnscope.vis.images import to_input
    from cnnscope.zoo import get_entry

    model = load_model("vgg16", "cpu", seed=0).module.eval()
    from sklearn.datasets import load_sample_image
    from PIL import Image

    photo = Image.fromarray(load_sample_image("china.jpg"))
    mean, std = get_entry("vgg16").normalization
    inputs, resized = to_input(photo, 3, (224, 224), mean, std)
    kept = {}

    def captured_row(name):
        if name not in kept:
            kept[name] = capture(model, inputs, name)
        return kept[name]

    for layer in LAYERS:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            captured = capture(model, inputs, layer)
            times.append(time.perf_counter() - start)
        kept.clear()
        start = time.perf_counter()
        captured = captured_row(layer)
        first_unit = (0, 0, 0)
        next_rows(model, inputs, captured, first_unit, captured_row)
        first = time.perf_counter() - start
        output = captured.output.detach()[0].double().numpy()
        costs, sizes, terms = [], [], None
        for unit in _units(output.shape, clicks):
            start = time.perf_counter()
            e = explain_captured(captured, unit, top=panel.ALL_NUMBERS)
            chain = next_rows(model, inputs, captured, unit, captured_row)
            drawn = [figures.feature_map(output[unit[0]], f"layer {layer}, channel {unit[0]}", unit[1:])]
            planes = figures.kernel_planes(e, 0)
            drawn += [figures.small_heat(planes[name], name) for name in ("patch", "kernel", "products")]
            panel.field_picture(e, resized)
            size = sum(_as_streamlit_sends(figure) for figure in drawn)
            costs.append(time.perf_counter() - start)
            sizes.append(size)
            terms = e.terms
            assert e.check.ok and len(chain.steps) >= 1
        print(f"{layer}: {terms:,} products; capture {statistics.median(times):.2f} s (median of 3), first visit "
              f"with the next rows' captures {first:.2f} s; one click (library) median "
              f"{statistics.median(costs):.3f} s, "
              f"max {max(costs):.3f} s over {clicks} units; figures {statistics.median(sizes) / 1e6:.2f} MB of JSON")


def page(clicks: int) -> None:
    """The page script rerun headless for each unit, as a click reruns it."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.sidebar.selectbox(key="zoo_model").set_value("vgg16").run()
    start = time.perf_counter()
    at.sidebar.radio(key="page").set_value("Explain a unit").run()  # opens on the first conv, features.0
    opened = time.perf_counter() - start
    for layer in LAYERS:
        first = opened
        if at.selectbox(key="explain_layer").value != layer:
            start = time.perf_counter()
            at.selectbox(key="explain_layer").set_value(layer).run()
            first = time.perf_counter() - start
        assert not at.exception and not at.error, [e.value for e in at.error]
        shape = {"features.0": (64, 224, 224), "features.28": (512, 14, 14)}[layer]
        costs = []
        for c, y, x in _units(shape, clicks, seed=1):
            for axis, value in zip("cyx", (c, y, x)):
                at.number_input(key=f"explain_{axis}").set_value(value)
            start = time.perf_counter()
            at.run()
            costs.append(time.perf_counter() - start)
            assert not at.exception and not at.error, [e.value for e in at.error]
            assert f"Unit ({c}, {y}, {x}) of layer {layer}" in [s.value.replace("\\", "") for s in at.subheader]
        what = ("opening the page (builds VGG-16 with random weights, captures the row and the next rows)"
                if first is opened else "picking the row (captures it and the next rows)")
        print(f"{layer}: {what} {first:.2f} s; one click (whole page rerun, headless) median "
              f"{statistics.median(costs):.3f} s, max {max(costs):.3f} s over {clicks} units")


def browser(clicks: int) -> None:
    """Real clicks in headless Chromium on the map of each row (see the module's docstring)."""
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.app.test_browser import CNNSCOPE_APP, _idle, _open_sidebar, _page_label, _start, _stop, _wait_for_text
    from tests.app.test_explain_browser import _click_cell
    from tests.conftest import CHROMEDRIVER, CHROMIUM

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    process, url, _ = _start(CNNSCOPE_APP)
    try:
        driver.get(f"{url}/?model=vgg16")
        _wait_for_text(driver, "138,357,544", timeout=300)
        _idle(driver)
        _open_sidebar(driver)
        _page_label(driver, "Explain a unit").click()
        _wait_for_text(driver, "What the next rows make of it", timeout=300)
        _idle(driver)
        for layer in LAYERS:
            if layer != "features.0":
                box = driver.find_element(By.CSS_SELECTOR, ".st-key-explain_layer input")
                box.click()
                box.send_keys(layer + " ")
                box.send_keys("\ue007")  # Enter
                _wait_for_text(driver, f"of layer {layer}", timeout=300)
                _idle(driver)
            size = {"features.0": 224, "features.28": 14}[layer]
            costs = []
            for _, y, x in _units((1, size, size), clicks, seed=2):
                start = time.perf_counter()
                _click_cell(driver, y, x)
                clicked = time.perf_counter() - start  # scrolling the map into view and the pointer's pause
                WebDriverWait(driver, 60, poll_frequency=0.02).until(lambda d: d.execute_script(
                    "return [...document.querySelectorAll('h3')].some(h => h.textContent.includes(arguments[0]))",
                    f", {y}, {x}) of layer {layer}"))
                shown = time.perf_counter() - start - clicked
                _idle(driver)
                costs.append(shown)
            print(f"{layer}: one click in Chromium, from the mouse button to the panel naming the unit: median "
                  f"{statistics.median(costs):.2f} s, max {max(costs):.2f} s over {clicks} units")
    finally:
        _stop(process)
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=7, help="distinct units per layer (≥ 5)")
    parser.add_argument("--no-page", action="store_true", help="skip the headless page reruns")
    parser.add_argument("--browser", action="store_true", help="also time real clicks in headless Chromium")
    args = parser.parse_args()
    import torch

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), Python {platform.python_version()}")
    library(max(args.clicks, 5))
    if not args.no_page:
        page(max(args.clicks, 5))
    if args.browser:
        browser(max(args.clicks, 5))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
