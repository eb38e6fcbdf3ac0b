"""One row of a real forward pass, kept whole: its output, the torch-level calls that made it (with
their real arguments), and the receptive fields of every row, for ``probes.unit`` to explain."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from cnnscope.analysis.trace import Call, Row, Tracer, run_trace
from cnnscope.errors import UsageError


@dataclass
class Captured:
    layer: str  # the row asked for
    row: Row  # the row whose calls are explained (a block's own output row when ``layer`` is a block)
    output: torch.Tensor  # the row's output as the model produced it (batch axis included)
    calls: list[Call]  # what computed it, in order (``F.pad`` then ``F.conv2d`` inside one module)
    tracer: Tracer
    fields: dict  # row index -> ReceptiveField | None, in input pixels
    model_output: object
    input_shape: tuple[int, ...]

    def producer(self, position: int = 0) -> int:
        """The row that made input ``position`` of the explained row (negative: a model input)."""
        return self.row.inputs[position] if len(self.row.inputs) > position else -1


def capture_row(model: nn.Module, inputs: torch.Tensor, layer: str) -> Captured:
    """Run ``model`` on ``inputs`` (one batch of one image) and keep row ``layer`` whole."""
    from cnnscope.analysis import receptive_field
    from cnnscope.probes.lookup import traced_row

    with torch.no_grad():
        tracer, output = run_trace(model, [inputs], capture=frozenset({layer}))
    rows = [row for row in tracer.rows if row.name == layer]
    if not rows:
        traced_row(tracer, layer)  # LayerNotFoundError with the closest names
    row = rows[-1]  # a module called several times: its last call, as feature maps show
    if layer not in tracer.captured:
        raise UsageError(f"layer {layer!r} has no tensor output to explain")
    calls = tracer.calls.get(layer, [])
    if row.children and len(row.output_from) == 1:  # a block: explain the row that made its output
        inner = tracer.rows[row.output_from[0]]
        if inner.parent == row.index and inner.name in tracer.calls:
            row, calls = inner, tracer.calls[inner.name]
    fields, _ = receptive_field.compute(tracer, [tuple(inputs.shape)])
    return Captured(layer, row, tracer.captured[layer], calls, tracer, fields, output, tuple(inputs.shape))
