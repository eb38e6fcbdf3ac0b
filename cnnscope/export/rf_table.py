"""The receptive-field table: geometry and the recurrence of every row, or of one layer's path."""

from __future__ import annotations

import csv
import io
import json

from cnnscope import units
from cnnscope.i18n import N_, _, use_language
from cnnscope.report import LayerRecord, ModelReport

# English ids: the CSV's keys (lower case) and the app's; ``_(column)`` is the header shown
COLUMNS = (N_("Layer"), N_("Type"), N_("Kernel"), N_("Stride"), N_("Padding"), N_("Dilation"), N_("Size"),
           N_("Jump"), N_("Start"), N_("Recurrence"))
# What each column counts (the app's column tooltips)
HELP = {
    "Layer": N_("the row's name; a module called twice has a row per call"),
    "Type": N_("module class or function name"),
    "Kernel": N_("k: the window's side per axis (convolution and pooling rows)"),
    "Stride": N_("s: how far the window moves between neighbouring outputs"),
    "Padding": N_("p: zeros added on each side of the input before the window slides"),
    "Dilation": N_("d: the gap between kernel taps (1 = neighbouring pixels)"),
    "Size": N_("r (field size): how many input pixels (per side) one unit of this row's output can see; "
               "global = the whole input"),
    "Jump": N_("j (jump): input pixels between the fields of two neighbouring units (the product of the strides so far)"),
    "Start": N_("where the first unit's field begins, in input pixels (negative: it reaches into the padding)"),
    "Recurrence": N_("this row's arithmetic: r_out = r_in + (k−1)·d·j_in, j_out = j_in·s, start_out = start_in − p·j_in"),
}
WINDOW_KINDS = ("conv", "pool", "transposed_conv")


def ancestry(report: ModelReport, layer: str) -> list[LayerRecord]:
    """The leaf rows ``layer`` depends on (through the data-flow graph), in execution order."""
    target = report.layer(layer)
    by_index = {r.index: r for r in report.layers}
    leaf_of = {r.index: r for r in report.layers}
    wanted, stack = set(), [target.index]
    while stack:
        index = stack.pop()
        if index in wanted or index < 0:
            continue
        wanted.add(index)
        row = by_index[index]
        stack.extend(row.inputs)
        if not row.is_leaf:  # a container: follow what its children consumed
            stack.extend(r.index for r in report.layers if r.parent == row.name and r.index > row.index)
    return [leaf_of[i] for i in sorted(wanted) if leaf_of[i].is_leaf or i == target.index]


def rf_rows(report: ModelReport, layer: str | None = None) -> list[LayerRecord]:
    rows = ancestry(report, layer) if layer else [r for r in report.layers if r.is_leaf]
    return [r for r in rows if r.rf is not None or r.kind == "module"]


def focus(rows: list[LayerRecord]) -> tuple[list[LayerRecord], list[LayerRecord], list[LayerRecord]]:
    """(the rows to show first, the rows before them, the rows after them).

    Before: the rows ahead of the first convolution or pooling (a detector's transform: normalising and
    resizing the input, where the field is still about a pixel).  After: the rows from the first one whose
    field is not tracked once no local field follows (a detector's anchors and post-processing).  A model
    with no window row, or with a tracked field to its end, hides nothing.
    """
    first = next((i for i, r in enumerate(rows) if r.op_kind in WINDOW_KINDS), 0)
    last_local = max((i for i, r in enumerate(rows) if r.rf is not None and not r.rf.is_global), default=len(rows))
    stop = next((i for i in range(last_local + 1, len(rows)) if rows[i].rf is None), len(rows))
    return rows[first:stop], rows[:first], rows[stop:]


def cells(row: LayerRecord) -> tuple[str, ...]:
    rf = row.rf
    if rf is None:
        size = jump = start = "—"
        note = _("not tracked")
    elif rf.is_global:
        size, jump, start = _("global ({size})").format(size=units.per_axis(rf.size)), "—", "—"
        note = _("sees the whole input")
    else:
        size, jump, start = units.per_axis(rf.size), units.per_axis(rf.jump), units.per_axis(rf.start)
        note = (rf.recurrence or "") + ("  " + _("[gated by a global context]") if rf.gated else "")
    geometry = (units.per_axis(v) for v in (row.kernel_size, row.stride, row.padding, row.dilation))
    return (row.name or _("(model)"), row.type, *geometry, size, jump, start, note)


def to_text(report: ModelReport, rows, width: int = 160) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(file=io.StringIO(), width=width, force_terminal=False, color_system=None, highlight=False)
    title = _("{model} — receptive fields at input {shape}").format(model=report.model,
                                                                    shape=units.shape(report.input_shape))
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for column in COLUMNS:
        table.add_column(_(column), overflow="fold", no_wrap=column not in ("Layer", "Recurrence"))
    for row in rows:
        table.add_row(*cells(row))
    console.print(table)
    return console.file.getvalue()


def to_markdown(report: ModelReport, rows) -> str:
    """In English whatever the language, like the JSON and CSV (an export other tools read)."""
    with use_language("en"):
        return _markdown(report, rows)


def _markdown(report: ModelReport, rows) -> str:
    lines = [f"# {report.model}: receptive fields", "", f"Input {units.shape(report.input_shape)}.", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for unused in COLUMNS) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells(row)) + " |")
    return "\n".join(lines) + "\n"


def to_csv(report: ModelReport, rows) -> str:
    with use_language("en"):  # the cells' words too: a CSV never changes with the language
        return _csv(rows)


def _csv(rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.lower() for c in COLUMNS] + ["global"])
    for row in rows:
        writer.writerow([*cells(row), bool(row.rf and row.rf.is_global)])
    return buffer.getvalue()


def to_json(report: ModelReport, rows, extra: dict | None = None) -> str:
    data = {"model": report.model, "input_shape": report.input_shape,
            "layers": [{"name": r.name, "type": r.type, "kernel_size": r.kernel_size, "stride": r.stride,
                        "padding": r.padding, "dilation": r.dilation, "rf": r.rf.to_dict() if r.rf else None}
                       for r in rows]}
    if extra:
        data.update(extra)
    return json.dumps(data, indent=2)


def unit_line(field) -> str:
    """One probed unit (a ``probes.effective_field.UnitField``): its grid position, theoretical box and,
    when measured, the squares holding 50/90/99% of its effective field."""
    size = "×".join(str(v) for v in field.size)
    top, left, bottom, right = field.box if len(field.box) == 4 else (*field.box, 0, 0)[:4]
    line = _("unit {unit} of {layer} (grid {grid}): theoretical field {size}, rows {top}..{bottom}, "
             "columns {left}..{right}").format(unit=",".join(map(str, field.unit)), layer=field.layer,
                                              grid="×".join(map(str, field.grid)), size=size, top=top,
                                              bottom=bottom, left=left, right=right)
    if field.squares:
        line += _("; effective field squares {squares}").format(
            squares=", ".join(f"{k} {v}" for k, v in field.squares.items()))
    return line


def unit_title(report: ModelReport, field) -> str:
    """The title of a unit's field drawn on an image."""
    return _("{model} · {layer} · unit {unit} · field {size}").format(
        model=report.model, layer=field.layer, unit=",".join(map(str, field.unit)),
        size="×".join(str(v) for v in field.size))


def render(report: ModelReport, rows, fmt: str = "table", unit=None, width: int = 160) -> str:
    """The table in ``fmt`` (table, json, csv, md); a probed ``unit`` is a ``"unit"`` key of the JSON,
    or a line below the others."""
    if fmt == "json":
        return to_json(report, rows, {"unit": unit.summary()} if unit else None) + "\n"
    if fmt == "csv":
        text = to_csv(report, rows)
    elif fmt == "md":
        text = to_markdown(report, rows)
    else:
        text = to_text(report, rows, width=width)
    return text + (unit_line(unit) + "\n" if unit else "")
