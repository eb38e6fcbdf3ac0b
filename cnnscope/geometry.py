"""Window arithmetic, torch-free: output sizes of convolution and pooling with the working shown,
and per-axis normalisation of kernel/stride/padding arguments (shared by ``spec/`` and ``analysis/``).

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


def as_list(value, n: int) -> list:
    if isinstance(value, (tuple, list)):
        return [int(v) for v in value] if len(value) == n else [int(value[0])] * n
    return [int(value)] * n


def conv_padding(padding, kernel: list[int], dilation: list[int]) -> list[int]:
    """Numeric padding before the first element; resolves ``'same'``/``'valid'``."""
    if padding == "valid":
        return [0] * len(kernel)
    if padding == "same":
        return [d * (k - 1) // 2 for k, d in zip(kernel, dilation)]
    return as_list(padding, len(kernel))
