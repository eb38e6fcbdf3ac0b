"""The effective receptive field (Luo et al., NeurIPS 2016): input gradients of one unit.

``input_gradient`` back-propagates from one output unit of any row (module or functional) to
the input, on real weights, and returns |∂unit/∂input| summed over channels and averaged over
the given inputs.  ``mass_squares`` reports the side of the centred square holding 50/90/99% of
that gradient mass.  The test suite also uses ``input_gradient`` on nets with positive weights
to check the analytic field: the extent of the gradient's support must equal the field.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from cnnscope.analysis.trace import run_trace
from cnnscope.errors import UsageError
from cnnscope.probes.lookup import traced_row
from cnnscope.i18n import _


def centre_unit(shape) -> tuple[int, ...]:
    return tuple((s - 1) // 2 for s in shape[2:])


def input_gradient(model: nn.Module, inputs: torch.Tensor, layer: str, unit: tuple[int, ...] | None = None):
    """(gradient map of shape input spatial dims, unit used, output spatial shape)."""
    inputs = inputs.detach().clone().requires_grad_(True)
    tracer, _unused = run_trace(model, [inputs], grad=True, capture=frozenset({layer}))
    traced_row(tracer, layer)  # LayerNotFoundError, with suggestions, when there is no such row
    output = tracer.captured.get(layer)
    if output is None or output.dim() < 3:
        raise UsageError(_("layer {layer!r} has no spatial output to take a unit from").format(layer=layer))
    spatial = tuple(output.shape[2:])
    unit = tuple(unit) if unit is not None else centre_unit(output.shape)
    if len(unit) != len(spatial) or any(not 0 <= u < s for u, s in zip(unit, spatial)):
        raise UsageError(_("unit {unit} is outside {layer!r}'s output grid {str}").format(
                             unit=unit, layer=layer, str='×'.join(map(str, spatial))))
    if not output.requires_grad:
        raise UsageError(_("layer {layer!r} does not depend on the input through differentiable ops").format(
                             layer=layer))
    selected = output[(slice(None), slice(None), *unit)].sum()
    (grad,) = torch.autograd.grad(selected, inputs)
    magnitude = grad.abs().sum(dim=1).mean(dim=0)  # over channels, then over the batch
    return magnitude.detach().cpu().numpy(), unit, spatial


def support_extent(gradient: np.ndarray, threshold: float = 0.0) -> list[tuple[int, int]]:
    """(first, last) index per axis where the gradient is non-zero."""
    mask = gradient > threshold
    extents = []
    for axis in range(gradient.ndim):
        other = tuple(a for a in range(gradient.ndim) if a != axis)
        hits = np.nonzero(mask.any(axis=other))[0]
        extents.append((int(hits[0]), int(hits[-1])) if hits.size else (0, -1))
    return extents


def mass_squares(gradient: np.ndarray, centre: tuple[float, float], fractions=(0.5, 0.9, 0.99)) -> dict[str, int]:
    """Side of the smallest square centred on ``centre`` holding each fraction of the mass."""
    total = float(gradient.sum())
    if total <= 0:
        return {f"{int(f * 100)}%": 0 for f in fractions}
    height, width = gradient.shape
    cy, cx = centre
    result = {}
    side = 1
    limit = 2 * max(height, width) + 2
    for fraction in sorted(fractions):
        while side <= limit:
            top, left = int(round(cy - (side - 1) / 2)), int(round(cx - (side - 1) / 2))
            window = gradient[max(top, 0):max(top + side, 0), max(left, 0):max(left + side, 0)]
            if float(window.sum()) >= fraction * total - 1e-12:
                break
            side += 1
        result[f"{int(round(fraction * 100))}%"] = side
    return result
