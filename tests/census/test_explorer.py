"""The census explorer: the HTML page carries its rows and reads back the same, asks nothing of the network,
and the filters, budget steps and marker sizes follow their rules (``studies/census/explore.py``)."""

from __future__ import annotations

import math
import re

import pytest

from cnnscope.export import census_explorer, census_file
from cnnscope.studies.census import explore
from cnnscope.studies.census.columns import FORMAT, VERSION, conform, empty_row, failed_row


def _row(name, params, macs, rf=None, acc1=None, status="ok", input="3×224×224", group="torchvision", family=None):
    row = empty_row(name)
    row.update(group=group, family=family or name.rstrip("0123456789"), input=input, params=params, macs=macs,
               rf_size_h=rf, rf_size_w=rf, acc1=acc1, status=status)
    return row


ROWS = [
    _row("small", 1_000, 50_000, rf=100, acc1=60.0, input="1×28×28", group="tutorial"),
    _row("medium", 2_000_000, 300_000_000, rf=400, acc1=75.5),
    _row("large", 80_000_000, 12_000_000_000, rf=900),  # no published accuracy
    failed_row("broken", "error", "ShapeError: size mismatch </script><!-- & \u2028", 0.5, group="tutorial"),
]


def test_the_page_reads_back_its_rows_and_meta():
    page = census_explorer.render(ROWS, {"note": "x"})
    meta, rows = census_explorer.rows_from_html(page)
    assert rows == ROWS
    assert meta == {"format": FORMAT, "version": VERSION, "note": "x"}


def test_the_embedded_json_cannot_end_its_script_element():
    page = census_explorer.render(ROWS, {})
    block = re.search(r'<script type="application/json" id="census-data">(.*?)</script>', page, re.S).group(1)
    assert "</" not in block and "<!--" not in block and "\u2028" not in block
    assert "\\u003c/script\\u003e" in block  # the failed row's message, escaped, not dropped


def test_nan_figures_travel_as_null():
    row = _row("nan", 10, 20, acc1=float("nan"))
    _, rows = census_explorer.rows_from_html(census_explorer.render([row], {}))
    assert rows[0]["acc1"] is None


def test_the_page_asks_nothing_of_the_network():
    page = census_explorer.render(ROWS, {})
    remote = re.findall(r'<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["\']?(?:https?:)?//', page, re.I)
    assert remote == []
    assert page.count("<script>") == 2  # plotly.js's basic bundle and the page's own script, inline
    from cnnscope.export.plotly_bundle import BASIC_BANNER

    assert page.count(BASIC_BANNER) == 1


def test_a_census_written_as_html_reads_back_through_the_census_reader(tmp_path):
    path = tmp_path / "zoo.html"
    census_file.write(path, ROWS)
    assert census_file.read(path) == [conform(r) for r in ROWS]


def test_a_page_without_census_data_is_one_line(tmp_path):
    with pytest.raises(ValueError):
        census_explorer.rows_from_html("<html><body>hello</body></html>")
    path = tmp_path / "other.html"
    path.write_text("<html><body>hello</body></html>", encoding="utf-8")
    with pytest.raises(census_file.NotACensusError, match="not a cnnscope census"):
        census_file.read(path)


def _names(rows):
    return [r["name"] for r in rows]


def test_no_filter_keeps_every_row():
    assert _names(explore.apply(ROWS, explore.Filters())) == ["small", "medium", "large", "broken"]


def test_budgets_keep_rows_within_them_and_leave_out_unknown_figures():
    assert _names(explore.apply(ROWS, explore.Filters(max_macs=300_000_000))) == ["small", "medium"]
    assert _names(explore.apply(ROWS, explore.Filters(max_params=1_999_999))) == ["small"]
    assert _names(explore.apply(ROWS, explore.Filters(max_macs=1e12, max_params=1e12))) == ["small", "medium", "large"]


def test_minimum_accuracy_leaves_out_rows_without_one():
    assert explore.without_accuracy(ROWS) == 2
    assert _names(explore.apply(ROWS, explore.Filters(min_acc1=60.0))) == ["small", "medium"]
    assert _names(explore.apply(ROWS, explore.Filters(min_acc1=70.0))) == ["medium"]


def test_inputs_and_statuses():
    assert _names(explore.apply(ROWS, explore.Filters(inputs=frozenset({"3×224×224"})))) == ["medium", "large"]
    assert _names(explore.apply(ROWS, explore.Filters(statuses=frozenset({"error"})))) == ["broken"]
    assert explore.input_sizes(ROWS) == ["1×28×28", "3×224×224", ""]
    assert explore.statuses(ROWS) == ["ok", "error"]


def test_budget_steps_are_1_2_5_and_cover_the_range():
    steps = explore.budget_steps([r["macs"] for r in ROWS])
    assert steps[0] <= 50_000 < steps[1] and steps[-2] < 12_000_000_000 <= steps[-1]
    assert steps == [50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000, 20_000_000,
                     50_000_000, 100_000_000, 200_000_000, 500_000_000, 1_000_000_000, 2_000_000_000,
                     5_000_000_000, 10_000_000_000, 20_000_000_000]
    assert explore.budget_steps([None, float("nan")]) == []


def test_marker_area_grows_with_the_receptive_field():
    # fields 100, 400, 900: square roots 10, 20, 30, so diameters smallest, halfway, largest
    sizes = explore.marker_sizes(ROWS)
    low, high = explore.SMALLEST_MARKER, explore.LARGEST_MARKER
    assert sizes == [low, (low + high) / 2, high, low]
    assert explore.rf_size({"rf_size_h": 7, "rf_size_w": 13}) == 13
    assert explore.rf_size({"rf_size_h": None, "rf_size_w": None}) is None


def test_a_click_event_names_its_model():
    event = {"selection": {"points": [{"curve_number": 0, "point_index": 2, "customdata": ["resnet18"]}],
                           "point_indices": [2], "box": [], "lasso": []}}
    assert explore.picked_name(event) == "resnet18"
    assert explore.picked_name({"selection": {"points": []}}) is None
    assert explore.picked_name(None) is None


def test_real_rows_from_census_row():
    """Two real rows: the field and the figures the explorer shows are the analysis's own."""
    import cnnscope
    from cnnscope.studies.census.row import census_row

    rows = [census_row("lenet5"), census_row("resnet18")]
    report = cnnscope.analyze("resnet18")
    assert rows[1]["params"] == report.totals.params and rows[1]["macs"] == report.totals.macs
    assert explore.rf_size(rows[1]) == 435  # layer4's field: 435×435 input pixels
    budget = explore.Filters(max_macs=1_000_000)
    assert _names(explore.apply(rows, budget)) == ["lenet5"]
    assert math.isclose(rows[1]["acc1"], 69.758)
