"""What ``probes.unit`` finds out about one output unit: the data, no words and no drawing.

Every number is float64.  ``value`` is the unit as the model produced it (float32 for most models);
``sum`` is the total worked out from the row's own inputs and parameters; ``check`` says how far apart
they are and whether that is within the model's own rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field

import numpy as np


@dataclass(frozen=True)
class Term:
    """One product of a weighted sum: ``input · weight``."""

    channel: int  # the input channel (conv) or input feature (linear), numbered as in the row's input
    tap: tuple[int, ...]  # the kernel position (kt,) ky, kx; () for linear
    at: tuple[int, ...]  # where the input value sits in the row's input (outside 0..n−1: padding)
    input: float
    weight: float
    product: float


@dataclass(frozen=True)
class Check:
    """The explained total against the model: ``recomputed`` is the row's own op redone in float64
    on the same inputs (independent of the products), ``difference`` = sum − value."""

    recomputed: float
    difference: float
    tolerance: float  # what the model's own rounding can explain (from its dtype and Σ|terms|)
    ok: bool


@dataclass
class UnitExplanation:
    layer: str
    unit: tuple[int, ...]  # as given, without the batch axis
    kind: str  # conv | transposed_conv | max_pool | avg_pool | adaptive_pool | batch_norm | activation |
    #            identity | linear | softmax | merge | reshape | other
    op: str  # the torch call that made the row: conv2d, max_pool2d, relu ...
    value: float
    input_shape: tuple[int, ...]  # of the row's (first) input, without the batch axis
    output_shape: tuple[int, ...]
    formula: list[str]  # the rule in letters, then with this unit's numbers
    sum: float | None = None  # the explained total (products plus bias; a pool's max or mean ...)
    bias: float | None = None
    terms: int | None = None  # how many products (or window cells)
    top: list[Term] = _field(default_factory=list)  # largest |product| first
    rest: tuple[int, float] = (0, 0.0)  # (how many terms are not in ``top``, their sum)
    channels: list[tuple[int, float]] = _field(default_factory=list)  # conv: the sum per input channel
    kernel: np.ndarray | None = None  # conv: this unit's filter, in_channels/groups × k...
    patch: np.ndarray | None = None  # the inputs under the kernel (0 in zero padding; NaN: no input)
    field: list[tuple[int, int]] | None = None  # per spatial axis, inclusive input pixels, before clipping
    clipped: list[tuple[int, int]] | None = None  # the same inside the input image (None: all outside)
    field_note: str = ""  # why there is no field, or how it was found
    check: Check | None = None
    details: dict = _field(default_factory=dict)  # kind-specific (window cells, BN statistics, softmax ...)
    notes: list[str] = _field(default_factory=list)

    @property
    def products(self) -> np.ndarray | None:
        if self.kernel is None or self.patch is None:
            return None
        return np.nan_to_num(self.patch * self.kernel, nan=0.0)


def split_top(terms: list[Term], top: int) -> tuple[list[Term], tuple[int, float]]:
    """The ``top`` largest |product| (ties: the order given) and (count, exact sum) of the others."""
    order = sorted(range(len(terms)), key=lambda k: -abs(terms[k].product))
    kept = [terms[k] for k in order[:max(0, top)]]
    others = [terms[k].product for k in order[max(0, top):]]
    return kept, (len(others), float(np.sum(others, dtype=np.float64)) if others else 0.0)


def rounding_tolerance(dtype, scale: float) -> float:
    """How far a value computed in ``dtype`` may honestly sit from the exact total: 64 units of its
    precision times Σ|terms| (the magnitudes that were added up: the worst case of accumulation)."""
    import torch

    eps = torch.finfo(dtype).eps if dtype.is_floating_point else 0.0
    return 64 * eps * scale


def make_check(explained: float, value: float, recomputed: float, dtype, scale: float) -> Check:
    """``explained`` (the products added in float64) must equal ``recomputed`` (torch's own op in
    float64) to 1e-9 of the scale, and the model's ``value`` to within its rounding."""
    scale = max(float(scale), 1e-30)
    tolerance = rounding_tolerance(dtype, scale)
    agrees = abs(explained - recomputed) <= 1e-9 * scale
    return Check(float(recomputed), float(explained - value), float(tolerance),
                 bool(agrees and abs(explained - value) <= tolerance))
