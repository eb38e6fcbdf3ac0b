"""Reductions over dims (mean, sum, amax, softmax, ...).  A reduction over channels (or any
non-spatial dim) keeps the spatial field; one over a spatial axis makes each unit see that
whole axis (a window as wide as the axis); one over every spatial axis is global pooling."""

from __future__ import annotations

from dataclasses import replace

from torch import nn

from cnnscope.analysis import field as rf
from cnnscope.analysis.calls import TensorArg, recorded_arg
from cnnscope.analysis.ops.merge import merged_field
from cnnscope.analysis.ops.registry import register_kind, rule

_KEEPS_SHAPE = ("softmax", "log_softmax", "softmin")

register_kind("reduction", "reduces or normalises along dims: mean, sum, max, softmax, ...",
              modules=(nn.Softmax, nn.LogSoftmax, nn.Softmin, nn.Softmax2d),
              functions=("mean", "sum", "prod", "amax", "amin", "max", "min", "std", "var", "logsumexp",
                         "norm", "argmax", "argmin", "median", "nanmean", "nansum", "all", "any", "count_nonzero",
                         *_KEEPS_SHAPE))


def reduced_dims(row, ndim: int) -> tuple[list[int] | None, bool]:
    """(the reduced dims, non-negative; None for all dims) and whether they are kept."""
    if row.module is not None:  # nn.Softmax(dim) and friends
        dim = getattr(row.module, "dim", None)
        dim = -3 if isinstance(row.module, nn.Softmax2d) else dim
        return ([dim % ndim] if dim is not None else None), True
    first = 2 if row.type == "norm" else 1  # norm(input, p, dim, keepdim); the others (input, dim, keepdim)
    keep = row.type in _KEEPS_SHAPE or bool(recorded_arg(row.call_args, "keepdim", first + 1, False))
    dim = recorded_arg(row.call_args, "dim", first, None)
    if dim is None or dim == ():
        return None, keep
    dims = list(dim) if isinstance(dim, (list, tuple)) else [dim]
    if not all(isinstance(d, int) for d in dims):
        return None, keep
    return sorted({d % ndim for d in dims}), keep


def _elementwise(row) -> bool:
    """``torch.max(x, other)`` with a constant tensor is element-wise, not a reduction."""
    args = row.call_args[0] if row.call_args else ()
    return row.type in ("max", "min") and len(args) > 1 and isinstance(args[1], TensorArg)


@rule("rf", "reduction")
def reduced_field(engine, row, field: rf.Field):
    if _elementwise(row):
        return rf.plain(field)
    in_shape, out_shape = engine.shapes(row)
    ndim = len(in_shape)
    dims, keep = reduced_dims(row, ndim)
    where = rf.positions(field, ndim)
    if dims is None:
        if row.type in _KEEPS_SHAPE:
            return engine.untracked(row, f"{row.type} over an unknown dim")
        return rf.Global("a reduction over every dim")
    spatial = [a for a, p in enumerate(where) if p in dims]
    if len(spatial) == len(where):
        return rf.Global(f"{row.type} over every spatial axis")
    if spatial and not keep:
        return engine.untracked(row, f"{row.type} removes a spatial axis; the field of the other axis is not shown")
    size, jump, start = list(field.size), list(field.jump), list(field.start)
    for a in spatial:  # one unit now sees every position along this axis
        n = in_shape[where[a]]
        size[a] = field.size[a] + (n - 1) * field.jump[a]
        jump[a] = field.jump[a] * n
    out_ndim = ndim if keep else ndim - len(dims)
    axes = tuple((p if keep else p - sum(d < p for d in dims)) - out_ndim for p in where)
    note = f"{row.type} over dims {dims}: " + ("spatial field kept" if not spatial else "whole axis")
    return replace(field, size=tuple(size), jump=tuple(jump), start=tuple(start), axes=axes, note=note)


@rule("rf_tokens", "reduction")
def reduced_tokens(engine, row):
    """Pooling over tokens made from space is global; a softmax over them (attention scores,
    perhaps within windows) pools nothing and leaves them tokens."""
    if row.type in _KEEPS_SHAPE or row.module is not None:
        return rf.Tokens()
    return rf.Global("pooling over the spatial tokens")


# Given two data paths (``pow(a, b)``, ``torch.max(a, b)``) the op is element-wise across them: their union.
rule("rf_merge", "reduction")(merged_field)
