"""The census explorer page (``cnnscope census ... -o zoo.html``) in headless Chromium, over the shipped
torchvision census: it draws every model, a budget filters it as ``explore.apply`` does, a click on a header
sorts the table, a click on a point marks and shows that model's row, and the colour switch regroups."""

from __future__ import annotations

import pytest

from cnnscope.export import census_file
from cnnscope.studies.census import explore

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def census(tmp_path_factory):
    rows = census_file.read(explore.shipped_census())
    path = tmp_path_factory.mktemp("census") / "zoo.html"
    census_file.write(path, rows)
    return path, rows


@pytest.fixture
def page(browser, census):
    from selenium.webdriver.support.ui import WebDriverWait

    path, rows = census
    browser.get(path.as_uri())
    WebDriverWait(browser, 20).until(lambda d: d.execute_script("return document.body.dataset.ready") == "true")
    return browser, rows


def _table(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#cx-table tbody tr')).map(r => r.cells[0].textContent)")


def test_the_page_draws_every_model(page):
    driver, rows = page
    count = driver.find_element("id", "cx-count").text
    assert count.startswith(f"{len(rows)} of {len(rows)} models shown; {len(rows)} on the chart")
    assert sorted(_table(driver)) == sorted(r["name"] for r in rows)
    drawn = driver.execute_script("return document.getElementById('cx-plot').data.map(t => t.x.length)")
    assert sum(drawn) == len(rows)


def test_a_mac_budget_filters_as_explore_does(page):
    driver, rows = page
    steps = explore.budget_steps(r["macs"] for r in rows)
    position = steps.index(1_000_000_000)
    driver.execute_script("var s = document.getElementById('cx-macs'); s.value = arguments[0];"
                          "s.dispatchEvent(new Event('input'));", position)
    expected = [r["name"] for r in explore.apply(rows, explore.Filters(max_macs=1e9))]
    assert 0 < len(expected) < len(rows)
    assert sorted(_table(driver)) == sorted(expected)
    assert driver.find_element("id", "cx-macs-value").text == "≤ 1.00 G"
    assert driver.find_element("id", "cx-count").text.startswith(f"{len(expected)} of {len(rows)} models shown")


def test_a_click_on_a_header_sorts_the_table(page):
    driver, rows = page
    header = driver.find_element("css selector", '#cx-table th[data-key="params"]')
    by_params = sorted(rows, key=lambda r: r["params"])
    header.click()  # a figure sorts largest first
    assert header.get_attribute("aria-sort") == "descending"
    assert _table(driver)[:3] == [r["name"] for r in by_params[::-1][:3]]
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert _table(driver)[:3] == [r["name"] for r in by_params[:3]]
    driver.find_element("css selector", '#cx-table th[data-key="name"]').click()  # words sort a to z
    assert _table(driver) == sorted(r["name"] for r in rows)


def test_a_click_on_a_point_marks_its_row_and_shows_its_figures(page):
    from selenium.webdriver.common.action_chains import ActionChains

    driver, rows = page
    biggest = max(range(len(rows)), key=lambda i: rows[i]["params"])  # alone at the chart's right edge
    trace, point = driver.execute_script(
        "var d = document.getElementById('cx-plot').data;"
        "for (var t = 0; t < d.length; t++) { var j = d[t].customdata.indexOf(arguments[0]);"
        "  if (j >= 0) return [t, j]; }", biggest)
    marker = driver.execute_script(
        "return document.querySelectorAll('#cx-plot .scatterlayer .trace')[arguments[0]]"
        ".querySelectorAll('.points path')[arguments[1]]", trace, point)
    ActionChains(driver).move_to_element(marker).click().perform()
    picked = driver.find_elements("css selector", "#cx-table tr.picked")
    assert [p.get_attribute("data-index") for p in picked] == [str(biggest)]
    assert picked[0].find_elements("tag name", "td")[0].text == rows[biggest]["name"]
    details = driver.find_element("id", "cx-details").text
    assert rows[biggest]["name"] in details and f"{rows[biggest]['params']:,}" in details
    box = driver.find_element("css selector", ".cx-table-box").rect
    row = picked[0].rect
    assert box["y"] <= row["y"] and row["y"] + row["height"] <= box["y"] + box["height"]  # scrolled into view


def test_the_colour_switch_regroups_the_points(page):
    driver, rows = page
    names = "return document.getElementById('cx-plot').data.map(t => t.name)"
    assert driver.execute_script(names) == sorted({r["group"] for r in rows})
    driver.find_element("css selector", 'input[name="cx-colour"][value="family"]').click()
    assert driver.execute_script(names) == sorted({r["family"] for r in rows})
