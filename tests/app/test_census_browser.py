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


def test_an_uploaded_census_starts_with_its_own_filters_in_the_browser(browser, tmp_path):
    """The browser keeps a widget's last value unless the server sets it: after an upload, the filters must show
    (and send back at the next click) the new census's input sizes and statuses, not the shipped census's, which
    would silently hide its 1×28×28 and timeout rows."""
    import time

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from cnnscope.studies.census.columns import empty_row, failed_row

    rows = []
    for name, params, macs in (("net_a", 1_000, 2_000), ("net_b", 50_000, 9_000_000)):
        row = empty_row(name)
        row.update(group="tutorial", family=name, input="1×28×28", params=params, macs=macs, status="ok")
        rows.append(row)
    rows.append(failed_row("net_c", "timeout", "took longer than 1 s", 1.0, group="tutorial", input="1×28×28"))
    path = tmp_path / "mine.csv"
    census_file.write(path, rows)
    process, url, _ = _start(STREAMLIT_RUN)
    try:
        browser.get(url)
        _wait_for_text(browser, "61,706")
        _page_label(browser, "Explorer").click()
        _wait_for_text(browser, "109 of 109 models shown.")
        WebDriverWait(browser, 60).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, 'input[type="file"]'))[0].send_keys(str(path))
        _wait_for_text(browser, "mine.csv: 3 models")
        _wait_for_text(browser, "3 of 3 models shown.")
        WebDriverWait(browser, 60).until(lambda d: d.execute_script(  # the new census's chart is drawn
            "var p = document.querySelector('.js-plotly-plot'); return p && p.data && p.data.length === 1 &&"
            " p.data[0].customdata.length === 2"))
        browser.find_element(By.XPATH, '//label[.//p[text()="family"]]').click()  # any widget: a rerun
        time.sleep(1.5)  # the rerun has begun; then wait for it to end
        WebDriverWait(browser, 60).until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="stApp"]')
                                         .get_attribute("data-test-script-state") == "notRunning")
        assert "3 of 3 models shown." in browser.find_element(By.TAG_NAME, "body").text
        chips = [e.get_attribute("aria-label")
                 for e in browser.find_elements(By.CSS_SELECTOR, '[data-testid="stMultiSelect"] [data-tag]')]
        assert sorted(chips) == ["1×28×28", "ok", "timeout"], chips
        opener = browser.find_elements(By.CSS_SELECTOR, '[data-testid="stMain"] [data-testid="stSelectbox"]')[-1]
        assert opener.find_element(By.TAG_NAME, "input").get_attribute("value") == "net_a"  # not alexnet
    finally:
        _stop(process)
