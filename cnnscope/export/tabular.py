"""Markdown and CSV renderings of a summary; JSON is ``report.to_dict()``."""

from __future__ import annotations

import csv
import io
import json

from cnnscope.units import shape
from cnnscope.export.summary_rows import COLUMNS, DEFAULT_COLUMNS, operator_lines, row_cells, totals_lines, visible_rows
from cnnscope.report import ModelReport

CSV_FIELDS = ("index", "name", "type", "kind", "depth", "parent", "is_leaf", "call", "input_shapes",
              "output_shape", "params", "trainable_params", "macs", "flops", "other_ops", "output_bytes",
              "inputs", "output_from", "kernel_size", "stride", "padding", "dilation", "groups", "ceil_mode", "rf")


def to_json(report: ModelReport) -> str:
    return json.dumps(report.to_dict(), indent=2)


def to_csv(report: ModelReport, depth: int | None = None) -> str:
    """Every field of every visible row; lists are written as JSON (``[1, 64, 112, 112]``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in visible_rows(report, depth):
        values = []
        data = row.to_dict()  # the JSON's values (rf as its JSON object)
        for field in CSV_FIELDS:
            value = data[field]
            values.append(json.dumps(value) if isinstance(value, (list, dict)) else ("" if value is None else value))
        writer.writerow(values)
    return buffer.getvalue()


def _escape(cell: str) -> str:
    return cell.replace("|", "\\|")


def to_markdown(report: ModelReport, depth: int | None = None, columns=DEFAULT_COLUMNS,
                by_operator: bool = False) -> str:
    """The summary as Markdown, always in English: like JSON and CSV, an export whose headers and
    labels other tools read does not change with the language."""
    from cnnscope.i18n import use_language

    with use_language("en"):
        return _markdown(report, depth, columns, by_operator)


def _markdown(report: ModelReport, depth: int | None, columns, by_operator: bool) -> str:
    lines = [f"# {report.model}", "", f"Input {shape(report.input_shape)}, traced on `{report.traced_on}` "
             f"with cnnscope {report.cnnscope_version} and torch {report.torch_version}.", ""]
    lines.append("| " + " | ".join(COLUMNS[key].header for key in columns) + " |")
    lines.append("|" + "|".join("---:" if COLUMNS[key].numeric else ":---" for key in columns) + "|")
    for row in visible_rows(report, depth):
        cells = [_escape(c) for c in row_cells(row, report, columns, indent=False)]
        if "name" in columns:
            k = columns.index("name")
            cells[k] = "&nbsp;&nbsp;" * max(row.depth - 1, 0) + f"`{cells[k]}`"
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| Total | |", "|:---|---:|"]
    lines += [f"| {label} | {_escape(value)} |" for label, value in totals_lines(report)]
    if by_operator:
        lines += ["", "| MACs by operator | |", "|:---|---:|"]
        lines += [f"| `{op}` | {_escape(value)} |" for op, value in operator_lines(report)]
    if report.diagnostics:
        lines += ["", *[f"- **{d.level}**: {d.message}" for d in report.diagnostics]]
    return "\n".join(lines) + "\n"
