"""Rows with no weighted sum to write out: what can be said honestly of one unit.

Element-wise merges (a residual ``+``) show each input's value at the unit and redo the op;
concatenation says which input the unit came from; flatten and view say where the value sat before;
anything else (attention, embeddings, a user's own op) gives its inputs' shapes and the value only.
"""

from __future__ import annotations

import numpy as np
import torch

from cnnscope.i18n import _, ngettext
from cnnscope.probes.unit.explanation import UnitExplanation, make_check

_SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "true_divide": "÷"}
_MOVES = {"flatten", "view", "reshape", "view_as", "reshape_as", "unflatten"}


def merge(layer, unit, call, value, sources: list[str]) -> UnitExplanation | None:
    """``a + b`` (and −, ×, ÷) with the values of both operands at the unit; None for other merges."""
    symbol = _SYMBOLS.get(call.name)
    operands = list(call.args[:2])
    if symbol is None or len(operands) != 2 or not any(isinstance(a, torch.Tensor) for a in operands):
        return None
    index = (0, *unit)
    values, shown = [], []
    for k, operand in enumerate(operands):
        if isinstance(operand, torch.Tensor):
            v = float(torch.broadcast_to(operand.detach().double(), _shape(operands))[index])
            where = sources[k] if k < len(sources) else _("a tensor")
            shown.append(_("{value} (from {source})").format(value=f"{v:.6g}", source=where))
        else:
            v = float(operand)
            shown.append(f"{v:.6g}")
        values.append(v)
    alpha = call.kwargs.get("alpha", 1)
    a, b = values
    total = {"+": a + alpha * b, "−": a - alpha * b, "×": a * b, "÷": a / b if b else float("nan")}[symbol]
    formula = [_("y = a {symbol} b, element by element").format(symbol=symbol), f"y = {f' {symbol} '.join(shown)} = {total:.6g}"]
    first = next(t for t in operands if isinstance(t, torch.Tensor))
    return UnitExplanation(layer, tuple(unit), "merge", call.name, value, tuple(first.shape[1:]), (), formula,
                           sum=total, terms=2, check=make_check(total, value, total, first.dtype, abs(a) + abs(b)),
                           details={"operands": [{"from": sources[k] if k < len(sources) else None, "value": v}
                                                 for k, v in enumerate(values)]})


def _shape(operands):
    return torch.broadcast_shapes(*(o.shape for o in operands if isinstance(o, torch.Tensor)))


def moved(layer, unit, call, value, output_shape) -> UnitExplanation | None:
    """flatten / view / reshape: the input position the value was moved from (row-major order)."""
    if call.name not in _MOVES or not call.args or not isinstance(call.args[0], torch.Tensor):
        return None
    x = call.args[0]
    flat = int(np.ravel_multi_index((0, *unit), output_shape)) if len(output_shape) == len(unit) + 1 else None
    if flat is None or flat >= x.numel():
        return None
    source = tuple(int(i) for i in np.unravel_index(flat, tuple(x.shape)))[1:]
    xin = float(x.detach().double().reshape(-1)[flat])
    formula = [_("{op} moves values without computing: this is element {n} in row-major order, as it was in the "
                 "input").format(op=call.name, n=f"{flat:,}"), f"y = x[{', '.join(map(str, source))}] = {xin:.6g}"]
    return UnitExplanation(layer, tuple(unit), "reshape", call.name, value, tuple(x.shape[1:]), (), formula,
                           sum=xin, check=make_check(xin, value, xin, x.dtype, abs(xin)),
                           details={"from": list(source)})


def concatenated(layer, unit, call, value, sources: list[str]) -> UnitExplanation | None:
    if call.name not in ("cat", "concat", "concatenate") or not call.args:
        return None
    tensors = [t for t in call.args[0] if isinstance(t, torch.Tensor)] if isinstance(call.args[0], (list, tuple)) else []
    dim = call.kwargs.get("dim", call.args[1] if len(call.args) > 1 else 0)
    if not tensors or tensors[0].dim() != len(unit) + 1:
        return None
    axis = dim % tensors[0].dim()
    offset, position = 0, (0, *unit)
    for k, t in enumerate(tensors):
        if position[axis] < offset + t.shape[axis]:
            inner = list(position)
            inner[axis] -= offset
            xin = float(t.detach().double()[tuple(inner)])
            where = sources[k] if k < len(sources) else _("input {k}").format(k=k)
            formula = [_("cat joins {n} tensors along axis {axis}; this unit is element {element} of input {k} "
                         "({source}) on that axis").format(n=len(tensors), axis=axis, element=inner[axis], k=k,
                                                         source=where), f"y = {xin:.6g}"]
            return UnitExplanation(layer, tuple(unit), "concat", call.name, value, tuple(t.shape[1:]), (), formula,
                                   sum=xin, check=make_check(xin, value, xin, t.dtype, abs(xin)),
                                   details={"input": k, "from": where, "at": inner[1:]})
        offset += t.shape[axis]
    return None


def honest(layer, unit, kind: str, op: str, value, input_shapes, notes: list[str]) -> UnitExplanation:
    """The inputs, the op and the value, and no invented arithmetic."""
    shapes = ", ".join("×".join(map(str, s[1:])) for s in input_shapes) or _("none")
    formula = [ngettext("{op} (a {kind} row): input {shapes} → this unit",
                        "{op} (a {kind} row): inputs {shapes} → this unit", len(input_shapes)).format(
                            op=op, kind=kind, shapes=shapes),
               _("cnnscope does not write this op's arithmetic out unit by unit; the value is the model's own")]
    return UnitExplanation(layer, tuple(unit), "other", op, value, tuple(input_shapes[0][1:]) if input_shapes else (),
                           (), formula, notes=notes, details={"op_kind": kind})
