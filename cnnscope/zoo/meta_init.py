"""Build a module with its parameters and buffers on the meta device.

The first choice is ``with torch.device("meta")``, which allocates nothing.  Some
constructors compute their configuration with tensors (torchvision's RegNet calls
``torch.arange(...).tolist()``), which cannot run on meta; for those, parameters and buffers
are moved to meta as they are registered, so only transient, uninitialised CPU memory is used.
The patch is installed once and is a no-op outside ``params_to_meta()`` in the current thread.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import torch
from torch import nn

_state = threading.local()
_installed = False


def _install() -> None:
    global _installed
    if _installed:
        return
    register_parameter = nn.Module.register_parameter
    register_buffer = nn.Module.register_buffer

    def meta_register_parameter(self, name, param):
        if param is not None and getattr(_state, "active", False) and param.device.type != "meta":
            param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
        return register_parameter(self, name, param)

    def meta_register_buffer(self, name, tensor, persistent=True):
        if tensor is not None and getattr(_state, "active", False) and tensor.device.type != "meta":
            tensor = tensor.to("meta")
        return register_buffer(self, name, tensor, persistent)

    nn.Module.register_parameter = meta_register_parameter
    nn.Module.register_buffer = meta_register_buffer
    _installed = True


@contextmanager
def params_to_meta():
    _install()
    _state.active = True
    try:
        yield
    finally:
        _state.active = False


def build_on(device, builder, **kwargs) -> nn.Module:
    """``builder(**kwargs)`` with tensors on ``device``; meta builds fall back as described above."""
    try:
        with torch.device(device):
            return builder(**kwargs)
    except (NotImplementedError, RuntimeError) as exc:
        if torch.device(device).type != "meta" or "meta" not in str(exc):
            raise
    with params_to_meta():
        return builder(**kwargs)
