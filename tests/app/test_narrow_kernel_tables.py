"""At 400 px (a phone), the Kernel study's two tables show their key columns inside the screen: the
variants' weights, MACs and field; the experiment's final validation accuracy.  A real Chromium whose
viewport is exactly 400 px, set through the DevTools protocol as in test_narrow_tables.py."""

import time

import pytest

from .test_browser import _idle, _pick_page, _wait_for_text, app_server  # noqa: F401  (app_server: a fixture)
from .test_narrow_tables import _headers_inside, _no_sideways_scroll, _shown, _viewport

pytest.importorskip("selenium")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

pytestmark = pytest.mark.slow


def _type_number(driver, label: str, value: int) -> None:
    box = driver.find_element(By.CSS_SELECTOR, f'input[aria-label="{label}"]')
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(str(value), Keys.ENTER)
    time.sleep(0.3)
    _idle(driver)


def test_the_kernel_tables_key_columns_fit_400_px(app_server, browser):  # noqa: F811
    url, _ = app_server
    _viewport(browser, 400)
    try:
        browser.get(f"{url}/?model=lenet5")
        _wait_for_text(browser, "61,706")  # lenet5's parameters: the Summary page is drawn
        _idle(browser)
        _pick_page(browser, "Compare")
        for button in _shown(browser, '[data-testid="stSidebarCollapseButton"] button'):
            browser.execute_script("arguments[0].click()", button)  # the sidebar covers a phone's page: close it
        time.sleep(0.5)
        tab = browser.find_element(By.XPATH, '//*[@role="tab"][contains(., "Kernel study")]')
        browser.execute_script("arguments[0].click()", tab)
        _wait_for_text(browser, "Target receptive field")
        _idle(browser)
        assert browser.execute_script("return window.innerWidth") == 400
        _headers_inside(browser, ".st-key-cs-narrow-kernel-variants", ["variant", "layers", "weights", "MACs", "RF"],
                        400)
        assert not _shown(browser, '[class*="st-key-cs-wide-kernel-variants"] [data-testid="stDataFrame"]')
        assert "50,176" in _shown(browser, ".st-key-cs-narrow-kernel-variants table.cs-compact")[0].text
        _no_sideways_scroll(browser)

        _type_number(browser, "Channels (C)", 4)
        _type_number(browser, "Epochs", 1)
        _type_number(browser, "Seeds", 1)
        button = browser.find_element(By.XPATH, '//button[contains(., "Train 4 variants × 1 seed")]')
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        button.click()
        _wait_for_text(browser, "final val acc", timeout=300)
        _idle(browser, timeout=300)
        rects = _headers_inside(browser, ".st-key-cs-narrow-kernel-results",
                                ["variant", "final val acc", "weights", "converged"], 400)
        assert rects["final val acc"]["width"] > 0
        assert not _shown(browser, '[class*="st-key-cs-wide-kernel-results"] [data-testid="stDataFrame"]')
        _no_sideways_scroll(browser)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
