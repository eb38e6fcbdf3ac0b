"""The interactive diagram of ``cnnscope graph resnet18 -o arch.html`` in headless Chromium: it opens,
pans, zooms, opens and closes a block in place, shows a layer's row in ``#layer-details`` and finds a
layer by name; at 1400 px and at an exact 400 px, made with and without graphviz's ``dot``."""

from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONV1_PARAMS = 64 * 3 * 7 * 7  # resnet18's conv1: 64 filters 7×7×3, no bias
CONV1_MACS = 64 * 112 * 112 * 3 * 7 * 7  # 64×112×112 outputs, 147 multiply-adds each


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """arch.html written with ``dot`` where it is installed, and with ``dot`` hidden from cnnscope."""
    from cnnscope.cli.main import main

    folder = tmp_path_factory.mktemp("diagram")
    assert main(["graph", "resnet18", "-o", str(folder / "dot.html")]) == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shutil, "which", lambda name: None)
        assert main(["graph", "resnet18", "-o", str(folder / "nodot.html")]) == 0
    return folder


def _viewport(driver, width: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})


def _view(driver) -> list[float]:
    return [float(v) for v in driver.execute_script(
        "return document.querySelector('svg.cnn-diagram-svg').getAttribute('viewBox')").split()]


def _layers(driver) -> set[str]:
    return set(driver.execute_script(
        "return Array.from(document.querySelectorAll('svg [data-layer]')).map(e => e.getAttribute('data-layer'))"))


def _fit(driver) -> None:
    driver.find_element("css selector", "button.cnn-fit").click()


@pytest.mark.parametrize("width,made", [(1400, "dot"), (400, "nodot"), (1400, "nodot"), (400, "dot")])
def test_the_diagram_in_a_browser(browser, pages, width, made):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
    from selenium.webdriver.support.ui import WebDriverWait

    _viewport(browser, width)
    try:
        browser.get((pages / f"{made}.html").as_uri())
        WebDriverWait(browser, 10).until(lambda d: d.execute_script(
            "return document.querySelector('.cnn-diagram').getAttribute('data-ready')") == "true")
        svg = browser.find_element("css selector", "svg.cnn-diagram-svg")
        # open: resnet18's top-level rows, its four stages closed
        shown = _layers(browser)
        assert {"conv1", "layer1", "layer4", "fc"} <= shown and "layer1.0" not in shown
        assert browser.find_element("css selector", '[data-layer="layer1"]').get_attribute("data-expandable") == "true"
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width
        # pan: a drag of 120×60 px moves the view by as much, in graph units
        before = _view(browser)
        per_px = before[2] / svg.rect["width"]
        ActionChains(browser).move_to_element_with_offset(svg, 0, 0).click_and_hold().move_by_offset(60, 30) \
            .move_by_offset(60, 30).release().perform()
        after = _view(browser)
        assert after[0] == pytest.approx(before[0] - 120 * per_px, rel=0.05, abs=2 * per_px)
        assert after[1] == pytest.approx(before[1] - 60 * per_px, rel=0.05, abs=2 * per_px)
        # zoom: the wheel away from the reader zooms out (a wider view), towards zooms in
        ActionChains(browser).scroll_from_origin(ScrollOrigin.from_element(svg), 0, 300).perform()
        zoomed_out = _view(browser)
        assert zoomed_out[2] > after[2] * 1.2
        ActionChains(browser).scroll_from_origin(ScrollOrigin.from_element(svg), 0, -600).perform()
        assert _view(browser)[2] < zoomed_out[2] / 1.4
        # open a block in place, then close it
        _fit(browser)
        browser.find_element("css selector", '[data-expandable="true"][data-layer="layer1"]').click()
        shown = _layers(browser)
        assert {"layer1.0", "layer1.1", "layer2"} <= shown and "layer1.0.conv1" not in shown
        _fit(browser)
        browser.find_element("css selector", '[data-layer="layer1"].open text.cnn-title').click()
        shown = _layers(browser)
        assert "layer1" in shown and "layer1.0" not in shown
        # a layer's row in the side panel
        browser.find_element("css selector", '[data-layer="conv1"]').click()
        details = browser.find_element("id", "layer-details")
        field = lambda name: details.find_element("css selector", f'td[data-field="{name}"]').text  # noqa: E731
        assert field("name") == "conv1" and field("type") == "Conv2d"
        assert field("params") == f"{CONV1_PARAMS:,}" and field("macs") == f"{CONV1_MACS:,}"
        assert (field("kernel"), field("stride"), field("padding")) == ("7", "2", "3")
        assert field("output") == "1×64×112×112" and field("rf") == "7" and field("jump") == "2"
        # search: the blocks on the way open, the layer is selected and in the middle of the view
        box = browser.find_element("css selector", "input.cnn-search")
        box.clear()
        box.send_keys("layer3.1.conv2\n")
        node = browser.find_element("css selector", '[data-layer="layer3.1.conv2"]')
        assert "selected" in node.get_attribute("class") and field("name") == "layer3.1.conv2"
        middle = browser.execute_script(
            "var r = arguments[0].getBoundingClientRect(), s = arguments[1].getBoundingClientRect();"
            "return [r.x + r.width / 2 - (s.x + s.width / 2), r.y + r.height / 2 - (s.y + s.height / 2)]", node, svg)
        assert abs(middle[0]) < 3 and abs(middle[1]) < 3
        # any case; a partial name steps through its matches, Find after Find (found by a review)
        note = browser.find_element("css selector", ".cnn-search-note")
        box.clear()
        box.send_keys("LAYER2.1.CONV1\n")
        assert field("name") == "layer2.1.conv1" and note.text == ""
        box.clear()
        box.send_keys("downsample.0\n")
        first = field("name")
        assert note.text.startswith("match 1 of 3") and first == "layer2.0.downsample.0"
        box.send_keys("\n")
        assert note.text.startswith("match 2 of 3") and field("name") == "layer3.0.downsample.0"
        box.clear()
        box.send_keys("\n")
        assert note.text == ""
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width
        severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not severe, severe
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_heat_colour_tells_the_stages_apart(browser, pages):
    """With "heat by MACs" the heaviest node in view is the deepest red and the others lighter in
    proportion (a review found resnet50's four stages all the same colour: the scale saturated)."""
    import re

    import cnnscope
    from selenium.webdriver.support.ui import WebDriverWait

    _viewport(browser, 1400)
    try:
        browser.get((pages / "dot.html").as_uri())
        WebDriverWait(browser, 10).until(lambda d: d.execute_script(
            "return document.querySelector('.cnn-diagram').getAttribute('data-ready')") == "true")
        browser.find_element("css selector", "input.cnn-heat").click()
        green = {}
        for name in ("layer1", "layer2", "layer3", "conv1", "fc"):
            fill = browser.find_element("css selector", f'[data-layer="{name}"] rect').get_attribute("fill")
            green[name] = int(re.findall(r"\d+", fill)[1])  # rgb(255, g, b): less green is redder
        macs = {row.name: row.macs for row in cnnscope.analyze("resnet18").layers}
        heaviest = max(green, key=lambda name: macs[name])
        assert green[heaviest] == min(green.values())
        assert sorted(green, key=green.get) == sorted(green, key=lambda name: -macs[name])
        assert green["layer1"] != green["layer2"]
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_app_summary_page_embeds_the_same_diagram():
    """The Summary page's Diagram tab: the page ``graph -o arch.html`` writes, in an iframe."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    import cnnscope
    from cnnscope.export.interactive_diagram import diagram_page

    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=180)
    at.query_params["model"] = "lenet5"
    at.run()
    assert not at.exception
    frames = [e for e in at.get("iframe") if getattr(e.proto, "srcdoc", "")]
    assert len(frames) == 1
    assert frames[0].proto.srcdoc == diagram_page(cnnscope.analyze("lenet5"))
    assert at.get("graphviz_chart"), "the static diagram stays below it"


def test_a_comparison_report_has_one_working_diagram_per_model(browser, tmp_path):
    """``compare -o x.html``: each model's diagram draws, and a click fills that diagram's own panel."""
    import cnnscope
    from cnnscope.export import comparison_document
    from cnnscope.export.document import to_html
    from cnnscope.studies.compare import compare_reports

    reports = [cnnscope.analyze("resnet18"), cnnscope.analyze("lenet5")]
    page = tmp_path / "compare.html"
    page.write_text(to_html(comparison_document.document(compare_reports(reports), "cpu")), encoding="utf-8")
    browser.get(page.as_uri())
    ready = browser.execute_script(
        "return Array.from(document.querySelectorAll('.cnn-diagram')).map(b => b.getAttribute('data-ready'))")
    assert ready == ["true", "true"]
    second = browser.find_element("id", "architecture-1")
    browser.execute_script("arguments[0].scrollIntoView()", second)
    second.find_element("css selector", '[data-layer="0"]').click()  # lenet5's first conv: 6 filters 5×5×1 + 6 biases
    panel = browser.find_element("id", "layer-details-1")
    assert panel.find_element("css selector", 'td[data-field="params"]').text == f"{6 * 25 + 6:,}"
    assert "Click a layer" in browser.find_element("id", "layer-details").text  # the first diagram's panel untouched
