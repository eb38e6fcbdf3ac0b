"""Output-size arithmetic of convolution and pooling, with the working shown.

``out = floor((in + 2*pad - dil*(k-1) - 1) / stride) + 1`` (ceil with ``ceil_mode``; PyTorch
then drops a last window that would start inside the right padding).
"""

from __future__ import annotations

import math


def window_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                       ceil_mode: bool = False) -> int:
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def explain_window(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                   ceil_mode: bool = False) -> str:
    """``floor((224 + 2·1 − 1·(3−1) − 1) / 1) + 1 = 224``"""
    rounding = "ceil" if ceil_mode else "floor"
    out = window_output_size(size, kernel, stride, padding, dilation, ceil_mode)
    return (f"{rounding}(({size} + 2·{padding} − {dilation}·({kernel}−1) − 1) / {stride}) + 1 = {out}")


def transposed_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                           output_padding: int = 0) -> int:
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
