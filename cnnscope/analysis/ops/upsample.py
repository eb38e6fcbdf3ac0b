"""Upsampling by a factor f: ``jump = j/f``; bilinear and bicubic reach one and three more input steps."""

from __future__ import annotations

from torch import nn

from cnnscope.analysis import field as rf
from cnnscope.analysis.calls import recorded_arg
from cnnscope.analysis.ops.registry import register_kind, rule
from cnnscope.report import Diagnostic

register_kind("upsample", "resizing by interpolation (nearest, bilinear, bicubic, ...)",
              modules=(nn.Upsample,), functions=("interpolate", "upsample", "upsample_nearest", "upsample_bilinear"))

_TAPS = {"nearest": 1, "nearest-exact": 1, "area": 1, "linear": 2, "bilinear": 2, "trilinear": 2, "bicubic": 4}


@rule("rf", "upsample")
def upsample_field(engine, row, field: rf.Field):
    in_shape, out_shape = engine.shapes(row)
    if row.module is not None:
        mode = row.module.mode
    elif row.type == "upsample_bilinear":
        mode = "bilinear"
    elif row.type == "upsample_nearest":
        mode = "nearest"
    else:
        mode = recorded_arg(row.call_args, "mode", 3, "nearest")
    sizes_in, sizes_out = rf.spatial_sizes(in_shape, field), rf.spatial_sizes(out_shape, field)
    if sizes_in is None or sizes_out is None:
        return engine.untracked(row, "upsampling over unexpected axes")
    taps = _TAPS.get(str(mode), 2)
    if taps == 1 and any(o > i for i, o in zip(sizes_in, sizes_out)):
        engine.diagnose(Diagnostic(
            "info", "rf-approximate", f"{row.name}: after nearest upsampling, neighbouring units share one field; "
            "the fractional jump is their average, so fields after it are approximate", layer=row.name))
    size = tuple(r + (taps - 1) * j for r, j in zip(field.size, field.jump))
    jump = tuple(j * i / o for j, i, o in zip(field.jump, sizes_in, sizes_out))
    return rf.Field(size, jump, field.start, field.axes, field.gated, f"upsampling ({mode})")
