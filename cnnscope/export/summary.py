"""A summary in the format asked for: the terminal table, JSON, CSV or Markdown."""

from __future__ import annotations

from cnnscope.report import ModelReport


def render(report: ModelReport, fmt: str = "table", depth: int | None = None, width: int | None = None,
           columns=None, by_operator: bool = False) -> str:
    """``columns`` (names from ``summary_rows.COLUMNS``) and ``by_operator`` shape the table and
    Markdown; JSON and CSV always carry every field (the JSON has ``totals.macs_by_operator``)."""
    from cnnscope.export import tabular, text
    from cnnscope.export.summary_rows import DEFAULT_COLUMNS

    columns = columns or DEFAULT_COLUMNS
    if fmt == "json":
        return tabular.to_json(report) + "\n"
    if fmt == "csv":
        return tabular.to_csv(report, depth)
    if fmt == "md":
        return tabular.to_markdown(report, depth, columns, by_operator)
    return text.summary_table(report, depth, width=width, columns=columns, by_operator=by_operator)
