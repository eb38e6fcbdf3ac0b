"""The errors and helpers of the checks made just before a layer runs.

PyTorch's own messages ("mat1 and mat2 shapes cannot be multiplied (1x1620 and 2000x500)")
do not say which layer failed or what to change; the per-kind ``check_module`` and
``check_function`` rules in ``analysis/ops`` do, with these helpers.
"""

from __future__ import annotations

from cnnscope.errors import ShapeError
from cnnscope.geometry import explain_window, window_output_size
from cnnscope.i18n import _


class TooSmallError(ShapeError):
    """A spatial size fell below 1 (the caller may search for the smallest input that fits)."""


class FeatureMismatchError(ShapeError):
    """A Linear receives a different number of features than it was built for."""

    def __init__(self, message: str, layer: str, expected: int, received: int):
        super().__init__(message, layer=layer)
        self.expected, self.received = expected, received


def label(name: str, type_name: str) -> str:
    if not name:
        return _("the model ({type})").format(type=type_name)
    if name.isdigit():
        return _("layer {name} ({type})").format(name=name, type=type_name)
    return f"{name} ({type_name})"


def shape_text(shape) -> str:
    return "×".join(str(s) for s in shape)


def check_window(name: str, type_name: str, x, attrs: dict) -> None:
    """Every output size of a window op (conv, pool) is at least 1, or TooSmallError."""
    kernel = attrs["kernel_size"]
    n = len(kernel)
    sizes = list(x.shape[-n:])
    for axis, size in enumerate(sizes):
        args = dict(kernel=kernel[axis], stride=attrs["stride"][axis], padding=attrs["padding"][axis],
                    dilation=attrs["dilation"][axis], ceil_mode=bool(attrs.get("ceil_mode", False)))
        if window_output_size(size, **args) < 1:
            axis_name = (_("height"), _("width"))[axis] if n == 2 else _("axis {axis}").format(axis=axis)
            raise TooSmallError(
                _("input too small: {name} receives {sizes}, so its output {axis_name} would be {size} < 1").format(
                    name=label(name, type_name), sizes=shape_text(sizes), axis_name=axis_name, size=explain_window(size, **args)), layer=name)
