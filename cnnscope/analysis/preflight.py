"""Checks made just before a layer runs, so that a bad input shape fails with a useful line.

PyTorch's own messages ("mat1 and mat2 shapes cannot be multiplied (1x1620 and 2000x500)")
do not say which layer failed or what to change; these do.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

from torch import nn

from cnnscope.analysis.layer_attrs import function_attrs
from cnnscope.geometry import explain_window, window_output_size
from cnnscope.errors import ShapeError

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
_POOL = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
_NORM = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


class TooSmallError(ShapeError):
    """A spatial size fell below 1 (the caller may search for the smallest input that fits)."""


class FeatureMismatchError(ShapeError):
    """A Linear receives a different number of features than it was built for."""

    def __init__(self, message: str, layer: str, expected: int, received: int):
        super().__init__(message, layer=layer)
        self.expected, self.received = expected, received


def _label(row) -> str:
    if not row.name:
        return f"the model ({row.type})"
    return f"{'layer ' if row.name.isdigit() else ''}{row.name} ({row.type})"


def _shape(shape) -> str:
    return "×".join(str(s) for s in shape)


def _channel_axis(x, spatial_dims: int) -> int:
    return 0 if x.dim() == spatial_dims + 1 else 1


def _check_window(row, x, attrs: dict) -> None:
    kernel = attrs["kernel_size"]
    n = len(kernel)
    sizes = list(x.shape[-n:])
    for axis, size in enumerate(sizes):
        args = dict(kernel=kernel[axis], stride=attrs["stride"][axis], padding=attrs["padding"][axis],
                    dilation=attrs["dilation"][axis], ceil_mode=bool(attrs.get("ceil_mode", False)))
        if window_output_size(size, **args) < 1:
            axis_name = ("height", "width")[axis] if n == 2 else f"axis {axis}"
            raise TooSmallError(
                f"input too small: {_label(row)} receives {_shape(sizes)}, so its output {axis_name} "
                f"would be {explain_window(size, **args)} < 1", layer=row.name)


def check_module_call(tracer, row, module: nn.Module, tensors) -> None:
    if not tensors:
        return
    x = tensors[0]
    if isinstance(module, _CONV + _TRANSPOSED):
        spatial = len(module.kernel_size)
        axis = _channel_axis(x, spatial)
        if x.dim() not in (spatial + 1, spatial + 2):
            raise ShapeError(f"{_label(row)} expects a {spatial + 2}-D input (N, C, spatial...) but receives "
                             f"shape {_shape(x.shape)}", layer=row.name)
        if x.shape[axis] != module.in_channels:
            raise ShapeError(
                f"{_label(row)} expects {module.in_channels} input channels but receives {x.shape[axis]} "
                f"(input {_shape(x.shape)})", layer=row.name)
        if isinstance(module, _CONV):
            _check_window(row, x, row.attrs)
    elif isinstance(module, _POOL):
        _check_window(row, x, row.attrs)
    elif isinstance(module, nn.Linear):
        if x.shape[-1] != module.in_features:
            raise FeatureMismatchError(_linear_message(tracer, row, module.in_features, x), row.name,
                                       module.in_features, int(x.shape[-1]))
    elif isinstance(module, _NORM):
        dims = {nn.BatchNorm1d: (2, 3), nn.BatchNorm2d: (4,), nn.BatchNorm3d: (5,)}[type(module)] \
            if type(module) in (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d) else None
        if dims and x.dim() not in dims:
            raise ShapeError(f"{_label(row)} expects a {' or '.join(f'{d}-D' for d in dims)} input but receives "
                             f"{_shape(x.shape)}; is the batch dimension missing?", layer=row.name)
        if module.num_features != x.shape[1 if x.dim() > 1 else 0]:
            raise ShapeError(f"{_label(row)} expects {module.num_features} channels but receives "
                             f"{x.shape[1]} (input {_shape(x.shape)})", layer=row.name)


def _linear_message(tracer, row, expected: int, x) -> str:
    got = x.shape[-1]
    detail = ""
    sources = tracer.sources([x])
    if sources and sources[0] >= 0:
        flattened = tracer.rows[sources[0]]
        if flattened.input_shapes and len(flattened.input_shapes[0]) > 2:
            before = flattened.input_shapes[0][1:]
            if math.prod(before) == got:
                detail = f" ({_shape(before)} from {flattened.name or flattened.type})"
    return (f"{_label(row)} expects {expected} input features but receives {got}{detail}: "
            f"set in_features={got}")


def check_function_call(tracer, parent, name: str, func, args, kwargs, tensors) -> None:
    """Functional windows get the same size check as their module forms."""
    attrs = function_attrs(name, args, kwargs)
    if attrs and tensors:
        label = f"{parent.name}.{name}" if parent.name else name
        _check_window(SimpleNamespace(name=label, type=name), tensors[0], attrs)
