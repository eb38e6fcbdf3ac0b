"""Fully connected layers: act on the last axis.  Over a spatial axis the field is global;
over channels (a channels-last MLP, ConvNeXt's pointwise convolutions) it is unchanged."""

from __future__ import annotations

import math

from torch import nn

from cnnscope.i18n import _
from cnnscope.analysis import field as rf
from cnnscope.analysis.ops.registry import register_kind, rule
from cnnscope.analysis.preflight import FeatureMismatchError, label, shape_text

register_kind("linear", "fully connected: every output feature from every input feature of the last axis",
              modules=(nn.Linear, nn.Bilinear), functions=("linear", "bilinear"))


@rule("check_module", "linear")
def check(tracer, row, module, tensors) -> None:
    if not isinstance(module, nn.Linear):
        return
    x = tensors[0]
    if x.shape[-1] != module.in_features:
        raise FeatureMismatchError(_message(tracer, row, module.in_features, x), row.name,
                                   module.in_features, int(x.shape[-1]))


def _message(tracer, row, expected: int, x) -> str:
    got = x.shape[-1]
    detail = ()
    sources = tracer.sources([x])
    if sources and sources[0] >= 0:
        flattened = tracer.rows[sources[0]]
        if flattened.input_shapes and len(flattened.input_shapes[0]) > 2:
            before = flattened.input_shapes[0][1:]
            if math.prod(before) == got:
                detail = (shape_text(before), flattened.name or flattened.type)
    if detail:
        return _("{layer} expects {expected} input features but receives {got} ({shape} from {source}): "
                 "set in_features={got}").format(layer=label(row.name, row.type), expected=expected, got=got,
                                                 shape=detail[0], source=detail[1])
    return _("{layer} expects {expected} input features but receives {got}: set in_features={got}").format(
        layer=label(row.name, row.type), expected=expected, got=got)


@rule("rf", "linear")
def linear_field(engine, row, field: rf.Field):
    in_shape, _unused = engine.shapes(row)
    if rf.positions(field, len(in_shape))[-1] == len(in_shape) - 1:
        return rf.Global("linear over a spatial axis")
    return rf.plain(field)


@rule("rf_tokens", "linear")
def linear_tokens(engine, row):
    return rf.global_if_flat(engine.shapes(row)[1])


@rule("explain", "linear")
def explain(row) -> list[str]:
    inputs = row.input_shapes[0] if row.input_shapes else []
    if not inputs:
        return []
    out = row.output_shape[-1] if row.output_shape and isinstance(row.output_shape[0], int) else "?"
    return [f"features: {inputs[-1]} in → {out} out (acts on the last axis)"]
