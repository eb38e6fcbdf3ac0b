"""The Explorer page in a real browser: a Streamlit server on a loopback port and headless Chromium.  A click
on a point of the census chart (Streamlit's plotly selection event) opens that model's Summary, the model
picked in the sidebar."""

from __future__ import annotations

import pytest

from cnnscope.export import census_file
from cnnscope.studies.census import explore

from .test_browser import STREAMLIT_RUN, _page_label, _start, _stop, _wait_for_text

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def test_a_click_on_a_point_opens_that_models_summary(browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    rows = {row["name"]: row for row in census_file.read(explore.shipped_census())}
    target = "alexnet"  # far from every other point (61 M parameters, 0.71 G MACs): the click is its alone
    process, url, _ = _start(STREAMLIT_RUN)
    try:
        browser.get(url)
        _wait_for_text(browser, "61,706")  # lenet5's Summary: the app is up
        _page_label(browser, "Explorer").click()
        WebDriverWait(browser, 60).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .scatterlayer .points path"))
        marker = browser.execute_script(
            "var plot = document.querySelector('.js-plotly-plot');"
            "for (var t = 0; t < plot.data.length; t++) {"
            "  var j = plot.data[t].customdata.findIndex(c => c[0] === arguments[0]);"
            "  if (j >= 0) return plot.querySelectorAll('.scatterlayer .trace')[t].querySelectorAll('.points path')[j]; }",
            target)
        ActionChains(browser).move_to_element(marker).click().perform()
        params = f"{rows[target]['params']:,}"
        _wait_for_text(browser, params)
        headers = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "h1, h2")]
        assert f"{target} — input 1×3×224×224" in headers, headers  # the Summary page's header
        assert "MACs per layer" in browser.find_element(By.TAG_NAME, "body").text  # and its tabs
    finally:
        _stop(process)
