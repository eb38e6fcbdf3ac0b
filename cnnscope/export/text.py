"""The terminal table (rich); plain text when the output is not a terminal."""

from __future__ import annotations

import io

from cnnscope.units import shape
from cnnscope.export.summary_rows import COLUMNS, DEFAULT_COLUMNS, operator_lines, row_cells, totals_lines, visible_rows
from cnnscope.i18n import _
from cnnscope.report import TRAIN_BATCH_CODE, LayerRecord, ModelReport


def _console(width: int | None = None):
    from rich.console import Console

    return Console(file=io.StringIO(), width=width or 120, force_terminal=False, color_system=None,
                   highlight=False, soft_wrap=False)


def _table(title: str, rows: list[LayerRecord], report: ModelReport, columns=DEFAULT_COLUMNS):
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for key in columns:
        column = COLUMNS[key]
        table.add_column(column.title, justify="right" if column.numeric else "left", no_wrap=key != "name",
                         overflow="fold")
    for row in rows:
        table.add_row(*row_cells(row, report, columns))
    return table


def _mode_note(report: ModelReport) -> str:
    """The header's word on a training-mode trace, and on the batch it chose for batch norm."""
    if report.mode == "eval":
        return ""
    if any(d.code == TRAIN_BATCH_CODE for d in report.diagnostics):
        return _(", {mode} mode (batch 2: batch norm needs two values per channel)").format(mode=report.mode)
    return _(", {mode} mode").format(mode=report.mode)


def summary_table(report: ModelReport, depth: int | None = None, width: int | None = None,
                  columns=DEFAULT_COLUMNS, by_operator: bool = False) -> str:
    console = _console(width)
    rows = visible_rows(report, depth)
    title = _("{model} — input {shape}").format(model=report.model, shape=shape(report.input_shape)) + _mode_note(report)
    console.print(_table(title, rows, report, columns) if rows else title)
    console.print(_pairs(totals_lines(report)))
    if by_operator:
        console.print(_("MACs by operator"))
        console.print(_pairs(operator_lines(report)))
    for diagnostic in report.diagnostics:
        console.print(_("note: {message}").format(message=diagnostic.message))
    return console.file.getvalue()


def _pairs(lines: list[tuple[str, str]]):
    """Label on the left, value on the right: the totals block."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="left")
    grid.add_column(justify="right")
    for label, value in lines:
        grid.add_row(label, value)
    return grid


def partial_table(title: str, rows: list[LayerRecord], width: int | None = None) -> str:
    """Rows traced before a failure (no report exists yet), in the summary's default columns;
    % MACs is the share of the MACs traced so far."""
    from types import SimpleNamespace

    from rich import box
    from rich.table import Table

    console = _console(width)
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    keys = DEFAULT_COLUMNS
    traced = SimpleNamespace(totals=SimpleNamespace(macs=sum(row.macs for row in rows if row.is_leaf)))
    for key in keys:
        table.add_column(COLUMNS[key].title, justify="right" if COLUMNS[key].numeric else "left")
    for row in rows:
        if row.depth >= 1:
            table.add_row(*row_cells(row, traced, keys))
    console.print(table)
    return console.file.getvalue()


def columns_table(columns: list[str], rows: list[list[str]]) -> str:
    """A plain-text table (rich's SIMPLE_HEAD box, no colour): the first column left, the others right,
    as the comparison and diff renderers print their totals."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for k, column in enumerate(columns):
        table.add_column(column, justify="left" if k == 0 else "right")
    for row in rows:
        table.add_row(*row)
    console = Console(file=io.StringIO(), width=200, color_system=None, highlight=False)
    console.print(table)
    return console.file.getvalue()
