"""How one number is computed: a unit of any row, worked out from the real inputs and weights.

``explain(model, inputs, layer, unit)`` runs the model once, keeps row ``layer`` whole (its real
inputs and the torch calls that made it) and redoes the unit's arithmetic in float64: a convolution's
products, sum per input channel, bias and total; a pool's window and winner; batch norm's statistics;
a linear row's largest contributions and, at the logits, every class's probability.  Rows with no
arithmetic to show say what they can (inputs, op, value) and never invent a sum.  ``capture`` and
``explain_captured`` split the forward pass from the unit, so an app answers a click without one.
"""

from __future__ import annotations

import numpy as np
import torch

from cnnscope.errors import UsageError
from cnnscope.i18n import _
from cnnscope.probes.unit import linear as _linear
from cnnscope.probes.unit import other as _other
from cnnscope.probes.unit import pointwise as _pointwise
from cnnscope.probes.unit import window as _window
from cnnscope.probes.unit.capture import Captured, capture_row
from cnnscope.probes.unit.explanation import Check, Term, UnitExplanation  # noqa: F401
from cnnscope.probes.unit.field import compose

__all__ = ["Captured", "UnitExplanation", "Term", "Check", "capture", "explain", "explain_captured", "follow",
           "parse_unit", "check_unit"]

DEFAULT_TOP = 10
_EXPLAINED = (set(_window.CONV) | set(_window.TRANSPOSED) | set(_window.MAX_POOL) | set(_window.AVG_POOL)
              | set(_window.ADAPTIVE) | {"batch_norm", "linear", "softmax"} | set(_pointwise.ACTIVATIONS)
              | _pointwise.PASS_THROUGH | set(_other._SYMBOLS) | _other._MOVES | {"cat", "concat", "concatenate"})


def parse_unit(text: str) -> tuple[int, ...]:
    """``"3,10,12"`` -> (3, 10, 12): channel, then the spatial position (``"7"`` for a linear row)."""
    parts = [p.strip() for p in str(text).replace(" ", "").split(",")]
    try:
        unit = tuple(int(p) for p in parts)
    except ValueError:
        raise UsageError(_("--unit {text}: expected whole numbers C,Y,X such as 0,12,12 (channel, row, column), "
                           "or one number for a linear row").format(text=text)) from None
    if any(u < 0 for u in unit):
        raise UsageError(_("--unit {text}: positions count from 0; negative numbers are not positions").format(text=text))
    return unit


def check_unit(unit: tuple[int, ...], shape: tuple[int, ...], layer: str) -> None:
    """UsageError unless ``unit`` indexes an element of ``shape`` (the row's output without its batch axis)."""
    letters = {1: ("C",), 2: ("C", "X"), 3: ("C", "Y", "X"), 4: ("C", "T", "Y", "X")}.get(
        len(shape), tuple(f"i{k}" for k in range(len(shape))))
    size = "×".join(map(str, shape))
    ranges = ", ".join(f"{name} 0..{n - 1}" for name, n in zip(letters, shape))
    if len(unit) != len(shape):
        raise UsageError(_("--unit {unit}: layer {layer}'s output is {size}, so a unit is {letters} ({ranges})").format(
            unit=",".join(map(str, unit)), layer=layer, size=size, letters=",".join(letters), ranges=ranges))
    if any(u >= n for u, n in zip(unit, shape)):
        raise UsageError(_("--unit {unit} is outside layer {layer}'s output map {size} ({ranges})").format(
            unit=",".join(map(str, unit)), layer=layer, size=size, ranges=ranges))


def capture(model, inputs: torch.Tensor, layer: str) -> Captured:
    """One forward pass of ``model`` (in eval mode, no gradients) keeping row ``layer`` whole."""
    return capture_row(model, inputs, layer)


def explain(model, inputs: torch.Tensor, layer: str, unit, *, top: int = DEFAULT_TOP, names=None) -> UnitExplanation:
    """Unit ``unit`` (C, Y, X, without the batch axis) of row ``layer`` for ``inputs`` (a batch of one)."""
    return explain_captured(capture_row(model, inputs, layer), unit, top=top, names=names)


def explain_captured(captured: Captured, unit, *, top: int = DEFAULT_TOP, names=None) -> UnitExplanation:
    unit = tuple(int(u) for u in unit)
    output = captured.output
    shape = tuple(output.shape[1:])
    check_unit(unit, shape, captured.layer)
    value = float(output.detach().double()[(0, *unit)])
    calls = [c for c in captured.calls if c.name in _EXPLAINED or c.name == "pad"]
    main = next((k for k in range(len(calls) - 1, -1, -1) if calls[k].name != "pad"), None)
    reads = None
    row = captured.row
    if main is None:
        result = _other.honest(captured.layer, unit, row.op_kind, row.type, value, row.input_shapes,
                               [_("no torch call of this row could be followed")])
    else:
        result, reads = _dispatch(captured, unit, calls, main, value, top, names)
    result.layer, result.output_shape = captured.layer, shape
    earlier = [c.name for c in calls[:main] if c.name != "pad"] if main is not None else []
    if earlier:
        result.notes.append(_("{type} first applied {calls}; the last step, {last}, is worked out here").format(
            type=row.type, calls=", ".join(earlier), last=calls[main].name))
    _add_field(result, captured, unit, reads)
    if result.kind in ("linear", "other", "identity") and len(shape) == 1:
        _add_softmax(result, captured, names)
    return result


def _dispatch(captured: Captured, unit, calls, main: int, value, top, names):
    call, layer = calls[main], captured.layer
    name = call.name
    if name in _window.CONV:
        return _window.conv(layer, unit, call, calls, main, value, top)
    if name in _window.TRANSPOSED:
        return _window.transposed(layer, unit, call, calls, main, value, top)
    if name in _window.MAX_POOL or name in _window.AVG_POOL:
        return _window.pool(layer, unit, call, value)
    if name in _window.ADAPTIVE:
        return _window.adaptive(layer, unit, call, value)
    if name == "batch_norm":
        return _pointwise.batch_norm(layer, unit, call, value), None
    if name in _pointwise.ACTIVATIONS:
        return _pointwise.activation(layer, unit, call, value), None
    if name in _pointwise.PASS_THROUGH:
        return _pointwise.pass_through(layer, unit, call, value), None
    if name == "linear":
        return _linear.linear(layer, unit, call, value, top), None
    if name == "softmax":
        return _linear.softmax(layer, unit, call, value, names), None
    sources = [_row_name(captured, k) for k in captured.row.inputs]
    made = (_other.merge(layer, unit, call, value, sources)
            or _other.moved(layer, unit, call, value, tuple(captured.output.shape))
            or _other.concatenated(layer, unit, call, value, sources))
    if made is not None:
        return made, None
    row = captured.row
    return _other.honest(layer, unit, row.op_kind, name, value, row.input_shapes, []), None


def _row_name(captured: Captured, index: int) -> str:
    return _("the model input") if index < 0 else captured.tracer.rows[index].name


def _add_field(result: UnitExplanation, captured: Captured, unit, reads) -> None:
    image = tuple(captured.input_shape[2:])
    rows = captured.tracer.rows
    if reads is not None:
        result.field, result.clipped, result.field_note = compose(reads, captured.producer(0), captured.fields, image,
                                                                  rows)
        return
    if result.kind == "transposed_conv" and result.terms == 0:
        result.field_note = _("no input position lands on this unit: only the bias reaches it")
        return
    rf = captured.fields.get(captured.row.index)
    spatial = unit[1:]
    if rf is None:
        result.field_note = _("no receptive field is known for this row (see `cnnscope rf`)")
    elif rf.is_global:
        box = [(0, n - 1) for n in image]
        result.field, result.clipped = box, box
        result.field_note = _("every input pixel can reach this unit (a global receptive field)")
    elif len(spatial) == len(rf.size):
        reads = [(p, p) for p in spatial]
        result.field, result.clipped, result.field_note = compose(reads, captured.row.index, captured.fields, image,
                                                                  rows)
    else:
        result.field_note = _("this row has no spatial position to place in the image")


def _add_softmax(result: UnitExplanation, captured: Captured, names) -> None:
    """At the model's logits (this row's output is the model's output), every class's probability."""
    from cnnscope.probes.prediction import class_logits

    logits = class_logits(captured.model_output)
    mine = captured.output.detach().double()[0].cpu().numpy()
    if logits is None or logits.shape != mine.shape or not np.allclose(logits, mine, rtol=1e-6, atol=1e-6):
        return
    rows = _linear.probabilities(mine, names)  # float64: the model's own logits, matched above
    result.details["softmax"] = rows
    result.formula += ["", _("these are the model's logits z; softmax turns them into probabilities:"),
                       *_linear.softmax_lines(rows, result.unit[-1])]


def follow(model, inputs: torch.Tensor, captured: Captured, unit, capture=None) -> tuple[str, tuple[int, ...]] | None:
    """(the next row, the unit of it this unit's value goes on to): the same position through
    element-wise rows, the window that contains it through pools, the most active unit at that
    position through a convolution, and the most active output of a linear row.  None at the end.
    ``capture(layer) -> Captured`` may replace the forward pass a conv or linear row needs (a cache)."""
    from cnnscope.probes.unit.forward import next_unit

    return next_unit(model, inputs, captured, tuple(int(u) for u in unit), capture)
