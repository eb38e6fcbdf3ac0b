"""Anything no kind claims.  An op that keeps its input's spatial shape is taken to act
pointwise and named in an ``rf-assumed-pointwise`` diagnostic; any other is not tracked, with
an ``rf-untracked`` diagnostic.  Nothing unknown is ever silent."""

from __future__ import annotations

from cnnscope.analysis import field as rf
from cnnscope.analysis.ops.registry import register_kind, rule

register_kind("unknown", "not in the vocabulary: assumed pointwise when it keeps the spatial shape, else not tracked")


@rule("rf", "unknown")
def unknown_field(engine, row, field: rf.Field):
    in_shape, out_shape = engine.shapes(row)
    sizes_in, sizes_out = rf.spatial_sizes(in_shape, field), rf.spatial_sizes(out_shape, field)
    if sizes_in is not None and sizes_in == sizes_out and len(in_shape) == len(out_shape):
        engine.assume_pointwise(row)
        return rf.plain(field)
    return engine.untracked(row, f"{row.type} changes the spatial shape in an unknown way")
