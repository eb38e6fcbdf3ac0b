"""The explorer page declares the language it is written in (``<html lang>``): a Chinese page says zh, so that a
browser picks Chinese glyphs and a screen reader Chinese speech."""

from __future__ import annotations

import re

from cnnscope.export import census_explorer
from cnnscope.i18n import use_language


def _lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def test_the_page_says_its_language():
    assert _lang(census_explorer.render([], {})) == "en"
    with use_language("zh"):
        page = census_explorer.render([], {})
    assert _lang(page) == "zh" and "普查" in page


def test_the_legend_title_is_in_the_pages_language(browser, tmp_path):
    import pytest
    from selenium.webdriver.support.ui import WebDriverWait

    from cnnscope.i18n import _
    from cnnscope.studies.census.columns import empty_row

    rows = []
    for name, group in (("a", "torchvision"), ("b", "timm")):
        row = empty_row(name)
        row.update(group=group, family=name, input="3×224×224", params=1000, macs=2000, status="ok")
        rows.append(row)
    with use_language("zh"):
        page = census_explorer.render(rows, {})
        expected = {"group": _("group"), "family": _("family")}
    if expected["group"] == "group":
        pytest.skip("the Chinese catalog is not compiled")
    path = tmp_path / "zoo.html"
    path.write_text(page, encoding="utf-8")
    browser.get(path.as_uri())
    WebDriverWait(browser, 20).until(lambda d: d.execute_script("return document.body.dataset.ready") == "true")
    title = "return document.getElementById('cx-plot').layout.legend.title.text"
    assert browser.execute_script(title) == expected["group"]
    browser.find_element("css selector", "input[name=cx-colour][value=family]").click()
    assert browser.execute_script(title) == expected["family"]
