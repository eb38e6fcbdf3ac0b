"""Where in the input image a unit looks: its receptive field as a box of input pixels.

A row's own geometry says exactly which positions of its input one unit reads (``reads``: per axis,
the first and last); the receptive field of the row that made that input (``analysis.receptive_field``:
size, jump and start in input pixels) turns them into input pixels.  Composing the two per unit keeps
it exact where a uniform field would not be: a transposed convolution's units read different numbers
of inputs depending on where they sit.
"""

from __future__ import annotations

import math


def compose(reads: list[tuple[int, int]] | None, producer: int, fields: dict, image: tuple[int, ...]):
    """(field before clipping, field clipped to the image, note).  ``reads``: per spatial axis, the
    first and last position of the row's input the unit reads (None: it reads none); ``producer``:
    the row that made that input (negative: the model input itself)."""
    if reads is None:
        return None, None, "this unit reads no input position (only the bias reaches it)"
    if producer < 0:
        size, jump, start = [1] * len(reads), [1] * len(reads), [0] * len(reads)
    else:
        rf = fields.get(producer)
        if rf is None:
            return None, None, "no receptive field is known for this row's input (see `cnnscope rf`)"
        if rf.is_global:
            box = [(0, n - 1) for n in image]
            return box, box, "this row's input already sees the whole image"
        if len(rf.size) != len(reads):
            return None, None, "the input's spatial axes do not match this row's"
        size, jump, start = rf.size, rf.jump, rf.start
    box = [(math.floor(s0 + lo * j), math.ceil(s0 + hi * j + r - 1))
           for (lo, hi), r, j, s0 in zip(reads, size, jump, start)]
    return box, clip(box, image), ""


def clip(box: list[tuple[int, int]], image: tuple[int, ...]):
    """``box`` inside 0..n−1 on each axis; None when it lies wholly outside."""
    clipped = [(max(lo, 0), min(hi, n - 1)) for (lo, hi), n in zip(box, image)]
    return None if any(lo > hi for lo, hi in clipped) else clipped
