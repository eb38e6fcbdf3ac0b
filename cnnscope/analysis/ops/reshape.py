"""Ops that move values without computing: view, reshape, flatten, permute, indexing, chunks.
A spatial axis survives when no position is mixed with another; folding H and W into one axis
makes tokens; flattening to (N, features) makes the field global."""

from __future__ import annotations

import math
from dataclasses import replace

from torch import nn

from cnnscope.analysis import field as rf
from cnnscope.analysis.ops.registry import register_kind, rule
from cnnscope.report import Diagnostic

_PERMUTES = ("permute", "transpose", "swapaxes", "swapdims", "t")
_SELECTIONS = ("getitem", "select", "chunk", "split", "tensor_split", "unbind", "narrow", "squeeze", "unsqueeze")

register_kind("reshape", "moves values without computing: view, reshape, flatten, permute, indexing, split",
              modules=(nn.Flatten, nn.Unflatten),
              functions=("view", "reshape", "flatten", "unflatten", "movedim", "moveaxis", "view_as",
                         "reshape_as", *_PERMUTES, *_SELECTIONS))


@rule("rf", "reshape")
def reshaped_field(engine, row, field: rf.Field):
    in_shape, out_shape = engine.shapes(row)
    if row.type in _PERMUTES:
        return _permute(row, field, in_shape)
    tracked = rf.track_by_shape(field, in_shape, out_shape, selection=row.type in _SELECTIONS)
    if tracked is not None:
        return tracked
    if len(out_shape) <= 2:
        return rf.Global("flatten")
    engine.diagnose(Diagnostic(
        "info", "rf-tokens",
        f"receptive field: {row.name} folds the spatial axes into tokens; rows after it show no "
        "field until attention or pooling over the tokens makes it global", layer=row.name))
    return rf.Tokens("spatial axes folded together")


@rule("rf_tokens", "reshape")
def reshaped_tokens(engine, row):
    return rf.global_if_flat(engine.shapes(row)[1])


def _permute(row, field: rf.Field, in_shape) -> rf.Field:
    ndim = len(in_shape)
    args, kwargs = row.call_args if row.call_args else ((), {})
    rest = list(args[1:])
    order = list(range(ndim))
    if row.type == "permute":
        dims = kwargs.get("dims", rest[0] if len(rest) == 1 and isinstance(rest[0], (list, tuple)) else rest)
        order = [d % ndim for d in dims]
    else:  # transpose(a, b), swapaxes, .t()
        a, b = (rest + [0, 1])[:2] if row.type != "t" else (0, 1)
        a, b = a % ndim, b % ndim
        order[a], order[b] = order[b], order[a]
    return replace(field, axes=tuple(order.index(p) - ndim for p in rf.positions(field, ndim)), note="")


def explain(row) -> list[str]:
    inputs = row.input_shapes[0] if row.input_shapes else []
    out = row.output_shape if row.output_shape and isinstance(row.output_shape[0], int) else None
    shape = "×".join(map(str, inputs)) if inputs else "—"
    if out is None or list(out) == list(inputs):
        return [f"{shape} → same shape"]
    if row.type in ("flatten", "Flatten", "view", "reshape"):
        return [f"{shape} → {'×'.join(map(str, out))} ({math.prod(inputs):,} values rearranged)"]
    return [f"{shape} → {'×'.join(map(str, out))}"]


rule("explain", "reshape")(explain)
