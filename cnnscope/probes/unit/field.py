"""Where in the input image a unit looks: its receptive field as a box of input pixels.

A row's own geometry says exactly which positions of its input one unit reads (``reads``: per axis,
the first and last).  From there the box is walked back row by row to the model's input with each
row's exact geometry (convolutions, pools, transposed convolutions, element-wise rows and merges,
the union over every input of a merge), so it stays exact per unit where a uniform field would not:
a transposed convolution's units read different numbers of inputs depending on where they sit.  A row
whose geometry is not known here (upsampling, attention ...) hands over to its receptive field from
``analysis.receptive_field`` (size, jump and start in input pixels).
"""

from __future__ import annotations

import math

from cnnscope.i18n import _


def compose(reads: list[tuple[int, int]] | None, producer: int, fields: dict, image: tuple[int, ...],
            rows=None):
    """(field before clipping, field clipped to the image, note).  ``reads``: per spatial axis, the
    first and last position of the row's input the unit reads (None: it reads none); ``producer``:
    the row that made that input (negative: the model input itself); ``rows``: the trace's rows, to
    walk back through exactly (without them, the producer's uniform receptive field is used)."""
    if reads is None:
        return None, None, _("this unit reads no input position (only the bias reaches it)")
    if rows is not None:
        walked = _walk_back(rows, fields, producer, tuple(map(tuple, reads)), image, {})
        if walked is GLOBAL:
            box = [(0, n - 1) for n in image]
            return box, box, _("this row's input already sees the whole image")
        if walked is EMPTY:
            return None, None, _("no input pixel reaches this unit (a transposed convolution before it leaves gaps)")
        if walked is not None:
            return list(walked), clip(list(walked), image), ""
    if producer < 0:
        size, jump, start = [1] * len(reads), [1] * len(reads), [0] * len(reads)
    else:
        rf = fields.get(producer)
        if rf is None:
            return None, None, _("no receptive field is known for this row's input (see `cnnscope rf`)")
        if rf.is_global:
            box = [(0, n - 1) for n in image]
            return box, box, _("this row's input already sees the whole image")
        if len(rf.size) != len(reads):
            return None, None, _("the input's spatial axes do not match this row's")
        size, jump, start = rf.size, rf.jump, rf.start
    box = [(math.floor(s0 + lo * j), math.ceil(s0 + hi * j + r - 1))
           for (lo, hi), r, j, s0 in zip(reads, size, jump, start)]
    return box, clip(box, image), ""


def clip(box: list[tuple[int, int]], image: tuple[int, ...]):
    """``box`` inside 0..n−1 on each axis; None when it lies wholly outside."""
    clipped = [(max(lo, 0), min(hi, n - 1)) for (lo, hi), n in zip(box, image)]
    return None if any(lo > hi for lo, hi in clipped) else clipped


GLOBAL = "global"
EMPTY = "empty"  # a transposed convolution's output cells no input lands on
_SAME_PLACE = ("pointwise", "merge")


def _walk_back(rows, fields, index: int, box: tuple, image, memo: dict):
    """``box`` (per axis, first and last position) on the output of row ``index``, as input pixels:
    a tuple of (lo, hi), GLOBAL, or None where nothing can be said."""
    if index < 0:
        return box
    key = (index, box)
    if key not in memo:
        memo[key] = _walk_row(rows, fields, rows[index], box, image, memo)
    return memo[key]


def _walk_row(rows, fields, row, box, image, memo):
    n = len(box)
    shape = row.output_shape if row.output_shape and isinstance(row.output_shape[0], int) else None
    ins = [s for s in row.input_shapes if len(s) == n + 2]
    geometry = row.attrs or {}
    if row.op_kind in ("conv", "pool") and geometry.get("kernel_size") and len(geometry["kernel_size"]) == n:
        k, s, p = geometry["kernel_size"], geometry.get("stride") or [1] * n, geometry.get("padding") or [0] * n
        d = geometry.get("dilation") or [1] * n
        inner = tuple((lo * s[a] - p[a], hi * s[a] - p[a] + d[a] * (k[a] - 1)) for a, (lo, hi) in enumerate(box))
        return _through_inputs(rows, fields, row, inner, image, memo, first_only=True)
    if row.op_kind == "transposed_conv" and geometry.get("kernel_size") and ins and shape:
        k, s = geometry["kernel_size"], geometry.get("stride") or [1] * n
        p, d = geometry.get("padding") or [0] * n, geometry.get("dilation") or [1] * n
        inner = []
        for a, (lo, hi) in enumerate(box):
            lo, hi = max(lo, 0), min(hi, shape[2 + a] - 1)  # outputs past the edge read nothing
            hits = [(o + p[a] - t * d[a]) // s[a] for o in range(lo, hi + 1) for t in range(k[a])
                    if (o + p[a] - t * d[a]) % s[a] == 0 and 0 <= (o + p[a] - t * d[a]) // s[a] < ins[0][2 + a]]
            if not hits:
                return EMPTY
            inner.append((min(hits), max(hits)))
        return _through_inputs(rows, fields, row, tuple(inner), image, memo, first_only=True)
    if row.op_kind in _SAME_PLACE and shape and ins and all(list(i[2:]) == list(shape[2:]) for i in ins):
        return _through_inputs(rows, fields, row, box, image, memo, first_only=False)
    return _affine(fields.get(row.index), box, image)


def _through_inputs(rows, fields, row, box, image, memo, first_only: bool):
    sources = row.inputs[:1] if first_only else row.inputs
    if not sources:
        return None
    found = [_walk_back(rows, fields, source, box, image, memo) for source in sources]
    if any(f is None for f in found):
        return None
    if any(f is GLOBAL for f in found):
        return GLOBAL
    found = [f for f in found if f is not EMPTY]  # a merge: the inputs that do reach the unit
    if not found:
        return EMPTY
    return tuple((min(f[a][0] for f in found), max(f[a][1] for f in found)) for a in range(len(box)))


def _affine(rf, box, image):
    """The box through a row's uniform receptive field (where its geometry is not walked)."""
    if rf is None:
        return None
    if rf.is_global:
        return GLOBAL
    if len(rf.size) != len(box):
        return None
    return tuple((math.floor(s0 + lo * j), math.ceil(s0 + hi * j + r - 1))
                 for (lo, hi), r, j, s0 in zip(box, rf.size, rf.jump, rf.start))
