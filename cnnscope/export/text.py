"""The terminal table (rich); plain text when the output is not a terminal."""

from __future__ import annotations

import io

from cnnscope.units import shape
from cnnscope.export.summary_rows import COLUMNS, row_cells, totals_lines, visible_rows
from cnnscope.report import LayerRecord, ModelReport


def _console(width: int | None = None):
    from rich.console import Console

    return Console(file=io.StringIO(), width=width or 120, force_terminal=False, color_system=None,
                   highlight=False, soft_wrap=False)


def _table(title: str, rows: list[LayerRecord], total_macs: int):
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for column in COLUMNS:
        table.add_column(column, justify="right" if column in ("Params", "MACs", "% MACs", "RF") else "left",
                         no_wrap=column != "Layer", overflow="fold")
    for row in rows:
        table.add_row(*row_cells(row, total_macs))
    return table


def summary_table(report: ModelReport, depth: int | None = None, width: int | None = None) -> str:
    from rich.table import Table

    console = _console(width)
    rows = visible_rows(report, depth)
    if rows:
        console.print(_table(f"{report.model} — input {shape(report.input_shape)}", rows, report.totals.macs))
    else:
        console.print(f"{report.model} — input {shape(report.input_shape)}")
    totals = Table.grid(padding=(0, 2))
    totals.add_column(justify="left")
    totals.add_column(justify="right")
    for label, value in totals_lines(report):
        totals.add_row(label, value)
    console.print(totals)
    for diagnostic in report.diagnostics:
        console.print(f"note: {diagnostic.message}")
    return console.file.getvalue()


def partial_table(title: str, rows: list[LayerRecord], width: int | None = None) -> str:
    console = _console(width)
    console.print(_table(title, [r for r in rows if r.depth >= 1], sum(r.macs for r in rows if r.is_leaf)))
    return console.file.getvalue()
