"""Padding (``F.pad``, ``nn.ZeroPad2d``, reflection, replication, circular): the field keeps
its size and jump; the first unit now starts ``pad·j`` earlier."""

from __future__ import annotations

from dataclasses import replace

from torch.nn.modules.padding import _CircularPadNd, _ConstantPadNd, _ReflectionPadNd, _ReplicationPadNd

from cnnscope.analysis import field as rf
from cnnscope.analysis.calls import recorded_arg
from cnnscope.analysis.ops.registry import register_kind, rule

register_kind("pad", "padding: widens the spatial axes, shifting where the first unit starts",
              modules=(_ConstantPadNd, _ReflectionPadNd, _ReplicationPadNd, _CircularPadNd), functions=("pad",))


@rule("rf", "pad")
def padded_field(engine, row, field: rf.Field):
    pads = tuple(row.module.padding) if row.module is not None else recorded_arg(row.call_args, "pad", 1, ())
    start = list(field.start)
    for a, axis in enumerate(field.axes):
        k = 2 * (-axis - 1)  # pads list (left, right) pairs from the last dim backwards
        if k < len(pads):
            start[a] = start[a] - pads[k] * field.jump[a]
    return replace(field, start=tuple(start), note="padding shifts the start")
