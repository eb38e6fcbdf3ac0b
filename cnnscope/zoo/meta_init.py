"""Build a module with its parameters and buffers on the meta device.

The first choice is ``with torch.device("meta")``, which allocates nothing.  Some
constructors compute their configuration with tensors (torchvision's RegNet calls
``torch.arange(...).tolist()``), which cannot run on meta; for those, parameters and buffers
are moved to meta as they are registered, so only transient, uninitialised CPU memory is used.

That second way patches ``nn.Module.register_parameter`` and ``nn.Module.register_buffer``,
but only inside ``with params_to_meta():``: the originals are put back in ``finally``, also when
the build raises.  While the patch is in place it acts only in the threads that entered the
block; a module built meanwhile in another thread is built as usual.  Nested and concurrent
blocks share one installation (a counter under a lock), so the last one out restores the
originals, never a patched function (``zoo/scoped_patch.py``, shared with ``skip_weight_loading``).
"""

from __future__ import annotations

import torch
from torch import nn

from cnnscope.zoo.scoped_patch import ScopedPatch


def _meta_registration(register_parameter, register_buffer):
    def meta_register_parameter(self, name, param):
        if param is not None and _patch.active() and param.device.type != "meta":
            param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
        return register_parameter(self, name, param)

    def meta_register_buffer(self, name, tensor, persistent=True):
        if tensor is not None and _patch.active() and tensor.device.type != "meta":
            tensor = tensor.to("meta")
        return register_buffer(self, name, tensor, persistent)

    return meta_register_parameter, meta_register_buffer


_patch = ScopedPatch(lambda: [(nn.Module, "register_parameter"), (nn.Module, "register_buffer")],
                     _meta_registration)


def params_to_meta():
    """Within the block (and this thread), parameters and buffers move to meta as modules register them."""
    return _patch()


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
