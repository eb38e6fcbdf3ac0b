"""Convolutions and pooling windows: ``out = floor((in + 2p − d(k−1) − 1)/s) + 1`` per axis,
and the receptive-field recurrence ``r' = r + (k−1)·d·j``, ``j' = j·s``, ``start' = start − p·j``."""

from __future__ import annotations

from torch import nn
from torch.nn.modules.conv import _ConvNd
from torch.nn.modules.pooling import _AvgPoolNd, _LPPoolNd, _MaxPoolNd

from cnnscope.analysis import field as rf
from cnnscope.analysis.calls import arg
from cnnscope.analysis.ops.registry import register_kind, rule
from cnnscope.analysis.preflight import ShapeError, check_window, label, shape_text
from cnnscope.geometry import as_list, conv_padding, explain_window
from cnnscope.i18n import _

register_kind("conv", "convolution: a learned window slid over the spatial axes",
              modules=(_ConvNd,), functions=("conv1d", "conv2d", "conv3d"))
register_kind("pool", "pooling window: max, average or power-average over a window",
              modules=(_MaxPoolNd, _AvgPoolNd, _LPPoolNd),
              functions=("max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
                         "max_pool2d_with_indices", "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d",
                         "avg_pool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d"))


def _dims(type_or_name: str) -> int:
    return 1 if "1d" in type_or_name else 3 if "3d" in type_or_name else 2


@rule("module_attrs", "conv")
def conv_attrs(module: nn.Module) -> dict:
    kernel, dilation = list(module.kernel_size), list(module.dilation)
    return {"kernel_size": kernel, "stride": list(module.stride), "dilation": dilation,
            "padding": conv_padding(module.padding, kernel, dilation), "groups": module.groups}


@rule("module_attrs", "pool")
def pool_attrs(module: nn.Module) -> dict:
    n = _dims(type(module).__name__)
    kernel = as_list(module.kernel_size, n)
    return {"kernel_size": kernel, "stride": as_list(module.stride if module.stride is not None else kernel, n),
            "padding": as_list(getattr(module, "padding", 0), n), "dilation": as_list(getattr(module, "dilation", 1), n),
            "ceil_mode": bool(module.ceil_mode)}


@rule("function_attrs", "conv")
def conv_call_attrs(name: str, args, kwargs) -> dict:
    weight = arg(args, kwargs, 1, "weight", None)
    kernel = list(weight.shape[2:])
    n = len(kernel)
    dilation = as_list(arg(args, kwargs, 5, "dilation", 1), n)
    return {"kernel_size": kernel, "stride": as_list(arg(args, kwargs, 3, "stride", 1), n),
            "padding": conv_padding(arg(args, kwargs, 4, "padding", 0), kernel, dilation),
            "dilation": dilation, "groups": int(arg(args, kwargs, 6, "groups", 1))}


@rule("function_attrs", "pool")
def pool_call_attrs(name: str, args, kwargs) -> dict:
    n = _dims(name)
    if name.startswith("lp_pool"):  # lp_pool2d(input, norm_type, kernel_size, stride, ceil_mode)
        kernel = as_list(arg(args, kwargs, 2, "kernel_size", 1), n)
        stride = arg(args, kwargs, 3, "stride", None)
        padding, dilation, ceil = [0] * n, [1] * n, arg(args, kwargs, 4, "ceil_mode", False)
    else:
        kernel = as_list(arg(args, kwargs, 1, "kernel_size", 1), n)
        stride = arg(args, kwargs, 2, "stride", None)
        padding = as_list(arg(args, kwargs, 3, "padding", 0), n)
        if name.startswith("max_pool"):
            dilation, ceil = as_list(arg(args, kwargs, 4, "dilation", 1), n), arg(args, kwargs, 5, "ceil_mode", False)
        else:
            dilation, ceil = [1] * n, arg(args, kwargs, 4, "ceil_mode", False)
    return {"kernel_size": kernel, "stride": as_list(stride, n) if stride not in (None, []) else kernel,
            "padding": padding, "dilation": dilation, "ceil_mode": bool(ceil)}


def check_channels(row, module, x) -> None:
    """A convolution's input has the channels (and rank) it was built for."""
    spatial = len(module.kernel_size)
    if x.dim() not in (spatial + 1, spatial + 2):
        raise ShapeError(_("{name} expects a {spatial}-D input (N, C, spatial...) but receives shape {shape}").format(
                             name=label(row.name, row.type), spatial=spatial + 2, shape=shape_text(x.shape)), layer=row.name)
    axis = 0 if x.dim() == spatial + 1 else 1
    if x.shape[axis] != module.in_channels:
        raise ShapeError(_("{name} expects {in_channels} input channels but receives {shape} (input {shape2})").format(
                             name=label(row.name, row.type), in_channels=module.in_channels, shape=x.shape[axis], shape2=shape_text(x.shape)), layer=row.name)


@rule("check_module", "conv")
def check_conv(tracer, row, module, tensors) -> None:
    check_channels(row, module, tensors[0])
    check_window(row.name, row.type, tensors[0], row.attrs)


@rule("check_module", "pool")
def check_pool(tracer, row, module, tensors) -> None:
    check_window(row.name, row.type, tensors[0], row.attrs)


@rule("check_function", "conv", "pool")
def check_call(name: str, function: str, attrs: dict, call, tensors) -> None:
    check_window(name, function, tensors[0], attrs)


@rule("rf", "conv", "pool")
def window_field(engine, row, field: rf.Field):
    attrs = row.attrs
    kernel = attrs["kernel_size"]
    if len(kernel) != len(field.size):
        return engine.untracked(row, f"a {len(kernel)}-D window on a {len(field.size)}-D field")
    return rf.window(field, kernel, attrs["stride"], attrs["padding"], attrs.get("dilation") or [1] * len(kernel))


@rule("explain", "conv", "pool")
def explain(row) -> list[str]:
    inputs = row.input_shapes[0] if row.input_shapes else []
    if not row.kernel_size or not inputs:
        return []
    n = len(row.kernel_size)
    axes = ("height", "width") if n == 2 else tuple(f"axis {k}" for k in range(n))
    lines = [f"{axes[k]}: " + explain_window(inputs[-n + k], row.kernel_size[k], row.stride[k], row.padding[k],
                                             (row.dilation or [1] * n)[k], bool(row.ceil_mode)) for k in range(n)]
    if row.op_kind == "conv" and row.output_shape and isinstance(row.output_shape[0], int):
        lines.append(f"channels: {inputs[1]} in → {row.output_shape[1]} out"
                     + (f" in {row.groups} groups" if row.groups and row.groups > 1 else ""))
    return lines
