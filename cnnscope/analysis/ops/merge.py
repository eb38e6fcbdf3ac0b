"""Ops that combine several tensors: add, mul, cat, stack, ...  The field is the union of the
paths' fields; element-wise ops of other kinds given two data paths (``max(a, b)``,
``pow(a, b)``) combine them the same way.  A path that carries a broadcast global context
(squeeze-and-excitation's ``x * sigmoid(fc(pool(x)))``) gates the local path, which keeps its
field and says ``gated``."""

from __future__ import annotations

from dataclasses import replace

from cnnscope.analysis import field as rf
from cnnscope.analysis.calls import recorded_arg
from cnnscope.analysis.ops.registry import register_kind, rule
from cnnscope.report import Diagnostic

register_kind("merge", "combines several tensors: add, multiply, concatenate, stack, ...",
              functions=("add", "sub", "mul", "div", "true_divide", "cat", "concat", "concatenate", "stack",
                         "maximum", "minimum", "where", "addcmul", "addcdiv", "lerp", "rsub", "hstack", "vstack",
                         "copy"))  # copy_(dst, src): the written tensor holds both paths' values

_CATS = ("cat", "concat", "concatenate")


@rule("rf_merge", "merge")
def merged_field(engine, row, states):
    fields = [s for s in states if isinstance(s, rf.Field)]
    others = [s for s in states if s is not None and not isinstance(s, rf.Field)]
    if any(isinstance(s, rf.Untracked) for s in others):
        return next(s for s in others if isinstance(s, rf.Untracked))
    if any(isinstance(s, rf.Tokens) for s in others):
        return rf.Tokens()
    if not fields:
        return rf.Global()
    _, out_shape = engine.shapes(row)
    gated = False
    for state, shape in zip(states, row.input_shapes):
        if isinstance(state, rf.Global):
            sizes = rf.spatial_sizes(shape, fields[0]) if len(shape) == len(out_shape) else [1]
            if sizes is None or all(v == 1 for v in sizes):
                gated = True  # a broadcast context vector (squeeze-and-excitation gate)
            else:
                return rf.Global("merged with a global path")
    if row.type in _CATS:
        dim = recorded_arg(row.call_args, "dim", 1, 0)
        dim = dim - len(out_shape) if dim >= 0 else dim
        if dim in fields[0].axes:
            return engine.untracked(row, "concatenation along a spatial axis")
    union = _union(engine, row, fields)
    if not isinstance(union, rf.Field):  # paths with different numbers of spatial axes
        return union
    if row.type == "stack":  # a new axis at ``dim``: the spatial dims after it move one place
        dim = recorded_arg(row.call_args, "dim", 1, 0)
        out_ndim = len(out_shape)
        dim = dim % out_ndim
        moved = []
        for p in rf.positions(union, out_ndim - 1):
            moved.append((p if p < dim else p + 1) - out_ndim)
        union = replace(union, axes=tuple(moved))
    return replace(union, gated=gated or any(f.gated for f in fields))


def _union(engine, row, fields: list[rf.Field]) -> rf.Field:
    first = fields[0]
    if len(fields) == 1:
        return rf.plain(first)
    if any(len(f.size) != len(first.size) for f in fields):
        return engine.untracked(row, "paths with different numbers of spatial axes merge")
    size, start = [], []
    for a in range(len(first.size)):
        lo = min(f.start[a] for f in fields)
        hi = max(f.start[a] + f.size[a] for f in fields)
        start.append(lo)
        size.append(hi - lo)
    if any(f.jump != first.jump for f in fields):
        engine.diagnose(Diagnostic(
            "warning", "rf-misaligned",
            f"{row.name}: paths with different jumps merge ({', '.join(str(rf.fmt(f.jump)) for f in fields)}); "
            "the field is their union", layer=row.name))
    elif any(rf.centre(f) != rf.centre(first) for f in fields):
        engine.diagnose(Diagnostic(
            "warning", "rf-misaligned",
            f"{row.name}: merging paths' fields are not centred alike "
            f"(centres {', '.join(str(rf.fmt(rf.centre(f))) for f in fields)}); the field is their union",
            layer=row.name))
    sizes = ", ".join("×".join(str(rf.num(v)) for v in f.size) for f in fields)
    return rf.Field(tuple(size), first.jump, tuple(start), first.axes, False, f"union of {sizes}")
