"""Following a value forward: which unit of the next row a unit's value goes on to."""

from __future__ import annotations

import numpy as np

from cnnscope.probes.unit.capture import Captured, capture_row

_SAME_POSITION = ("pointwise", "merge")


def consumer(captured: Captured):
    """The first row after this one that reads its output (blocks skipped: their rows are inside)."""
    rows = captured.tracer.rows
    row = captured.row
    produced = {row.index} if not row.children else set(row.output_from)
    for later in rows[row.index + 1:]:
        if not later.children and produced & set(later.inputs):
            return later
    return None


def next_unit(model, inputs, captured: Captured, unit: tuple[int, ...], capture=None):
    after = consumer(captured)
    if after is None:
        return None
    shape = tuple(captured.output.shape)
    out_shape = tuple(after.output_shape) if after.output_shape and isinstance(after.output_shape[0], int) else None
    if out_shape is None:
        return None
    kind = after.op_kind
    if kind in _SAME_POSITION and out_shape == shape:
        return after.name, unit
    if kind == "reshape" and int(np.prod(out_shape)) == int(np.prod(shape)):
        flat = int(np.ravel_multi_index((0, *unit), shape))
        return after.name, tuple(int(i) for i in np.unravel_index(flat, out_shape))[1:]
    if kind in ("pool", "adaptive_pool") and len(out_shape) == len(shape):
        position = _covering(after, unit[1:], shape[2:], out_shape[2:])
        return None if position is None else (after.name, (unit[0], *position))
    if kind in ("conv", "linear", "transposed_conv"):
        nxt = capture(after.name) if capture is not None else capture_row(model, inputs, after.name)
        values = nxt.output.detach().double()[0].cpu().numpy()
        if kind == "conv" and values.ndim == len(unit):
            position = _covering(after, unit[1:], shape[2:], values.shape[1:])
            if position is None:
                return None
            channel = int(np.argmax(values[(slice(None), *position)]))
            return after.name, (channel, *position)
        if kind == "linear" and values.ndim == 1:
            return after.name, (int(np.argmax(values)),)
    if out_shape == shape:
        return after.name, unit
    return None


def _covering(row, position, sizes, out_sizes):
    """The first output position whose window contains ``position`` (per axis), or None."""
    attrs = row.attrs or {}
    n = len(position)
    found = []
    for a in range(n):
        if row.op_kind == "adaptive_pool":
            m, w = sizes[a], out_sizes[a]
            hits = [o for o in range(w) if o * m // w <= position[a] < -(-(o + 1) * m // w)]
        else:
            k = (attrs.get("kernel_size") or [1] * n)[a]
            s = (attrs.get("stride") or [1] * n)[a]
            p = (attrs.get("padding") or [0] * n)[a]
            d = (attrs.get("dilation") or [1] * n)[a]
            hits = [o for o in range(out_sizes[a]) if o * s - p <= position[a] <= o * s - p + (k - 1) * d
                    and (position[a] - (o * s - p)) % d == 0]
        if not hits:
            return None
        found.append(hits[0])
    return tuple(found)
