"""What the next rows make of a unit's value: the unit it goes on to in each following row, explained in
turn, through rows that act on one position or one window (activations, batch norm, pools, reshapes)
and up to the next weighted row (a convolution or linear row mixes many units: there the page stops,
and "Follow forward" picks one).  No Streamlit: the page draws the result, a benchmark times it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

WEIGHTED = ("conv", "transposed_conv", "linear")


@dataclass
class Chain:
    steps: list = field(default_factory=list)  # UnitExplanation of each following row, in order
    stop: object = None  # the row where the chain stopped (a weighted row), or None
    end: bool = False  # True: the last step (or the unit itself) is the model's output


def next_rows(model, inputs, captured, unit, captured_row: Callable[[str], object], names=None,
              limit: int = 3, lock=None) -> Chain:
    """Up to ``limit`` rows after ``captured``'s; ``captured_row(name)`` returns that row's capture (the
    page's cache), so a click runs no forward pass once the rows have been captured."""
    import contextlib

    from cnnscope.probes.unit import explain_captured, follow
    from cnnscope.probes.unit.forward import consumer

    chain = Chain()
    at, unit = captured, tuple(unit)
    while len(chain.steps) < limit:
        after = consumer(at)
        if after is None:
            chain.end = True
            break
        if after.op_kind in WEIGHTED:
            chain.stop = after
            break
        with lock or contextlib.nullcontext():
            target = follow(model, inputs, at, unit)
        if target is None:
            break
        at = captured_row(target[0])
        step = explain_captured(at, target[1], names=names)
        chain.steps.append(step)
        unit = step.unit
    return chain
