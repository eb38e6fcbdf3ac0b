"""Why a row has the shape it has: the arithmetic written out (used by the app and docs)."""

from __future__ import annotations

from cnnscope.geometry import explain_window
from cnnscope.report import LayerRecord


def shape_arithmetic(row: LayerRecord) -> list[str]:
    """One line per spatial axis for window ops; a line for linear and reshape-like rows."""
    inputs = row.input_shapes[0] if row.input_shapes else []
    if row.kernel_size and inputs:
        n = len(row.kernel_size)
        axes = ("height", "width") if n == 2 else tuple(f"axis {k}" for k in range(n))
        lines = []
        for k in range(n):
            size = inputs[-n + k]
            lines.append(f"{axes[k]}: " + explain_window(size, row.kernel_size[k], row.stride[k], row.padding[k],
                                                          (row.dilation or [1] * n)[k], bool(row.ceil_mode)))
        if row.type.startswith("Conv") and row.output_shape:
            channels = row.output_shape[1] if isinstance(row.output_shape[0], int) else None
            lines.append(f"channels: {inputs[1]} in → {channels} out"
                         + (f" in {row.groups} groups" if row.groups and row.groups > 1 else ""))
        return lines
    if row.type in ("Linear", "linear") and inputs:
        out = row.output_shape[-1] if row.output_shape and isinstance(row.output_shape[0], int) else "?"
        return [f"features: {inputs[-1]} in → {out} out (acts on the last axis)"]
    shape = "×".join(map(str, inputs)) if inputs else "—"
    out = row.output_shape if row.output_shape and isinstance(row.output_shape[0], int) else None
    if out is not None and list(out) != list(inputs):
        total = 1
        for v in inputs:
            total *= v
        return [f"{shape} → {'×'.join(map(str, out))} ({total:,} values rearranged)" if row.type in
                ("flatten", "Flatten", "view", "reshape") else f"{shape} → {'×'.join(map(str, out))}"]
    return [f"{shape} → same shape"]
