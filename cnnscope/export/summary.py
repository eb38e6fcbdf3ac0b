"""A summary in the format asked for: the terminal table, JSON, CSV or Markdown."""

from __future__ import annotations

from cnnscope.report import ModelReport


def render(report: ModelReport, fmt: str = "table", depth: int | None = None, width: int | None = None) -> str:
    from cnnscope.export import tabular, text

    if fmt == "json":
        return tabular.to_json(report) + "\n"
    if fmt == "csv":
        return tabular.to_csv(report, depth)
    if fmt == "md":
        return tabular.to_markdown(report, depth)
    return text.summary_table(report, depth, width=width)
