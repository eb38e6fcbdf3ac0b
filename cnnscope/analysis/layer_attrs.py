"""Geometry of a layer (kernel, stride, padding, dilation, groups, ceil_mode) as plain lists.

One list entry per spatial axis, so non-square kernels and 1-D/3-D layers read the same way.
Used by the table, the shape arithmetic and receptive fields.
"""

from __future__ import annotations

from torch import nn

from cnnscope.geometry import as_list, conv_padding

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
_MAX_POOL = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
_AVG_POOL = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)


def module_attrs(module: nn.Module) -> dict:
    if isinstance(module, _CONV):
        kernel = list(module.kernel_size)
        dilation = list(module.dilation)
        return {
            "kernel_size": kernel, "stride": list(module.stride), "dilation": dilation,
            "padding": conv_padding(module.padding, kernel, dilation), "groups": module.groups,
        }
    if isinstance(module, _MAX_POOL + _AVG_POOL):
        n = 1 if "1d" in type(module).__name__ else 3 if "3d" in type(module).__name__ else 2
        kernel = as_list(module.kernel_size, n)
        stride = as_list(module.stride if module.stride is not None else module.kernel_size, n)
        dilation = as_list(getattr(module, "dilation", 1), n)
        return {
            "kernel_size": kernel, "stride": stride, "padding": as_list(module.padding, n),
            "dilation": dilation, "ceil_mode": bool(module.ceil_mode),
        }
    return {}


def _arg(args, kwargs, position: int, name: str, default):
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else default


def function_attrs(name: str, args, kwargs) -> dict:
    """Geometry of ``F.conv*d`` / ``F.*_pool*d`` calls from their arguments."""
    if name in ("conv1d", "conv2d", "conv3d"):
        weight = _arg(args, kwargs, 1, "weight", None)
        kernel = list(weight.shape[2:])
        n = len(kernel)
        dilation = as_list(_arg(args, kwargs, 5, "dilation", 1), n)
        return {
            "kernel_size": kernel, "stride": as_list(_arg(args, kwargs, 3, "stride", 1), n),
            "padding": conv_padding(_arg(args, kwargs, 4, "padding", 0), kernel, dilation),
            "dilation": dilation, "groups": int(_arg(args, kwargs, 6, "groups", 1)),
        }
    if name in ("max_pool1d", "max_pool2d", "max_pool3d", "max_pool2d_with_indices"):
        n = 1 if "1d" in name else 3 if "3d" in name else 2
        kernel = as_list(_arg(args, kwargs, 1, "kernel_size", 1), n)
        stride = _arg(args, kwargs, 2, "stride", None)
        return {
            "kernel_size": kernel, "stride": as_list(stride, n) if stride not in (None, []) else kernel,
            "padding": as_list(_arg(args, kwargs, 3, "padding", 0), n),
            "dilation": as_list(_arg(args, kwargs, 4, "dilation", 1), n),
            "ceil_mode": bool(_arg(args, kwargs, 5, "ceil_mode", False)),
        }
    if name in ("avg_pool1d", "avg_pool2d", "avg_pool3d"):
        n = 1 if "1d" in name else 3 if "3d" in name else 2
        kernel = as_list(_arg(args, kwargs, 1, "kernel_size", 1), n)
        stride = _arg(args, kwargs, 2, "stride", None)
        return {
            "kernel_size": kernel, "stride": as_list(stride, n) if stride not in (None, []) else kernel,
            "padding": as_list(_arg(args, kwargs, 3, "padding", 0), n), "dilation": [1] * n,
            "ceil_mode": bool(_arg(args, kwargs, 4, "ceil_mode", False)),
        }
    return {}
