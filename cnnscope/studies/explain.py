"""Why a row has the shape it has: the arithmetic written out (used by the app and docs).

Each op kind registers its own ``explain`` rule in ``analysis/ops``; rows of other kinds say
how the shape changed, or that it did not.
"""

from __future__ import annotations

from cnnscope.analysis import ops
from cnnscope.report import LayerRecord


def shape_arithmetic(row: LayerRecord) -> list[str]:
    """One line per spatial axis for window ops; a line for linear, reshape and other rows."""
    explain = ops.get_rule("explain", row.op_kind) or ops.get_rule("explain", "reshape")
    return explain(row) or ops.get_rule("explain", "reshape")(row)
