"""Adaptive pooling: output ``o`` from input ``i`` with windows ``[floor(u·i/o), ceil((u+1)·i/o))``;
an output of 1 per axis is global pooling."""

from __future__ import annotations

import math

from torch.nn.modules.pooling import _AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd

from cnnscope.analysis import field as rf
from cnnscope.analysis.ops.registry import register_kind, rule
from cnnscope.report import Diagnostic

register_kind("adaptive_pool", "adaptive pooling to a fixed output size (1×1: global pooling)",
              modules=(_AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd),
              functions=("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
                         "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
                         "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
                         "adaptive_max_pool3d_with_indices"))


@rule("rf", "adaptive_pool")
def adaptive_field(engine, row, field: rf.Field):
    in_shape, out_shape = engine.shapes(row)
    sizes_in, sizes_out = rf.spatial_sizes(in_shape, field), rf.spatial_sizes(out_shape, field)
    if sizes_in is None or sizes_out is None:
        return engine.untracked(row, "adaptive pooling over unexpected axes")
    if all(o == 1 for o in sizes_out):
        return rf.Global("global pooling")
    size, jump = [], []
    for a, (i, o) in enumerate(zip(sizes_in, sizes_out)):
        widest = max(math.ceil((u + 1) * i / o) - (u * i) // o for u in range(o))
        size.append(field.size[a] + (widest - 1) * field.jump[a])
        jump.append(field.jump[a] * i / o)
    if any(i % o for i, o in zip(sizes_in, sizes_out)):
        engine.diagnose(Diagnostic("info", "rf-approximate",
                                   f"{row.name}: adaptive pooling {sizes_in}→{sizes_out} has uneven windows; "
                                   "the field is the widest", layer=row.name))
    return rf.Field(tuple(size), tuple(jump), field.start, field.axes, field.gated, "adaptive pooling")


@rule("rf_tokens", "adaptive_pool")
def pooled_tokens(engine, row):
    """Pooling every token to one value sees every position; to a grid, the tokens stay folded."""
    in_shape, out_shape = engine.shapes(row)
    pooled = out_shape[2:] if len(out_shape) == len(in_shape) else []
    return rf.Global("pooling over the spatial tokens") if pooled and all(v == 1 for v in pooled) else rf.Tokens()
