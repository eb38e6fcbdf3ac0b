"""Convolution arithmetic, one output cell at a time (torch-free): which input cells each output cell
reads, and the output-size formula written out with the numbers.

A direct convolution slides its (dilated) kernel over the padded input with stride ``s``.  A transposed
convolution is drawn as Dumoulin & Visin draw it ("A guide to convolution arithmetic for deep
learning"): the equivalent direct convolution, stride 1, over the input with ``s − 1`` zeros inserted
between its cells and ``d(k−1) − p`` cells of padding on each side (``output_padding`` more on the far
side; a negative amount crops).  Its frames still name the ORIGINAL input cells; the weight applied at
window position ``(ky, kx)`` is ``w[k−1−ky, k−1−kx]`` of the ConvTranspose weight (the kernel flips).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from cnnscope.errors import UsageError
from cnnscope.geometry import transposed_output_size, window_output_size
from cnnscope.i18n import N_, _, ngettext

MAX_SIZE = 32  # input side: a GIF of one frame per output cell stays small
MAX_SIDE = 64  # the drawn grid and the output: at most 32² = 1,024 frames (checked on the output below)
MAX_OUT = 32

FORWARD_FORMULA = "out = ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1"
TRANSPOSED_FORMULA = "out = (n − 1)·s − 2p + d(k−1) + output_padding + 1"
LEGEND = N_("n: input side, k: kernel side, s: stride, p: padding (each side), d: dilation "
            "(gap between kernel taps), output_padding: extra cells on the far side (transposed only)")

INPUT, PAD, ZERO = "input", "pad", "zero"  # what a cell of the drawn grid is


class Tap(NamedTuple):
    grid: tuple[int, int]  # (gy, gx) in the drawn grid
    kernel: tuple[int, int]  # (ky, kx): position in the sliding window
    source: tuple[int, int] | None  # the original input cell, None for padding or an inserted zero


class Frame(NamedTuple):
    out_cell: tuple[int, int]
    taps: tuple[Tap, ...]  # every window position, row-major: k² taps

    @property
    def reads(self) -> list[tuple[int, int]]:
        """The original input cells this output cell reads (padding and inserted zeros left out)."""
        return [t.source for t in self.taps if t.source is not None]


@dataclass(frozen=True)
class Plan:
    size: int
    kernel: int
    stride: int
    padding: int
    dilation: int
    transposed: bool
    output_padding: int
    out: int  # output side
    grid: int  # side of the drawn grid (padded input; zero-inserted and padded for transposed)
    offset: int  # grid index of input index 0 along an axis (p; d(k−1) − p for transposed, may be < 0)
    formula: str
    worked: str
    frames: tuple[Frame, ...]
    name: str | None  # the classic case these settings are, if any

    @property
    def span(self) -> int:
        """The dilated kernel's side, d(k−1) + 1."""
        return self.dilation * (self.kernel - 1) + 1

    @property
    def step(self) -> int:
        """Grid cells between two input cells: the stride for transposed (s − 1 zeros between), else 1."""
        return self.stride if self.transposed else 1

    def axis_source(self, g: int) -> int | None:
        """The input index at grid index ``g`` along one axis, None for padding or an inserted zero."""
        z = g - self.offset
        if z < 0 or z > (self.size - 1) * self.step or z % self.step:
            return None
        return z // self.step

    def axis_kind(self, g: int) -> str:
        z = g - self.offset
        if z < 0 or z > (self.size - 1) * self.step:
            return PAD
        return ZERO if z % self.step else INPUT

    def kind(self, gy: int, gx: int) -> str:
        """``input``, ``pad`` or ``zero`` (a zero inserted between input cells, transposed only)."""
        kinds = (self.axis_kind(gy), self.axis_kind(gx))
        return PAD if PAD in kinds else ZERO if ZERO in kinds else INPUT

    def source(self, gy: int, gx: int) -> tuple[int, int] | None:
        """The original input cell drawn at grid cell ``(gy, gx)``, None for padding or an inserted zero."""
        y, x = self.axis_source(gy), self.axis_source(gx)
        return None if y is None or x is None else (y, x)

    def settings(self) -> str:
        """``5×5 input, kernel 3, stride 1, padding 1`` (dilation and output padding when not the default)."""
        words = [_("{n}×{n} input").format(n=self.size), _("kernel {k}").format(k=self.kernel),
                 _("stride {s}").format(s=self.stride), _("padding {p}").format(p=self.padding)]
        if self.dilation != 1:
            words.append(_("dilation {d}").format(d=self.dilation))
        if self.output_padding:
            words.append(_("output padding {n}").format(n=self.output_padding))
        return _(", ").join(words)

    def title(self) -> str:
        """``convolution: 5×5 input, kernel 3, ...`` (transposed convolution for a transposed one)."""
        text = _("transposed convolution: {settings}") if self.transposed else _("convolution: {settings}")
        return text.format(settings=self.settings())


@dataclass(frozen=True)
class Classic:
    """One of the figures of Dumoulin & Visin's guide."""

    name: str
    size: int
    kernel: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    transposed: bool = False
    output_padding: int = 0

    def settings(self) -> dict:
        return dict(size=self.size, kernel=self.kernel, stride=self.stride, padding=self.padding,
                    dilation=self.dilation, transposed=self.transposed, output_padding=self.output_padding)


# The transposed counterparts take the direct case's output as their input and give back its input size.
CLASSIC: tuple[Classic, ...] = (
    Classic(N_("no padding, unit strides"), 4, 3),
    Classic(N_("arbitrary padding"), 5, 4, padding=2),
    Classic(N_("half (same) padding"), 5, 3, padding=1),
    Classic(N_("full padding"), 5, 3, padding=2),
    Classic(N_("no padding, strides"), 5, 3, stride=2),
    Classic(N_("padding, strides"), 5, 3, stride=2, padding=1),
    Classic(N_("padding, strides (odd)"), 6, 3, stride=2, padding=1),
    Classic(N_("dilation"), 7, 3, dilation=2),
    Classic(N_("no padding, unit strides, transposed"), 2, 3, transposed=True),
    Classic(N_("arbitrary padding, transposed"), 6, 4, padding=2, transposed=True),
    Classic(N_("half (same) padding, transposed"), 5, 3, padding=1, transposed=True),
    Classic(N_("full padding, transposed"), 7, 3, padding=2, transposed=True),
    Classic(N_("no padding, strides, transposed"), 2, 3, stride=2, transposed=True),
    Classic(N_("padding, strides, transposed"), 3, 3, stride=2, padding=1, transposed=True),
    Classic(N_("padding, strides (odd), transposed"), 3, 3, stride=2, padding=1, transposed=True, output_padding=1),
    Classic(N_("dilation, transposed"), 3, 3, dilation=2, transposed=True),
)


def classic(name: str) -> Classic:
    for case in CLASSIC:
        if case.name == name:
            return case
    raise UsageError(f"no classic case named {name!r}; the cases are: {', '.join(c.name for c in CLASSIC)}")


def plan(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1, transposed: bool = False,
         output_padding: int = 0) -> Plan:
    """Every output cell of a square convolution (or transposed convolution) and the cells it reads."""
    _check(size, kernel, stride, padding, dilation, transposed, output_padding)
    if transposed:
        out = transposed_output_size(size, kernel, stride, padding, dilation, output_padding)
        offset = dilation * (kernel - 1) - padding
        grid = (size - 1) * stride + 1 + 2 * offset + output_padding
        step, formula = 1, TRANSPOSED_FORMULA
        worked = (f"({size} − 1)·{stride} − 2·{padding} + {dilation}·({kernel}−1) + {output_padding} + 1 = {out}")
    else:
        out = window_output_size(size, kernel, stride, padding, dilation)
        offset, grid, step, formula = padding, size + 2 * padding, stride, FORWARD_FORMULA
        worked = _worked_forward(size, kernel, stride, padding, dilation)
    if out > MAX_OUT or grid > MAX_SIDE:
        raise UsageError(_("the output would be {out}×{out} on a {grid}×{grid} grid; at most {most}×{most} "
                           "outputs (one frame each) on a {side}×{side} grid are drawn").format(
            out=out, grid=grid, most=MAX_OUT, side=MAX_SIDE))
    settings = dict(size=size, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                    transposed=transposed, output_padding=output_padding)
    name = next((c.name for c in CLASSIC if c.settings() == settings), None)
    shell = Plan(**settings, out=out, grid=grid, offset=offset, formula=formula, worked=worked, frames=(), name=name)
    frames = tuple(Frame((i, j), tuple(Tap((gy, gx), (ky, kx), shell.source(gy, gx))
                                  for ky in range(kernel) for kx in range(kernel)
                                  for gy, gx in [(i * step + ky * dilation, j * step + kx * dilation)]))
                   for i in range(out) for j in range(out))
    return Plan(**settings, out=out, grid=grid, offset=offset, formula=formula, worked=worked, frames=frames,
                name=name)


def _worked_forward(size: int, kernel: int, stride: int, padding: int, dilation: int) -> str:
    out = window_output_size(size, kernel, stride, padding, dilation)
    return f"⌊({size} + 2·{padding} − {dilation}·({kernel}−1) − 1)/{stride}⌋ + 1 = {out}"


def _check(size, kernel, stride, padding, dilation, transposed, output_padding) -> None:
    for name, value in ((N_("size"), size), (N_("kernel"), kernel), (N_("stride"), stride),
                        (N_("dilation"), dilation)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise UsageError(_("{name} must be a positive whole number, not {value}").format(name=_(name),
                                                                                           value=repr(value)))
    for name, value in ((N_("padding"), padding), (N_("output padding"), output_padding)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise UsageError(_("{name} must be a whole number ≥ 0, not {value}").format(name=_(name), value=repr(value)))
    if size > MAX_SIZE:
        raise UsageError(_("size {size} is too large to animate: at most {most} (one frame per output cell)").format(
            size=size, most=MAX_SIZE))
    span = dilation * (kernel - 1) + 1
    if not transposed:
        if output_padding:
            raise UsageError(_("output padding applies to a transposed convolution only"))
        if span > size + 2 * padding:
            out = window_output_size(size, kernel, stride, padding, dilation)
            raise UsageError(_("kernel {kernel} (dilated span {span}) is larger than the padded input "
                               "{size} + 2·{padding} = {padded}: {worked} outputs").format(
                kernel=kernel, span=span, size=size, padding=padding, padded=size + 2 * padding,
                worked=_worked_forward(size, kernel, stride, padding, dilation)))
        return
    if output_padding >= stride and output_padding >= dilation:
        raise UsageError(_("output padding {n} must be smaller than the stride ({stride}) or the dilation "
                           "({dilation}), as in PyTorch").format(n=output_padding, stride=stride, dilation=dilation))
    out = transposed_output_size(size, kernel, stride, padding, dilation, output_padding)
    if out < 1:
        raise UsageError(_("padding {padding} crops more than the transposed convolution makes: {worked} = {out} "
                           "outputs").format(padding=padding, out=out, worked=f"({size} − 1)·{stride} − 2·{padding} + "
                                             f"{dilation}·({kernel}−1) + {output_padding} + 1"))


def _cell(tap: Tap, plan: Plan) -> str:
    if tap.source is not None:
        return f"({tap.source[0]},{tap.source[1]})"
    return _("zero") if plan.kind(*tap.grid) == ZERO else _("pad")


def caption(plan: Plan, index: int) -> str:
    """``out (0,1) ← in (0,0) (0,1) (1,0) (1,1) and 5 padding cells``: what frame ``index`` shows."""
    frame = plan.frames[index]
    reads = " ".join(f"({y},{x})" for y, x in frame.reads) or _("no input cell")
    pads = sum(plan.kind(*t.grid) == PAD for t in frame.taps)
    zeros = sum(plan.kind(*t.grid) == ZERO for t in frame.taps)
    rest = [ngettext("{n} padding cell", "{n} padding cells", pads).format(n=pads)] * bool(pads) + \
        [ngettext("{n} inserted zero", "{n} inserted zeros", zeros).format(n=zeros)] * bool(zeros)
    return _("out ({i},{j}) ← in {reads}").format(i=frame.out_cell[0], j=frame.out_cell[1], reads=reads) + \
        (f" + {' + '.join(rest)}" if rest else "")


def describe(plan: Plan) -> list[str]:
    """Lines for a terminal: the settings, the formula worked out, then one line per output cell with the
    window's cells row by row (``|`` between kernel rows; ``pad`` for padding, ``zero`` for an inserted zero)."""
    title = plan.title()
    how = (_("{out}×{out} output, {frames} frames; drawn as a stride-1 convolution over the {grid}×{grid} "
             "zero-inserted, padded input") if plan.transposed else
           _("{out}×{out} output, {frames} frames; the kernel slides over the {grid}×{grid} padded input"))
    lines = [title + (f" ({_(plan.name)})" if plan.name else ""), plan.formula,
             f"{' ' * 4}= {plan.worked}", how.format(out=plan.out, frames=len(plan.frames), grid=plan.grid)]
    for frame in plan.frames:
        rows = [" ".join(_cell(t, plan) for t in frame.taps[r * plan.kernel:(r + 1) * plan.kernel])
                for r in range(plan.kernel)]
        lines.append(_("out ({i},{j}) ← in {reads}").format(i=frame.out_cell[0], j=frame.out_cell[1],
                                                             reads=" | ".join(rows)))
    return lines
