"""Transposed convolutions (stride s): ``jump = j/s``, ``size = r + (⌈(d·(k−1)+1)/s⌉−1)·j``."""

from __future__ import annotations

import math

from torch import nn
from torch.nn.modules.conv import _ConvTransposeNd

from cnnscope.analysis import field as rf
from cnnscope.analysis.calls import arg
from cnnscope.analysis.ops.registry import register_kind, rule
from cnnscope.analysis.ops.window import check_channels
from cnnscope.geometry import as_list, transposed_output_size

register_kind("transposed_conv", "transposed convolution: upsamples by its stride",
              modules=(_ConvTransposeNd,), functions=("conv_transpose1d", "conv_transpose2d", "conv_transpose3d"))


@rule("module_attrs", "transposed_conv")
def attrs(module: nn.Module) -> dict:
    return {"kernel_size": list(module.kernel_size), "stride": list(module.stride),
            "dilation": list(module.dilation), "padding": as_list(module.padding, len(module.kernel_size)),
            "groups": module.groups}


@rule("function_attrs", "transposed_conv")
def call_attrs(name: str, args, kwargs) -> dict:
    # conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation)
    kernel = list(arg(args, kwargs, 1, "weight", None).shape[2:])
    n = len(kernel)
    return {"kernel_size": kernel, "stride": as_list(arg(args, kwargs, 3, "stride", 1), n),
            "padding": as_list(arg(args, kwargs, 4, "padding", 0), n),
            "groups": int(arg(args, kwargs, 6, "groups", 1)), "dilation": as_list(arg(args, kwargs, 7, "dilation", 1), n)}


@rule("check_module", "transposed_conv")
def check(tracer, row, module, tensors) -> None:
    check_channels(row, module, tensors[0])


@rule("rf", "transposed_conv")
def transposed_field(engine, row, field: rf.Field):
    a_ = row.attrs
    if len(a_["kernel_size"]) != len(field.size):
        return engine.untracked(row, f"a {len(a_['kernel_size'])}-D transposed window on a {len(field.size)}-D field")
    size, jump, start = [], [], []
    for a in range(len(field.size)):
        r, j, st = field.size[a], field.jump[a], field.start[a]
        k, s, p, d = a_["kernel_size"][a], a_["stride"][a], a_["padding"][a], a_["dilation"][a]
        taps = math.ceil((d * (k - 1) + 1) / s)  # inputs one output unit can draw from
        size.append(r + (taps - 1) * j)
        jump.append(j / s)
        start.append(st + math.ceil((p - d * (k - 1)) / s) * j)
    note = f"transposed: j = j_in/{a_['stride'][0]}, r = r_in + (⌈(d·(k−1)+1)/s⌉−1)·j_in"
    return rf.Field(tuple(size), tuple(jump), tuple(start), field.axes, field.gated, note)


@rule("explain", "transposed_conv")
def explain(row) -> list[str]:
    """``out = (in − 1)·s − 2p + d·(k−1) + output_padding + 1`` per axis (output_padding read off the shapes)."""
    inputs = row.input_shapes[0] if row.input_shapes else []
    out = row.output_shape if row.output_shape and isinstance(row.output_shape[0], int) else []
    if not row.kernel_size or not inputs or not out:
        return []
    n = len(row.kernel_size)
    axes = ("height", "width") if n == 2 else tuple(f"axis {k}" for k in range(n))
    lines = []
    for k in range(n):
        size, s, p, d, kk = inputs[-n + k], row.stride[k], row.padding[k], (row.dilation or [1] * n)[k], row.kernel_size[k]
        extra = out[-n + k] - transposed_output_size(size, kk, s, p, d)
        lines.append(f"{axes[k]}: ({size}−1)·{s} − 2·{p} + {d}·({kk}−1) + {extra} + 1 = {out[-n + k]}")
    lines.append(f"channels: {inputs[1]} in → {out[1]} out")
    return lines
