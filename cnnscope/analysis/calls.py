"""Arguments of a traced call, kept without tensors, and read back by name or position."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class TensorArg:
    """A tensor argument, remembered by its shape only."""

    shape: tuple


_KEPT = frozenset({int, float, bool, str, slice, type(None), type(Ellipsis)})


def sanitize(value):
    """Arguments without tensors (so the trace keeps no activations alive)."""
    kind = type(value)
    if kind in _KEPT:  # most arguments: checked first, by exact type (this runs for every functional row)
        return value
    if isinstance(value, torch.Tensor):
        return TensorArg(tuple(value.shape))
    if kind is tuple or kind is list:
        return kind(sanitize(v) for v in value)
    if isinstance(value, (list, tuple)):
        return type(value)(sanitize(v) for v in value) if not hasattr(value, "_fields") else tuple(sanitize(v) for v in value)
    if isinstance(value, dict):
        return {k: sanitize(v) for k, v in value.items()}
    if isinstance(value, (int, float, bool, str, slice, type(None), type(Ellipsis))):
        return value
    return repr(value)


def arg(args, kwargs, position: int, name: str, default):
    """A live call's argument by keyword or position (``F.conv2d(x, w, b, stride, ...)``)."""
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else default


def recorded_arg(call_args, name: str, position: int, default):
    """A recorded (sanitised) call's non-tensor argument; tensors in that slot give ``default``."""
    args, kwargs = call_args if call_args else ((), {})
    if name in kwargs:
        return kwargs[name]
    if len(args) > position and not isinstance(args[position], TensorArg):
        return args[position]
    return default
