"""The rows and totals a summary shows, shared by the terminal table, Markdown and CSV."""

from __future__ import annotations

from cnnscope import units
from cnnscope.report import LayerRecord, ModelReport, ReceptiveField

COLUMNS = ("Layer", "Type", "Output shape", "Params", "MACs", "% MACs", "RF")


def visible_rows(report: ModelReport, depth: int | None) -> list[LayerRecord]:
    """Rows down to ``depth`` (None: all); the root row is left out (the totals stand for it)."""
    rows = [r for r in report.layers if r.depth >= 1 or len(report.layers) == 1]
    if depth is not None:
        rows = [r for r in rows if r.depth <= depth]
    return rows


def row_cells(row: LayerRecord, total_macs: int, indent: bool = True) -> tuple[str, ...]:
    name = row.name or "(model)"
    if row.call:
        name += f" (call {row.call + 1})"
    if indent:
        name = "  " * max(row.depth - 1, 0) + name
    share = f"{100 * row.macs / total_macs:.1f}%" if total_macs and row.macs else ""
    return (name, row.type, units.shape(row.output_shape), units.count(row.params) if row.params else "—",
            units.si(row.macs) if row.macs else "—", share, rf_cell(row.rf))


def rf_cell(rf: ReceptiveField | None) -> str:
    """'7×7', '212' (square), 'global', or '—' when not tracked."""
    if rf is None:
        return "—"
    if rf.is_global:
        return "global"
    return units.per_axis(rf.size)


def totals_lines(report: ModelReport) -> list[tuple[str, str]]:
    t = report.totals
    return [
        ("Input", units.shape(report.input_shape)),
        ("Params", f"{units.count(t.params)} (trainable {units.count(t.trainable_params)}, frozen {units.count(t.frozen_params)})"),
        ("MACs", f"{units.count(t.macs)} ({units.si(t.macs)})"),
        ("FLOPs (2 × MACs)", f"{units.count(t.flops)} ({units.si(t.flops)})"),
        ("Other ops (norm, act., pool, add)", units.si(t.other_ops)),
        ("Parameter memory", units.megabytes(t.param_bytes) + (f" + buffers {units.megabytes(t.buffer_bytes)}" if t.buffer_bytes else "")),
        ("Activation memory (forward)", units.megabytes(t.activation_bytes)),
        ("Training memory, SGD+momentum (est.)", units.megabytes(t.training_bytes_sgd)),
        ("Training memory, Adam (est.)", units.megabytes(t.training_bytes_adam)),
    ]
