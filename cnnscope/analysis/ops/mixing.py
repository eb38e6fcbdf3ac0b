"""Ops that mix positions in ways the engine does not follow (cyclic shifts for shifted-window
attention, matrix products over arbitrary axes): the field is reported as not tracked, with
the reason, rather than guessed."""

from __future__ import annotations

from cnnscope.analysis.ops.registry import register_kind, rule

register_kind("mixing", "mixes positions in a way the receptive field is not followed through",
              functions=("roll", "matmul", "bmm", "einsum", "mm", "baddbmm", "addmm", "addbmm", "flip",
                         "rot90", "grid_sample", "affine_grid", "gather", "index_select", "take_along_dim"))


@rule("rf", "mixing")
def mixed_field(engine, row, field):
    reason = ("roll shifts positions cyclically (shifted windows)" if row.type == "roll"
              else f"{row.type} mixes positions in a way the engine does not follow")
    return engine.untracked(row, reason)
