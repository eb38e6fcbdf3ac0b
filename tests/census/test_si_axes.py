"""The explorer's axes name large counts as the rest of cnnscope does (1.81 G MACs, 11.7 M parameters): SI
prefixes, G for 10^9, not plotly's default B ("10B" reads as ten bytes, or ten billion where cnnscope says
G everywhere else)."""

from __future__ import annotations

import pytest

from cnnscope.studies.census.columns import empty_row


def _rows():
    rows = []
    for name, params, macs in (("a", 1_000_000, 300_000_000), ("b", 60_000_000, 12_000_000_000)):
        row = empty_row(name)
        row.update(group="torchvision", family=name, input="3×224×224", params=params, macs=macs, status="ok")
        rows.append(row)
    return rows


def test_the_apps_chart_uses_si_prefixes():
    from cnnscope.vis.census_chart import census_scatter

    figure = census_scatter(_rows(), "group")
    assert figure.layout.xaxis.exponentformat == "SI" and figure.layout.yaxis.exponentformat == "SI"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_pages_chart_shows_g_not_b(browser, tmp_path):
    from selenium.webdriver.support.ui import WebDriverWait

    from cnnscope.export import census_file

    path = tmp_path / "zoo.html"
    census_file.write(path, _rows())
    browser.get(path.as_uri())
    WebDriverWait(browser, 20).until(lambda d: d.execute_script("return document.body.dataset.ready") == "true")
    ticks = browser.execute_script(
        "return Array.from(document.querySelectorAll('#cx-plot .ytick text')).map(t => t.textContent)")
    assert "1G" in ticks or "10G" in ticks, ticks
    assert not any(t.endswith("B") for t in ticks), ticks
