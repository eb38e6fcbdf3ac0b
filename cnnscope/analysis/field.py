"""The receptive-field algebra the per-kind rules share: field states and axis tracking.

A row's state is one of:

* ``Field``: a local field per tracked spatial axis (``size``, ``jump``, ``start``), with the
  tensor dims that hold those axes (negative, so leading dims may come and go);
* ``Global``: every unit sees the whole input;
* ``Tokens``: the spatial axes were folded into one token axis; attention or pooling over it
  makes the field global, anything else keeps it folded;
* ``Untracked``: the engine cannot follow the axes from here on (a diagnostic says why).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Field:
    size: tuple
    jump: tuple
    start: tuple
    axes: tuple  # negative tensor dims holding the spatial axes, e.g. (-2, -1) for NCHW
    gated: bool = False
    note: str = ""  # the recurrence, written out for students


@dataclass(frozen=True)
class Global:
    note: str = ""


@dataclass(frozen=True)
class Tokens:
    """Spatial axes folded into a token axis: attention over it makes the field global."""

    note: str = ""


def global_if_flat(out_shape) -> Global | Tokens:
    """The token state after a linear or reshape over tokens: a flat (batch, features) output has
    mixed every token (global); a longer one still holds tokens."""
    return Global() if len(out_shape) <= 2 else Tokens()


@dataclass(frozen=True)
class Untracked:
    reason: str


def num(x):
    """Whole numbers as ints, others rounded for display stability."""
    return int(round(x)) if abs(x - round(x)) < 1e-9 else round(float(x), 6)


def fmt(values) -> list:
    return [num(v) for v in values]


def first_shape(shape) -> list:
    if shape and isinstance(shape[0], (list, tuple)):
        return list(shape[0])
    return list(shape) if shape else []


def positions(field: Field, ndim: int) -> list[int]:
    return [ndim + a for a in field.axes]


def spatial_sizes(shape, field: Field) -> list[int] | None:
    ndim = len(shape)
    where = positions(field, ndim)
    if any(p < 0 or p >= ndim for p in where):
        return None
    return [shape[p] for p in where]


def plain(field: Field) -> Field:
    """The same field with no recurrence note (ops that do not change it)."""
    return replace(field, note="")


def track_by_shape(field: Field, in_shape, out_shape, selection: bool = False) -> Field | None:
    """Follow spatial axes through a reshape-like op: an axis survives when the products of the
    sizes before and after it are unchanged (so no position was mixed with another).  A
    selection (indexing, chunk, squeeze) may drop or split the leading dims, so only the
    product after the axis must match there."""
    in_shape, out_shape = list(in_shape), list(out_shape)
    new_axes = []
    for p in positions(field, len(in_shape)):
        if p < 0 or p >= len(in_shape):
            return None
        left, size, right = math.prod(in_shape[:p]), in_shape[p], math.prod(in_shape[p + 1:])
        found = None
        for q in range(len(out_shape)):
            if (out_shape[q] == size and (selection or math.prod(out_shape[:q]) == left)
                    and math.prod(out_shape[q + 1:]) == right):
                found = q
                break
        if found is None:
            return None
        new_axes.append(found - len(out_shape))
    return replace(field, axes=tuple(new_axes), note="")


def centre(field: Field) -> tuple:
    return tuple(round(st + r / 2, 9) for st, r in zip(field.start, field.size))


def window(field: Field, kernel, stride, padding, dilation) -> Field:
    """``size = r + (k−1)·d·j``, ``jump = j·s``, ``start = st − p·j`` on every axis."""
    size, jump, start, notes = [], [], [], []
    for a in range(len(field.size)):
        r, j, st = field.size[a], field.jump[a], field.start[a]
        k, s, p, d = kernel[a], stride[a], padding[a], dilation[a]
        size.append(r + (k - 1) * d * j)
        jump.append(j * s)
        start.append(st - p * j)
        notes.append(f"r = {num(r)} + ({k}−1)·{d}·{num(j)} = {num(size[-1])}, j = {num(j)}·{s} = {num(jump[-1])}, "
                     f"start = {num(st)} − {p}·{num(j)} = {num(start[-1])}")
    note = notes[0] if len(set(notes)) == 1 else " | ".join(notes)
    return Field(tuple(size), tuple(jump), tuple(start), field.axes, field.gated, note)
