"""The rows, columns and totals a summary shows, shared by the terminal table, Markdown and the app.

Columns are chosen by name (``summary --columns name,type,output,params,macs``; the same names
in the API and the app's table).  Each column is one entry in ``COLUMNS``: its header, whether it
is a number (right-aligned), and how a row's cell is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from cnnscope import units
from cnnscope.errors import UsageError
from cnnscope.report import LayerRecord, ModelReport, ReceptiveField


@dataclass(frozen=True)
class Column:
    header: str
    numeric: bool
    cell: Callable[[LayerRecord, ModelReport], str]
    help: str


def _geometry(values) -> str:
    return units.per_axis(values) if values else ""


def _field(rf: ReceptiveField | None, part: str) -> str:
    if rf is None or rf.is_global:
        return ""
    return units.per_axis(getattr(rf, part))


COLUMNS: dict[str, Column] = {
    "name": Column("Layer", False, lambda r, m: r.name or "(model)", "the row's name, indented by depth; a module called twice has a row per call, the second marked (call 2)"),
    "type": Column("Type", False, lambda r, m: r.type, "module class (Conv2d, ReLU ...) or the function called (add, flatten ...)"),
    "kind": Column("Kind", False, lambda r, m: r.op_kind or "", "what the row does to the data: conv, pool, pointwise (one value in, one out), merge (add, concat) ..."),
    "input": Column("Input shape", False, lambda r, m: ", ".join(units.shape(s) for s in r.input_shapes) or "—",
                    "the shape(s) of the tensor(s) coming in: N (batch) × C (channels) × H × W"),
    "output": Column("Output shape", False, lambda r, m: units.shape(r.output_shape), "the shape of the tensor going out: N (batch) × C (channels) × H × W"),
    "kernel": Column("Kernel", True, lambda r, m: _geometry(r.kernel_size), "k: the window's side per axis (one number when all axes agree)"),
    "stride": Column("Stride", True, lambda r, m: _geometry(r.stride), "s: how far the window moves between neighbouring outputs"),
    "padding": Column("Padding", True, lambda r, m: _geometry(r.padding), "p: zeros added on each side of the input"),
    "params": Column("Params", True, lambda r, m: units.count(r.params) if r.params else "—", "parameters: the learned numbers (weights and biases) of the row; a container's include its rows'"),
    "params%": Column("% Params", True, lambda r, m: units.share(r.params, m.totals.params), "this row's share of all the model's parameters"),
    "trainable": Column("Trainable", True, lambda r, m: units.count(r.trainable_params) if r.params else "—",
                        "parameters the optimizer updates (not frozen)"),
    "macs": Column("MACs", True, lambda r, m: units.si(r.macs) if r.macs else "—", "multiply-accumulates of one forward pass of the whole batch (conv, linear, matmul; bias adds not counted)"),
    "macs%": Column("% MACs", True, lambda r, m: units.share(r.macs, m.totals.macs), "this row's share of all the model's MACs"),
    "flops": Column("FLOPs", True, lambda r, m: units.si(r.flops) if r.flops else "—", "floating-point operations: 2 × MACs (a multiply and an add each)"),
    "other": Column("Other ops", True, lambda r, m: units.si(r.other_ops) if r.other_ops else "—",
                    "one op per value for norms, activations, pooling and adds (not in MACs)"),
    "memory": Column("Output MB", True, lambda r, m: units.megabytes(r.output_bytes) if r.output_bytes else "—",
                     "memory of the row's output tensor (MB = 2^20 bytes)"),
    "rf": Column("RF", True, lambda r, m: units.rf_size(r.rf), "receptive field: input pixels (per side) one output unit can see; global = the whole input"),
    "jump": Column("Jump", True, lambda r, m: _field(r.rf, "jump"), "jump: input pixels between the fields of neighbouring units"),
    "start": Column("Start", True, lambda r, m: _field(r.rf, "start"), "where the first unit's field begins in input pixels (negative: in the padding)"),
}
DEFAULT_COLUMNS = ("name", "type", "output", "params", "macs", "macs%", "rf")


def parse_columns(text: str | None) -> tuple[str, ...]:
    """``"name,type,macs"`` -> column names; a one-line error names the unknown ones."""
    if text is None:
        return DEFAULT_COLUMNS
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [n for n in names if n not in COLUMNS]
    if unknown or not names:
        raise UsageError(f"--columns: unknown column {', '.join(map(repr, unknown)) or '(none given)'}; "
                         f"known: {', '.join(COLUMNS)}")
    return names


def visible_rows(report: ModelReport, depth: int | None) -> list[LayerRecord]:
    """Rows down to ``depth`` (None: all); the root row is left out (the totals stand for it)."""
    rows = [r for r in report.layers if r.depth >= 1 or len(report.layers) == 1]
    if depth is not None:
        rows = [r for r in rows if r.depth <= depth]
    return rows


def row_cells(row: LayerRecord, report: ModelReport, columns=DEFAULT_COLUMNS, indent: bool = True) -> tuple[str, ...]:
    cells = []
    for key in columns:
        cell = COLUMNS[key].cell(row, report)
        if key == "name":
            if row.call:
                cell += f" (call {row.call + 1})"
            if indent:
                cell = "  " * max(row.depth - 1, 0) + cell
        cells.append(cell)
    return tuple(cells)


def headers(columns=DEFAULT_COLUMNS) -> list[str]:
    return [COLUMNS[key].header for key in columns]


def totals_lines(report: ModelReport) -> list[tuple[str, str]]:
    t = report.totals
    return [
        ("Input", units.shape(report.input_shape)),
        ("Params", f"{units.count(t.params)} (trainable {units.count(t.trainable_params)}, frozen {units.count(t.frozen_params)})"),
        ("MACs", f"{units.count(t.macs)} ({units.si(t.macs)})"),
        ("FLOPs (2 × MACs)", f"{units.count(t.flops)} ({units.si(t.flops)})"),
        ("Other ops (norm, act., pool, add)", units.si(t.other_ops)),
        ("Parameter memory", units.megabytes(t.param_bytes) + (f" + buffers {units.megabytes(t.buffer_bytes)}" if t.buffer_bytes else "")),
        *_memory_lines(report),
        *([("Not counted", f"{len(report.uncounted_ops)} op{'s' if len(report.uncounted_ops) > 1 else ''} with no "
            "MAC formula (see the notes)")] if report.uncounted_ops else []),
    ]


def _memory_lines(report: ModelReport) -> list[tuple[str, str]]:
    """Activation and training memory: the estimate, and beside it the measurement if there is one."""
    t, measured = report.totals, report.measured
    if not measured:
        return [("Activation memory (forward)", units.megabytes(t.activation_bytes)),
                ("Training memory, SGD+momentum (est.)", units.megabytes(t.training_bytes_sgd)),
                ("Training memory, Adam (est.)", units.megabytes(t.training_bytes_adam))]

    def both(estimate: int, key: str) -> str:
        return f"estimate {units.megabytes(estimate)}, measured {units.megabytes(measured[key])}"

    return [("Activation memory (forward)", both(t.activation_bytes, "forward_peak_bytes")),
            ("Inference peak (no_grad, measured)", units.megabytes(measured["inference_peak_bytes"])),
            ("Training memory, SGD+momentum", both(t.training_bytes_sgd, "training_bytes_sgd")),
            ("Training memory, Adam", both(t.training_bytes_adam, "training_bytes_adam")),
            ("Measured on", f"{measured['device']}, random weights (seed {measured['seed']}); "
                            "optimizer state added, not run")]


def operator_lines(report: ModelReport) -> list[tuple[str, str]]:
    """MACs per ATen op, largest first, with each op's share of the total."""
    total = report.totals.macs
    return [(op, f"{units.count(macs)} ({units.si(macs)}, {units.share(macs, total) or '0.0%'})")
            for op, macs in report.totals.macs_by_operator.items()]
