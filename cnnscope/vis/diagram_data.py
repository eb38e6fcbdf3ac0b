"""The architecture as compact JSON-able data for the interactive diagram (``export/assets/diagram.js``).

Every row, leaf and block, with its parent (by position in ``rows``), whether it can open (has
children), and the fields the side panel shows; and the data-flow edges between leaf rows with the
shape each carries.  Keys are short and empty fields are left out, so that densenet201 with every row
stays small.  Row 0 is the model itself (the root, always open).  No torch needed.
"""

from __future__ import annotations

from cnnscope import units
from cnnscope.report import LayerRecord, ModelReport

INPUT = "in"  # edge ends that are not rows: the model's inputs ("in0", "in1", ...) and its output
OUTPUT = "out"


def _parents(report: ModelReport) -> list[int]:
    """Rows are in pre-order: a row's parent is the last row seen one level up (as vis.graph.build_tree)."""
    parents = [-1]
    open_at = {report.layers[0].depth: 0}
    for k, row in enumerate(report.layers[1:], start=1):
        parents.append(open_at.get(row.depth - 1, 0))
        open_at[row.depth] = k
        for deeper in [d for d in open_at if d > row.depth]:
            del open_at[deeper]
    return parents


def _row(row: LayerRecord, parent: int, total_macs: int) -> dict:
    data: dict = {"n": row.name or "(model)", "t": row.type, "p": parent, "d": row.depth}
    if row.call:
        data["call"] = row.call
    if row.kind == "function":
        data["f"] = 1
    data["i"] = ", ".join(units.shape(s) for s in row.input_shapes) if row.input_shapes else ""
    data["o"] = units.shape(row.output_shape)
    for key, value in (("k", row.kernel_size), ("s", row.stride), ("pad", row.padding), ("dil", row.dilation)):
        if value:
            data[key] = units.per_axis(value)
    if row.groups is not None:
        data["g"] = row.groups
    if row.params:
        data["P"] = row.params
    if row.macs:
        data["M"] = row.macs
        if total_macs:
            data["share"] = round(row.macs / total_macs, 5)
    if row.rf is not None:
        data["rf"] = units.rf_size(row.rf)
        data["j"] = "global" if row.rf.is_global else units.per_axis(row.rf.jump or [])
    return data


def _input_shapes(report: ModelReport) -> list:
    return report.input_shape if report.input_shape and isinstance(report.input_shape[0], list) else [report.input_shape]


def diagram_data(report: ModelReport) -> dict:
    """``{"model", "input", "output", "macs", "params", "rows": [...], "edges": [[src, dst, shape], ...]}``.

    ``src`` is a row's position or ``"in0"``...; ``dst`` a row's position or ``"out"``.  Only leaf rows
    are edge ends: the page lifts an edge to the blocks it crosses when they are closed."""
    parents = _parents(report)
    has_children = set(parents[1:])
    position = {row.index: k for k, row in enumerate(report.layers)}
    rows = []
    for k, row in enumerate(report.layers):
        data = _row(row, parents[k], report.totals.macs)
        if k in has_children:
            data["c"] = 1
        rows.append(data)
    inputs = _input_shapes(report)
    edges: list[list] = []
    seen: set = set()
    for k, row in enumerate(report.layers):
        if k in has_children or k == 0 and len(report.layers) > 1:
            continue
        for source in row.inputs:
            if source < 0:
                origin, shape = f"{INPUT}{-1 - source}", inputs[-1 - source] if -1 - source < len(inputs) else None
            elif source in position:
                origin, shape = position[source], report.layers[position[source]].output_shape
            else:
                continue
            if (origin, k) not in seen:
                seen.add((origin, k))
                edges.append([origin, k, units.shape(shape)])
    root = report.layers[0]
    last = root.output_from or ([report.layers[-1].index] if len(report.layers) > 1 else [root.index])
    for source in last:
        if source in position:
            edges.append([position[source], OUTPUT, units.shape(report.layers[position[source]].output_shape)])
    return {"model": report.model, "inputs": [units.shape(s) for s in inputs],
            "output": units.shape(report.output_shape), "macs": report.totals.macs, "params": report.totals.params,
            "rows": rows, "edges": edges}
