"""The Explain a unit page in a real browser (`cnnscope app`, Debian's headless Chromium), at 1400 px and at a
phone's 400 px: a real mouse click on a cell of the Plotly feature map selects that unit, and the panel's
numbers are those of ``probes.unit.explain`` run here on a model built afresh.  At 1400 px it takes the
picture of docs/app.md (tests/app/screenshots/docs/app-explain.png, copied to docs/gallery/ after a look)."""

import math
import re
import time

import pytest

from .test_browser import CNNSCOPE_APP, DOC_SHOTS, SHOTS, _idle, _open_sidebar, _page_label, _problems, _start, \
    _stop, _wait_for_text

pytest.importorskip("selenium")
from selenium.webdriver.common.actions.action_builder import ActionBuilder  # noqa: E402
from selenium.webdriver.common.actions.pointer_input import PointerInput  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.slow

CELL = {1400: (9, 20), 400: (21, 6)}  # (row, column) clicked in channel 3 of LeNet-5's first conv

# where cell (x, y) of the map sits on the screen: Plotly's own axis mapping (data -> pixels in the plot
# area) plus the plot area's place in the viewport; the click itself is a real pointer event
_CELL_PIXEL = """
const gd = arguments[0].querySelector('.js-plotly-plot');
const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
return [box.left + xa._offset + xa.l2p(arguments[1]), box.top + ya._offset + ya.l2p(arguments[2])];
"""


@pytest.fixture(scope="module")
def explain_server():
    process, url, _ = _start(CNNSCOPE_APP)
    yield url
    _stop(process)


@pytest.fixture(scope="module")
def reference():
    """LeNet-5 with the page's "Random (seed 0)" weights, and digits sample 17 as the model sees it."""
    from cnnscope.probes.unit import explain
    from cnnscope.sources import load_model
    from cnnscope.vis.images import digits_image, to_input
    from cnnscope.zoo import get_entry

    model = load_model("lenet5", "cpu", seed=0).module.eval()
    mean, std = get_entry("lenet5").normalization or (None, None)
    inputs, _ = to_input(digits_image("17"), 1, (28, 28), mean, std)
    return lambda layer, unit: explain(model, inputs, layer, unit)


def _metric(driver, label: str) -> str:
    for metric in driver.find_elements(By.CSS_SELECTOR, '[data-testid="stMetric"]'):
        if metric.find_element(By.CSS_SELECTOR, '[data-testid="stMetricLabel"]').text.strip() == label:
            return metric.find_element(By.CSS_SELECTOR, '[data-testid="stMetricValue"]').text.strip()
    raise AssertionError(f"no metric {label!r} on the page")


def _number_box(driver, key: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, f".st-key-explain_{key} input").get_attribute("value")


def _click_cell(driver, row: int, column: int) -> None:
    chart = driver.find_element(By.CSS_SELECTOR, ".st-key-explain_map")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", chart)
    time.sleep(0.5)
    x, y = driver.execute_script(_CELL_PIXEL, chart, column, row)
    actions = ActionBuilder(driver, mouse=PointerInput("mouse", "mouse"))
    actions.pointer_action.move_to_location(round(x), round(y))
    actions.pointer_action.pause(0.3)  # Plotly picks the point under the pointer on hover
    actions.pointer_action.click()
    actions.perform()


def _close(text: str, expected: float) -> bool:
    return math.isclose(float(text.replace("−", "-")), expected, rel_tol=1e-7, abs_tol=1e-12)


@pytest.mark.parametrize("width", [1400, 400])
def test_a_click_on_the_feature_map_explains_that_unit(explain_server, browser, reference, width):
    narrow = width < 500
    if narrow:  # an exact 400 px viewport (a headless window does not go below 500 px)
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
    else:
        browser.set_window_size(width, 1000)
    try:
        browser.get(explain_server)
        _wait_for_text(browser, "61,706")
        _idle(browser)
        _open_sidebar(browser)
        _page_label(browser, "Explain a unit").click()
        _idle(browser)
        if narrow:  # on a phone the sidebar covers the page: close it as a person would
            for button in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarCollapseButton"] button, '
                                                                 '[data-testid="stSidebarCollapseButton"]'):
                if button.is_displayed():
                    button.click()
                    time.sleep(0.6)
                    break
        _wait_for_text(browser, "What the next rows make of it")
        digit = browser.find_element(By.XPATH, '//label[.//p[text()="Handwritten digit"]]')
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", digit)
        digit.click()  # digits sample 17
        _wait_for_text(browser, "for digits:17")
        _idle(browser)

        row, column = CELL[width]
        _click_cell(browser, row, column)
        _wait_for_text(browser, f"Unit (3, {row}, {column}) of layer 0", timeout=60)
        _idle(browser)
        assert (_number_box(browser, "c"), _number_box(browser, "y"), _number_box(browser, "x")) == \
            ("3", str(row), str(column))
        expected = reference("0", (3, row, column))
        assert _close(_metric(browser, "Sum (explained)"), expected.sum)
        assert _close(_metric(browser, "Value (the model)"), expected.value)
        assert _close(_metric(browser, "Bias"), expected.bias)
        body = browser.find_element(By.TAG_NAME, "body").text
        assert re.search(r"Every product,? largest \|x·w\| first", body) and "Traceback" not in body
        assert not _problems(browser), _problems(browser)
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width

        SHOTS.mkdir(exist_ok=True)
        if narrow:
            browser.save_screenshot(str(SHOTS / "phone-explain.png"))
        else:
            browser.set_window_size(width, 1500)  # the map, the numbers and the pictures under them
            _idle(browser)
            chart = browser.find_element(By.CSS_SELECTOR, ".st-key-explain_map")
            browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", chart)
            browser.execute_script("document.querySelector('[data-testid=\"stMain\"]').scrollBy(0, -60)")
            time.sleep(1.0)
            DOC_SHOTS.mkdir(parents=True, exist_ok=True)
            browser.save_screenshot(str(DOC_SHOTS / "app-explain.png"))
    finally:
        if narrow:
            browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.set_window_size(1400, 1000)
