"""At 400 px (a phone), the Summary and Receptive-field tables show their key columns inside the screen
with no sideways scrolling; at 1400 px the full interactive table is shown instead.  A real Chromium whose
viewport is set to exactly 400 px (Chrome's windows do not go below 500 px; the DevTools protocol does)."""

import time

import pytest

from .test_browser import _idle, _pick_page, _wait_for_text, app_server  # noqa: F401  (app_server: a fixture)

pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402

pytestmark = pytest.mark.slow


def _viewport(driver, width: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})


def _shown(driver, selector: str) -> list:
    return [e for e in driver.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]


def _headers_inside(driver, container: str, wanted: list[str], width: int) -> dict:
    """The compact table's header cells in ``container``: each wanted one inside [0, width] px."""
    table = _shown(driver, f"{container} table.cs-compact")
    assert table, f"no compact table shown in {container}"
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", table[0])
    time.sleep(0.3)
    rects = {th.text: th.rect for th in table[0].find_elements(By.CSS_SELECTOR, "th")}
    for name in wanted:
        assert name in rects, (name, list(rects))
        left, right = rects[name]["x"], rects[name]["x"] + rects[name]["width"]
        assert 0 <= left and right <= width, (name, left, right)
    return rects


def _no_sideways_scroll(driver) -> None:
    scroll, client = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client, (scroll, client)


def test_the_tables_key_columns_fit_400_px(app_server, browser):  # noqa: F811
    url, _ = app_server
    _viewport(browser, 400)
    try:
        browser.get(f"{url}/?model=resnet18")
        _wait_for_text(browser, "11,689,512")
        _idle(browser)
        assert browser.execute_script("return window.innerWidth") == 400
        assert not _shown(browser, '[class*="st-key-cs-wide-summary"] [data-testid="stDataFrame"]')
        _headers_inside(browser, ".st-key-cs-narrow-summary", ["Layer", "Output shape", "Params", "MACs"], 400)
        _no_sideways_scroll(browser)

        _pick_page(browser, "Receptive field")
        for button in _shown(browser, '[data-testid="stSidebarCollapseButton"] button'):
            button.click()  # the sidebar covers a phone's page: close it, as a person would
        _idle(browser)
        _headers_inside(browser, ".st-key-cs-narrow-rf",
                        ["Layer", "Size (input pixels)", "Jump (input pixels)", "Start (input pixels)"], 400)
        assert not _shown(browser, '[class*="st-key-cs-wide-rf"] [data-testid="stDataFrame"]')
        _no_sideways_scroll(browser)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_a_wide_screen_gets_the_full_table(app_server, browser):  # noqa: F811
    url, _ = app_server
    browser.set_window_size(1400, 1000)
    browser.get(f"{url}/?model=resnet18")
    _wait_for_text(browser, "11,689,512")
    _idle(browser)
    assert _shown(browser, '.st-key-cs-wide-summary [data-testid="stDataFrame"]')
    assert not _shown(browser, ".st-key-cs-narrow-summary table.cs-compact")
