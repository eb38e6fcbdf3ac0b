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
from cnnscope.i18n import N_, _, ngettext
from cnnscope.report import LayerRecord, ModelReport, ReceptiveField


@dataclass(frozen=True)
class Column:
    header: str
    numeric: bool
    cell: Callable[[LayerRecord, ModelReport], str]
    help: str

    @property
    def title(self) -> str:
        """The header in the current language (``header`` is the English id)."""
        return _(self.header)

    @property
    def explanation(self) -> str:
        """The help text in the current language."""
        return _(self.help)


def _geometry(values) -> str:
    return units.per_axis(values) if values else ""


def _field(rf: ReceptiveField | None, part: str) -> str:
    if rf is None or rf.is_global:
        return ""
    return units.per_axis(getattr(rf, part))


def _rf_cell(row: LayerRecord, report: ModelReport) -> str:
    return _("global") if row.rf is not None and row.rf.is_global else units.rf_size(row.rf)


COLUMNS: dict[str, Column] = {
    "name": Column(N_("Layer"), False, lambda r, m: r.name or _("(model)"), N_("the row's name, indented by depth; a module called twice has a row per call, the second marked (call 2)")),
    "type": Column(N_("Type"), False, lambda r, m: r.type, N_("module class (Conv2d, ReLU ...) or the function called (add, flatten ...)")),
    "kind": Column(N_("Kind"), False, lambda r, m: r.op_kind or "", N_("what the row does to the data: conv, pool, pointwise (one value in, one out), merge (add, concat) ...")),
    "input": Column(N_("Input shape"), False, lambda r, m: ", ".join(units.shape(s) for s in r.input_shapes) or "—",
                    N_("the shape(s) of the tensor(s) coming in: N (batch) × C (channels) × H × W")),
    "output": Column(N_("Output shape"), False, lambda r, m: units.shape(r.output_shape), N_("the shape of the tensor going out: N (batch) × C (channels) × H × W")),
    "kernel": Column(N_("Kernel"), True, lambda r, m: _geometry(r.kernel_size), N_("k: the window's side per axis (one number when all axes agree)")),
    "stride": Column(N_("Stride"), True, lambda r, m: _geometry(r.stride), N_("s: how far the window moves between neighbouring outputs")),
    "padding": Column(N_("Padding"), True, lambda r, m: _geometry(r.padding), N_("p: zeros added on each side of the input")),
    "params": Column(N_("Params"), True, lambda r, m: units.count(r.params) if r.params else "—", N_("parameters: the learned numbers (weights and biases) of the row; a container's include its rows'")),
    "params%": Column(N_("% Params"), True, lambda r, m: units.share(r.params, m.totals.params), N_("this row's share of all the model's parameters")),
    "trainable": Column(N_("Trainable"), True, lambda r, m: units.count(r.trainable_params) if r.params else "—",
                        N_("parameters the optimizer updates (not frozen)")),
    "macs": Column(N_("MACs"), True, lambda r, m: units.si(r.macs) if r.macs else "—", N_("multiply-accumulates of one forward pass of the whole batch (conv, linear, matmul; bias adds not counted)")),
    "macs%": Column(N_("% MACs"), True, lambda r, m: units.share(r.macs, m.totals.macs), N_("this row's share of all the model's MACs")),
    "flops": Column(N_("FLOPs"), True, lambda r, m: units.si(r.flops) if r.flops else "—", N_("floating-point operations: 2 × MACs (a multiply and an add each)")),
    "other": Column(N_("Other ops"), True, lambda r, m: units.si(r.other_ops) if r.other_ops else "—",
                    N_("one op per value for norms, activations, pooling and adds (not in MACs)")),
    "memory": Column(N_("Output MB"), True, lambda r, m: units.megabytes(r.output_bytes) if r.output_bytes else "—",
                     N_("memory of the row's output tensor (MB = 2^20 bytes)")),
    "rf": Column(N_("RF"), True, _rf_cell, N_("receptive field: input pixels (per side) one output unit can see; global = the whole input")),
    "jump": Column(N_("Jump"), True, lambda r, m: _field(r.rf, "jump"), N_("jump: input pixels between the fields of neighbouring units")),
    "start": Column(N_("Start"), True, lambda r, m: _field(r.rf, "start"), N_("where the first unit's field begins in input pixels (negative: in the padding)")),
}
DEFAULT_COLUMNS = ("name", "type", "output", "params", "macs", "macs%", "rf")


def parse_columns(text: str | None) -> tuple[str, ...]:
    """``"name,type,macs"`` -> column names; a one-line error names the unknown ones."""
    if text is None:
        return DEFAULT_COLUMNS
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [n for n in names if n not in COLUMNS]
    if unknown or not names:
        raise UsageError(_("--columns: unknown column {names}; known: {known}").format(
            names=", ".join(map(repr, unknown)) or _("(none given)"), known=", ".join(COLUMNS)))
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
                cell = _("{name} (call {n})").format(name=cell, n=row.call + 1)
            if indent:
                cell = "  " * max(row.depth - 1, 0) + cell
        cells.append(cell)
    return tuple(cells)


def headers(columns=DEFAULT_COLUMNS) -> list[str]:
    return [COLUMNS[key].title for key in columns]


def totals_lines(report: ModelReport) -> list[tuple[str, str]]:
    """(label, value) pairs of the totals block, in the current language."""
    t = report.totals
    uncounted = len(report.uncounted_ops)
    buffers = units.megabytes(t.buffer_bytes)
    return [
        (_("Input"), units.shape(report.input_shape)),
        (_("Params"), _("{total} (trainable {trainable}, frozen {frozen})").format(
            total=units.count(t.params), trainable=units.count(t.trainable_params), frozen=units.count(t.frozen_params))),
        (_("MACs"), f"{units.count(t.macs)} ({units.si(t.macs)})"),
        (_("FLOPs (2 × MACs)"), f"{units.count(t.flops)} ({units.si(t.flops)})"),
        (_("Other ops (norm, act., pool, add)"), units.si(t.other_ops)),
        (_("Parameter memory"), _("{params} + buffers {buffers}").format(params=units.megabytes(t.param_bytes),
                                                                         buffers=buffers)
         if t.buffer_bytes else units.megabytes(t.param_bytes)),
        *_memory_lines(report),
        *([(_("Not counted"), ngettext("{n} op with no MAC formula (see the notes)",
                                       "{n} ops with no MAC formula (see the notes)", uncounted).format(n=uncounted))]
          if uncounted else []),
    ]


def _memory_lines(report: ModelReport) -> list[tuple[str, str]]:
    """Activation and training memory: the estimate, and beside it the measurement if there is one."""
    t, measured = report.totals, report.measured
    if not measured:
        return [(_("Activation memory (forward)"), units.megabytes(t.activation_bytes)),
                (_("Training memory, SGD+momentum (est.)"), units.megabytes(t.training_bytes_sgd)),
                (_("Training memory, Adam (est.)"), units.megabytes(t.training_bytes_adam))]

    def both(estimate: int, key: str) -> str:
        return _("estimate {estimate}, measured {measured}").format(
            estimate=units.megabytes(estimate), measured=units.megabytes(measured[key]))

    return [(_("Activation memory (forward)"), both(t.activation_bytes, "forward_peak_bytes")),
            (_("Inference peak (no_grad, measured)"), units.megabytes(measured["inference_peak_bytes"])),
            (_("Training memory, SGD+momentum"), both(t.training_bytes_sgd, "training_bytes_sgd")),
            (_("Training memory, Adam"), both(t.training_bytes_adam, "training_bytes_adam")),
            (_("Measured on"), _("{device}, random weights (seed {seed}); optimizer state added, not run").format(
                device=measured["device"], seed=measured["seed"]))]


def operator_lines(report: ModelReport) -> list[tuple[str, str]]:
    """MACs per ATen op, largest first, with each op's share of the total."""
    total = report.totals.macs
    return [(op, f"{units.count(macs)} ({units.si(macs)}, {units.share(macs, total) or '0.0%'})")
            for op, macs in report.totals.macs_by_operator.items()]
