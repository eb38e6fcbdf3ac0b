"""The census table in Chinese names a failed row's status in Chinese (the file keeps the English status: it is
data, which the explorer's filters and a rerun read)."""

from __future__ import annotations

from cnnscope.export.census_text import census_table
from cnnscope.i18n import use_language
from cnnscope.studies.census.columns import empty_row, failed_row


def test_statuses_are_translated_in_the_table():
    ok = empty_row("a")
    ok.update(status="ok")
    rows = [ok, failed_row("b", "timeout", "x", 1.0), failed_row("c", "crashed", "y", 1.0)]
    with use_language("zh"):
        text = census_table(rows)
    assert "超时: x" in text and "崩溃: y" in text and "timeout" not in text and "crashed" not in text
    assert "timeout: x" in census_table(rows)
