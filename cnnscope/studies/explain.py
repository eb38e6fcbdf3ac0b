"""Why a row has the numbers it has: the arithmetic written out, with a legend (used by the app and docs).

Each op kind registers its own shape ``explain`` rule in ``analysis/ops``; rows of other kinds say
how the shape changed, or that it did not.  The parameter and MAC arithmetic is worked from the row's
own fields (shapes, kernel, groups) and ends in the number the report counted: where the worked
number would differ (a parametrised weight, an unknown layer type) no formula is shown, only the count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnnscope.analysis import ops
from cnnscope.i18n import N_, _
from cnnscope.report import LayerRecord

WINDOW_FORMULA = "out = floor((n + 2·p − d·(k−1) − 1) / s) + 1"
TRANSPOSED_FORMULA = "out = (n − 1)·s − 2·p + d·(k−1) + output_padding + 1"
WINDOW_LEGEND = N_("n = input size along the axis, k = kernel size, s = stride, p = padding added on each side, "
                   "d = dilation (the gap between kernel taps; 1 = no gap); floor rounds down (ceil: a pool "
                   "with ceil_mode rounds up)")
RF_LEGEND = N_("r = receptive field size (how many input pixels one unit can see, per side), j = jump (input pixels "
               "between the fields of neighbouring units), start = where the first unit's field begins (negative: "
               "in the padding); k = kernel size, s = stride, p = padding, d = dilation of this row.")
# Translators: keep the formula; translate only the words in the brackets
RF_FORMULA = N_("r_out = r_in + (k−1)·d·j_in,   j_out = j_in·s,   start_out = start_in − p·j_in   (the input: r = 1, "
                "j = 1, start = 0)")
_WINDOWS = ("conv", "pool")


def shape_arithmetic(row: LayerRecord) -> list[str]:
    """One line per spatial axis for window ops; a line for linear, reshape and other rows."""
    explain = ops.get_rule("explain", row.op_kind) or ops.get_rule("explain", "reshape")
    return explain(row) or ops.get_rule("explain", "reshape")(row)


def shape_legend(row: LayerRecord) -> list[str]:
    """The general formula and what each letter is, with this row's values per axis (window rows only)."""
    inputs = row.input_shapes[0] if row.input_shapes else []
    if row.op_kind not in (*_WINDOWS, "transposed_conv") or not row.kernel_size or not inputs:
        return []
    n = len(row.kernel_size)
    axes = (_("height"), _("width")) if n == 2 else tuple(_("axis {k}").format(k=k) for k in range(n))
    dilation = row.dilation or [1] * n
    lines = [TRANSPOSED_FORMULA if row.op_kind == "transposed_conv" else WINDOW_FORMULA, _(WINDOW_LEGEND)]
    lines += [f"{axes[k]}: n = {inputs[-n + k]}, k = {row.kernel_size[k]}, s = {row.stride[k]}, "
              f"p = {row.padding[k]}, d = {dilation[k]}" for k in range(n)]
    return lines


@dataclass(frozen=True)
class Worked:
    """A count written out: ``formula`` in letters, ``numbers`` with this row's values, and ``value``."""

    formula: str
    numbers: str
    value: int
    note: str = ""

    def lines(self, what: str) -> list[str]:
        indent = " " * sum(2 if ord(c) >= 0x2E80 else 1 for c in what)  # a CJK character is two columns wide
        lines = [f"{what} = {self.formula}", f"{indent} = {self.numbers} = {self.value:,}"]
        return lines + ([_(self.note)] if self.note else [])


def _dots(values) -> str:
    return "·".join(str(v) for v in values)


def _kernel_letters(n: int) -> str:
    return {1: "k", 2: "kh·kw", 3: "kt·kh·kw"}.get(n, "·".join(f"k{i}" for i in range(n)))


def _channels(row: LayerRecord) -> tuple[int, int, list[int], list[int]] | None:
    """(in channels, out channels, input spatial sizes, output spatial sizes) of a batched conv row."""
    inputs = row.input_shapes[0] if row.input_shapes else []
    out = row.output_shape if row.output_shape and isinstance(row.output_shape[0], int) else []
    n = len(row.kernel_size or [])
    if not n or len(inputs) != n + 2 or len(out) != n + 2:
        return None
    return inputs[1], out[1], list(inputs[2:]), list(out[2:])


def _bias(row: LayerRecord, weight: int, out: int, formula: str, numbers: str) -> Worked | None:
    """The count with or without a bias of ``out`` values; None when neither matches the report's."""
    if row.params == weight:
        return Worked(formula, numbers, weight, N_("(no bias)"))
    if row.params == weight + out:
        return Worked(f"{formula} + out (bias)", f"{numbers} + {out}", weight + out)
    return None


def parameter_count(row: LayerRecord) -> Worked | None:
    """The parameters of a conv, transposed conv, linear or normalisation module row, worked out."""
    if row.kind != "module" or not row.is_leaf:
        return None
    groups = row.groups or 1
    if row.op_kind in ("conv", "transposed_conv") and row.type.startswith(("Conv", "LazyConv")):
        sizes = _channels(row)
        if sizes is None:
            return None
        c_in, c_out = sizes[:2]
        letters, kernel = _kernel_letters(len(row.kernel_size)), _dots(row.kernel_size)
        if row.op_kind == "conv":  # weight (out, in/groups, k...)
            per = "in" if groups == 1 else "(in/groups)"
            value = c_in if groups == 1 else f"({c_in}/{groups})"
            weight = c_out * (c_in // groups) * math.prod(row.kernel_size)
            return _bias(row, weight, c_out, f"out·{per}·{letters}", f"{c_out}·{value}·{kernel}")
        per = "out" if groups == 1 else "(out/groups)"  # transposed: weight (in, out/groups, k...)
        value = c_out if groups == 1 else f"({c_out}/{groups})"
        weight = c_in * (c_out // groups) * math.prod(row.kernel_size)
        return _bias(row, weight, c_out, f"in·{per}·{letters}", f"{c_in}·{value}·{kernel}")
    if row.type == "Linear":
        inputs = row.input_shapes[0] if row.input_shapes else []
        out = row.output_shape if row.output_shape and isinstance(row.output_shape[0], int) else []
        if not inputs or not out:
            return None
        return _bias(row, inputs[-1] * out[-1], out[-1], "in·out", f"{inputs[-1]}·{out[-1]}")
    if row.type.startswith(("BatchNorm", "SyncBatchNorm", "GroupNorm", "InstanceNorm")):
        inputs = row.input_shapes[0] if row.input_shapes else []
        if len(inputs) < 2:
            return None
        channels = inputs[1]
        if row.params == 2 * channels:
            return Worked(_("2·C (a scale γ and a shift β per channel)"), f"2·{channels}", row.params,
                          N_("the running mean and variance are buffers, not parameters")
                          if row.type.startswith(("BatchNorm", "SyncBatchNorm")) else "")
        if row.params == 0:
            return Worked(_("0 (affine=False: no scale or shift)"), "0", 0)
        return None
    if row.type == "LayerNorm":
        inputs = row.input_shapes[0] if row.input_shapes else []
        if inputs and row.params in (2 * inputs[-1], inputs[-1]):
            with_bias = row.params == 2 * inputs[-1]
            return Worked(_("2·D (a scale γ and a shift β per feature of the last axis)") if with_bias else
                          _("D (a scale γ per feature; no shift)"), f"2·{inputs[-1]}" if with_bias else str(inputs[-1]),
                          row.params)
    return None


def mac_count(row: LayerRecord) -> Worked | None:
    """The MACs of a conv, transposed conv or linear row (a module or a function call), worked out."""
    if not row.is_leaf:
        return None
    groups = row.groups or 1
    if row.op_kind in ("conv", "transposed_conv") and row.kernel_size:
        sizes = _channels(row)
        batch = row.input_shapes[0][0] if row.input_shapes else 1
        if sizes is None:
            return None
        c_in, c_out, spatial_in, spatial_out = sizes
        taps, letters = math.prod(row.kernel_size), _kernel_letters(len(row.kernel_size))
        axes = {1: ["L"], 2: ["H", "W"], 3: ["T", "H", "W"]}.get(len(spatial_out), [f"S{i}" for i in range(len(spatial_out))])
        if row.op_kind == "conv":  # every output value sums (in/groups)·k... products
            per = "in" if groups == 1 else "(in/groups)"
            value = c_in if groups == 1 else f"({c_in}/{groups})"
            count = batch * math.prod(spatial_out) * c_out * (c_in // groups) * taps
            formula = f"N·{'·'.join(a + '_out' for a in axes)}·out·{per}·{letters}"
            numbers = f"{batch}·{_dots(spatial_out)}·{c_out}·{value}·{_dots(row.kernel_size)}"
        else:  # every input value is spread over (out/groups)·k... outputs
            per = "out" if groups == 1 else "(out/groups)"
            value = c_out if groups == 1 else f"({c_out}/{groups})"
            count = batch * math.prod(spatial_in) * c_in * (c_out // groups) * taps
            formula = f"N·{'·'.join(a + '_in' for a in axes)}·in·{per}·{letters}"
            numbers = f"{batch}·{_dots(spatial_in)}·{c_in}·{value}·{_dots(row.kernel_size)}"
        return Worked(formula, numbers, count, N_("bias additions are not multiply-accumulates: not counted"))
    if row.op_kind == "linear" and row.type in ("Linear", "linear"):
        inputs = row.input_shapes[0] if row.input_shapes else []
        out = row.output_shape if row.output_shape and isinstance(row.output_shape[0], int) else []
        if not inputs or not out:
            return None
        rows = out[:-1]
        count = math.prod(rows) * inputs[-1] * out[-1]
        lead = "N" if len(rows) == 1 else "(" + "·".join(["N", *(f"L{i + 1}" for i in range(len(rows) - 1))]) + ")"
        numbers = (str(rows[0]) if len(rows) == 1 else f"({_dots(rows)})") + f"·{inputs[-1]}·{out[-1]}"
        return Worked(f"{lead}·in·out", numbers, count, N_("one product per input feature for every output feature "
                                                           "of every row; the bias is not counted"))
    return None


def count_arithmetic(row: LayerRecord) -> list[str]:
    """The parameter and MAC lines of the selected row: worked out where there is a formula, else the count."""
    lines = []
    params = parameter_count(row)
    if params is not None and params.value == row.params:
        lines += params.lines(_("parameters"))
    elif not row.is_leaf:
        lines.append(_("parameters = its rows' parameters added up = {n}").format(n=f"{row.params:,}"))
    elif row.params:
        lines.append(_("parameters = {n} (held by this {type}; no formula written here)").format(
            n=f"{row.params:,}", type=row.type))
    else:
        lines.append(_("parameters = 0 (nothing learned here): a function call uses its module's weights")
                     if row.kind == "function" else _("parameters = 0 (nothing learned here)"))
    macs = mac_count(row)
    if macs is not None and macs.value == row.macs:
        lines += macs.lines("MACs")
    elif not row.is_leaf:
        lines.append(_("MACs = its rows' MACs added up = {n}").format(n=f"{row.macs:,}"))
    elif row.macs:
        ops_text = ", ".join(row.macs_by_operator) or _("its ATen ops")
        lines.append(_("MACs = {n} (counted from {ops})").format(n=f"{row.macs:,}", ops=ops_text))
    else:
        lines.append(_("MACs = 0 (no multiply-accumulates: activations, norms, pooling and adds count as other ops)")
                     if row.other_ops else _("MACs = 0 (no multiply-accumulates: no arithmetic)"))
    return lines
