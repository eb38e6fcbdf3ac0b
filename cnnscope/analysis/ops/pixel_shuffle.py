"""Sub-pixel rearrangement (ESPCN's ``nn.PixelShuffle``, and its inverse, space-to-depth).

``pixel_shuffle(r)``: (N, C·r², H, W) → (N, C, H·r, W·r).  Output unit ``u`` along an axis is
a value of input unit ``u // r``; neighbours are on average ``j/r`` apart, and the field widened
by ``(r−1)/r·j`` contains every unit's true field (an upper bound, said in a diagnostic).  ``pixel_unshuffle(r)``: (N, C, H·r, W·r) →
(N, C·r², H, W).  Output unit ``u`` gathers input units ``u·r … u·r+r−1``: a window of ``r``
with stride ``r``, so ``size = r_in + (r−1)·j``, ``jump = j·r``.
"""

from __future__ import annotations

from dataclasses import replace

from torch import nn

from cnnscope.analysis import field as rf
from cnnscope.analysis.calls import arg, recorded_arg
from cnnscope.analysis.ops.registry import register_kind, rule
from cnnscope.analysis.preflight import ShapeError, label, shape_text
from cnnscope.report import Diagnostic
from cnnscope.i18n import _

register_kind("pixel_shuffle", "sub-pixel rearrangement between channels and space (PixelShuffle/Unshuffle)",
              modules=(nn.PixelShuffle, nn.PixelUnshuffle), functions=("pixel_shuffle", "pixel_unshuffle"))


def _factor(row) -> tuple[int, bool]:
    """(r, True for shuffle / False for unshuffle)."""
    if row.module is not None:
        if isinstance(row.module, nn.PixelShuffle):
            return int(row.module.upscale_factor), True
        return int(row.module.downscale_factor), False
    name = "upscale_factor" if row.type == "pixel_shuffle" else "downscale_factor"
    return int(recorded_arg(row.call_args, name, 1, 1)), row.type == "pixel_shuffle"


def _check(name: str, type_name: str, x, factor: int, shuffle: bool) -> None:
    if x.dim() < 3:
        raise ShapeError(_("{name} expects (N, C, H, W) but receives {shape}").format(
                             name=label(name, type_name), shape=shape_text(x.shape)), layer=name)
    if shuffle and x.shape[-3] % (factor * factor):
        raise ShapeError(_("{name} needs channels divisible by {factor}² = {factor2} but receives {shape} (input "
                           "{shape2})").format(
                             name=label(name, type_name), factor=factor, factor2=factor * factor, shape=x.shape[-3], shape2=shape_text(x.shape)), layer=name)
    if not shuffle and (x.shape[-2] % factor or x.shape[-1] % factor):
        raise ShapeError(_("{name} needs height and width divisible by {factor} but receives {shape}").format(
                             name=label(name, type_name), factor=factor, shape=shape_text(x.shape[-2:])), layer=name)


@rule("check_module", "pixel_shuffle")
def check_module(tracer, row, module, tensors) -> None:
    factor, shuffle = _factor(row)
    _check(row.name, row.type, tensors[0], factor, shuffle)


@rule("check_function", "pixel_shuffle")
def check_call(name: str, function: str, attrs: dict, call, tensors) -> None:
    args, kwargs = call
    key = "upscale_factor" if function == "pixel_shuffle" else "downscale_factor"
    _check(name, function, tensors[0], int(arg(args, kwargs, 1, key, 1)), function == "pixel_shuffle")


@rule("rf", "pixel_shuffle")
def shuffled_field(engine, row, field: rf.Field):
    factor, shuffle = _factor(row)
    if len(field.size) != 2 or field.axes != (-2, -1):
        return engine.untracked(row, f"{row.type} on axes other than the last two")
    if shuffle:
        # Output unit u reads input unit u // r: a staircase, not a uniform grid.  With the mean
        # jump j/r, widening the field by (r−1)/r·j to the left makes every unit's field contain
        # its true one, so the rows after it are upper bounds (and say so).
        engine.diagnose(Diagnostic(
            "info", "rf-approximate", f"{row.name}: after a pixel shuffle, {factor} neighbouring units share one "
            f"field; with the mean jump j/{factor} the fields from here on are upper bounds", layer=row.name))
        slack = tuple((factor - 1) / factor * j for j in field.jump)
        return replace(field, size=tuple(r + e for r, e in zip(field.size, slack)),
                       jump=tuple(j / factor for j in field.jump),
                       start=tuple(st - e for st, e in zip(field.start, slack)),
                       note=f"pixel shuffle ×{factor}: j = j_in/{factor}, r = r_in + ({factor}−1)/{factor}·j_in")
    size = tuple(r + (factor - 1) * j for r, j in zip(field.size, field.jump))
    jump = tuple(j * factor for j in field.jump)
    return replace(field, size=size, jump=jump, note=f"space-to-depth ÷{factor}: r = r_in + ({factor}−1)·j, j = j·{factor}")


@rule("explain", "pixel_shuffle")
def explain(row) -> list[str]:
    inputs = row.input_shapes[0] if row.input_shapes else []
    out = row.output_shape if row.output_shape and isinstance(row.output_shape[0], int) else []
    if len(inputs) < 3 or len(out) < 3:
        return []
    (c, h, w), (c2, h2, w2) = inputs[-3:], out[-3:]
    if h2 >= h:  # shuffle: r = H_out / H_in
        r = h2 // h
        return [f"channels: {c} / {r}² = {c2}", f"height: {h}·{r} = {h2}, width: {w}·{r} = {w2}"]
    r = h // h2
    return [f"channels: {c}·{r}² = {c2}", f"height: {h} / {r} = {h2}, width: {w} / {r} = {w2}"]
