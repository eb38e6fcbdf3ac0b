"""The Compare page: the model picker adds one model per Enter, and the MACs-against-parameters scatter keeps
every marker (and its name) inside the grid with SI-labelled ticks."""

import math
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest


def test_the_picker_has_no_select_all_row_so_enter_adds_the_highlighted_match_only():
    """Streamlit ≥ 1.63 puts "Select N matches" first in the dropdown and Enter commits the first row: every
    match was added.  With select_all=False the first row is the first match."""
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=120)
    at.run()
    at.sidebar.radio(key="page").set_value("Compare").run()
    assert not at.exception
    picker = at.multiselect(key="compare_models")
    assert picker.proto.select_all == 0  # 0: never shown (the default, 1000, shows it up to 1000 options)
    assert picker.value == ["resnet18", "vgg16"]
    picker.set_value(["resnet18", "vgg16", "lenet5"]).run()
    assert not at.exception and at.multiselect(key="compare_models").value == ["resnet18", "vgg16", "lenet5"]


def test_the_scatter_has_every_marker_inside_the_padded_log_ranges(analyze):
    from cnnscope.studies.compare import compare_reports
    from cnnscope.vis.charts import macs_vs_params

    rows = [r.to_dict() for r in compare_reports([analyze("resnet18"), analyze("vgg16")]).rows]
    assert [(r["params"], r["macs"]) for r in rows] == [(11_689_512, 1_814_073_344), (138_357_544, 15_470_264_320)]
    figure = macs_vs_params(rows)
    x_low, x_high = figure.layout.xaxis.range
    y_low, y_high = figure.layout.yaxis.range
    for r in rows:
        assert x_low < math.log10(r["params"]) < x_high
        assert y_low < math.log10(r["macs"]) < y_high
    # the top marker (vgg16, 1.545e10 MACs) has room above it for its name: 0.3 of the 0.93-decade span
    y_span = math.log10(15_470_264_320) - math.log10(1_814_073_344)
    assert y_high - math.log10(15_470_264_320) == pytest.approx(max(0.3 * y_span, 0.15))
    # every tick has its SI suffix, none is a bare digit
    assert list(figure.layout.xaxis.ticktext) == ["10M", "20M", "50M", "100M"]
    assert list(figure.layout.yaxis.ticktext) == ["2G", "5G", "10G", "20G"]
    assert list(figure.layout.xaxis.tickvals) == [1e7, 2e7, 5e7, 1e8]


def test_si_labels():
    from cnnscope.vis.charts import si_label

    assert [si_label(v) for v in (50, 500e3, 2e7, 1.5e9, 3e12)] == ["50", "500k", "20M", "1.5G", "3T"]


@pytest.mark.slow
def test_enter_in_the_picker_adds_one_model_in_a_real_browser(browser):
    """Typed "resnet" (resnet18 is already picked; resnet34, 50, 101, 152 … match): Enter adds one model."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.app.test_browser import STREAMLIT_RUN, _idle, _pick_page, _start, _stop, _wait_for_text

    process, url, _ = _start(STREAMLIT_RUN)
    try:
        browser.set_window_size(1400, 1000)
        browser.get(url)
        _wait_for_text(browser, "61,706")
        _pick_page(browser, "Compare")
        picker = '[data-testid="stMain"] [data-testid="stMultiSelect"]'

        def picked(driver):
            tags = driver.find_elements(By.CSS_SELECTOR, f"{picker} [data-tag]")
            return [t.get_attribute("aria-label") for t in tags]

        assert picked(browser) == ["resnet18", "vgg16"]
        box = browser.find_element(By.CSS_SELECTOR, f"{picker} input")
        box.click()
        box.send_keys("resnet")
        time.sleep(0.5)
        options = [o.text for o in browser.find_elements(By.CSS_SELECTOR, '[role="option"]')]
        assert len(options) >= 4 and not any("Select" in o for o in options), options
        box.send_keys(Keys.ENTER)
        WebDriverWait(browser, 30).until(lambda d: len(picked(d)) > 2)
        _idle(browser)
        assert picked(browser) == ["resnet18", "vgg16", options[0]]
    finally:
        _stop(process)


def test_byte_bars_under_a_megabyte_are_drawn_in_kilobytes_with_room_for_their_labels():
    """The kernel study's 8×8 maps are kilobytes: "0.0 MB" on every bar said nothing."""
    from cnnscope.vis.charts import metric_bars

    small = metric_bars([{"model": "a", "activation_bytes": 16 * 1024}, {"model": "b", "activation_bytes": 48 * 1024}],
                        "activation_bytes", "Activation memory", "bytes")
    assert list(small.data[0].y) == [16, 48] and list(small.data[0].text) == ["16.0 kB", "48.0 kB"]
    assert small.layout.yaxis.title.text == "kB" and list(small.layout.yaxis.range) == pytest.approx([0, 48 * 1.15])
    big = metric_bars([{"model": "a", "activation_bytes": 3 * 2**20}, {"model": "b", "activation_bytes": 2**19}],
                      "activation_bytes", "Activation memory", "bytes")
    assert list(big.data[0].y) == [3, 0.5] and list(big.data[0].text) == ["3.0 MB", "0.5 MB"]
    assert big.layout.yaxis.title.text == "MB"
