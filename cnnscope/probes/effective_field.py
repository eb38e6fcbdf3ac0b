"""One unit's field, theoretical and effective, on real weights (random init or a file)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from cnnscope.probes.empirical_rf import input_gradient, mass_squares
from cnnscope.errors import UsageError
from cnnscope.report import ModelReport, ReceptiveField
from cnnscope.i18n import _


@dataclass(frozen=True)
class UnitField:
    layer: str
    unit: tuple[int, ...]
    grid: tuple[int, ...]  # the layer's output spatial size
    size: tuple
    jump: tuple
    start: tuple
    box: tuple[float, ...]  # top, left, bottom, right (inclusive) of the theoretical field, input pixels
    centre: tuple[float, ...]
    gradient: np.ndarray | None
    squares: dict | None  # {"50%": side, "90%": side, "99%": side}

    def summary(self) -> dict:
        return {"layer": self.layer, "unit": list(self.unit), "grid": list(self.grid),
                "theoretical": {"size": list(self.size), "jump": list(self.jump), "start": list(self.start),
                                "box": list(self.box)},
                "effective_squares": self.squares}


def default_layer(report: ModelReport) -> str:
    """The last feature map (``ModelReport.last_feature_map``), by name."""
    last = report.last_feature_map()
    if last is None:
        raise UsageError(_("no layer of this model has a local receptive field"))
    return last.name


def theoretical_box(rf: ReceptiveField, unit) -> tuple[tuple, tuple]:
    lows = [rf.start[a] + unit[a] * rf.jump[a] for a in range(len(unit))]
    highs = [lo + rf.size[a] - 1 for a, lo in enumerate(lows)]
    centre = tuple((lo + hi) / 2 for lo, hi in zip(lows, highs))
    if len(unit) == 2:
        return (lows[0], lows[1], highs[0], highs[1]), centre
    return tuple(lows + highs), centre


def probe(model: torch.nn.Module, report: ModelReport, layer: str, inputs: torch.Tensor,
          unit: tuple[int, ...] | None = None, empirical: bool = True) -> UnitField:
    """The field of ``unit`` (default: the centre unit) of ``layer``; with ``empirical`` also the
    input-gradient map averaged over the batch of ``inputs`` and its 50/90/99% squares."""
    report.layer(layer)  # LayerNotFoundError, with suggestions, when there is no such row
    # The last call: the output the network goes on with, and the one input_gradient captures.
    row = [r for r in report.layers if r.name == layer][-1]
    if not row.rf or row.rf.is_global:
        if row.rf:
            raise UsageError(_("layer {layer!r} sees the whole input: pick a convolutional feature map").format(
                layer=layer))
        raise UsageError(_("layer {layer!r} has no tracked receptive field: pick a convolutional feature map").format(
            layer=layer))
    output = row.output_shape[0] if row.output_shape and isinstance(row.output_shape[0], list) else row.output_shape
    grid = tuple(output[2:])
    unit = tuple(unit) if unit is not None else tuple((s - 1) // 2 for s in grid)
    if len(unit) != len(grid):
        form = "Y,X" if len(grid) == 2 else "one a side"
        raise UsageError(_("--unit {str}: give {n} numbers ({form}) for {layer!r}'s output grid {str2}").format(
                             str=','.join(map(str, unit)), n=len(grid), form=form, layer=layer, str2='×'.join(map(str, grid))))
    if any(not 0 <= u < s for u, s in zip(unit, grid)):
        raise UsageError(_("unit {str} is outside {layer!r}'s output grid {str2}").format(
                             str=','.join(map(str, unit)), layer=layer, str2='×'.join(map(str, grid))))
    box, centre = theoretical_box(row.rf, unit)
    gradient = squares = None
    if empirical:
        gradient, _unused, _unused = input_gradient(model, inputs, layer, unit)
        if gradient.ndim == 2:
            squares = mass_squares(gradient, centre)
    return UnitField(layer, unit, grid, tuple(row.rf.size), tuple(row.rf.jump), tuple(row.rf.start),
                     box, centre, gradient, squares)
