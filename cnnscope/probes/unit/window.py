"""Window rows worked out for one output unit: convolution (1-D/2-D/3-D, any stride, padding,
dilation and groups), transposed convolution, max/average pooling and adaptive pooling.

Everything is redone in float64 from the call's real arguments (the weight the forward really used,
so a weight-standardised or re-parametrised conv is explained with what it computed), and checked
against torch's own op run in float64 on the same numbers.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
import torch.nn.functional as F

from cnnscope.analysis.calls import arg
from cnnscope.geometry import as_list
from cnnscope.i18n import _, ngettext
from cnnscope.probes.unit.explanation import Term, UnitExplanation, make_check, split_top

CONV = {"conv1d": 1, "conv2d": 2, "conv3d": 3}
TRANSPOSED = {"conv_transpose1d": 1, "conv_transpose2d": 2, "conv_transpose3d": 3}
MAX_POOL = {f"max_pool{n}d{s}": n for n in (1, 2, 3) for s in ("", "_with_indices")}
AVG_POOL = {f"avg_pool{n}d": n for n in (1, 2, 3)}
ADAPTIVE = {f"adaptive_{m}_pool{n}d{s}": n for m in ("avg", "max") for n in (1, 2, 3)
            for s in ("", "_with_indices")}
_TAP_NAMES = {1: ("kx",), 2: ("ky", "kx"), 3: ("kt", "ky", "kx")}


def tap_names(n: int) -> tuple[str, ...]:
    return _TAP_NAMES.get(n, tuple(f"k{a}" for a in range(n)))


def _batched(x: torch.Tensor, n: int) -> torch.Tensor:
    return x if x.dim() == n + 2 else x.unsqueeze(0)


def _padding(value, kernel, dilation) -> list[int]:
    """Padding before the first element per axis; ``'same'`` puts the odd one at the end, as torch does."""
    if value == "valid":
        return [0] * len(kernel)
    if value == "same":
        return [d * (k - 1) // 2 for k, d in zip(kernel, dilation)]
    return as_list(value, len(kernel))


def _take(x: np.ndarray, positions: list[np.ndarray], fill: float) -> np.ndarray:
    """x[:, p0, p1, ...] on the grid of ``positions`` per axis, ``fill`` where a position is outside."""
    inside = [(p >= 0) & (p < n) for p, n in zip(positions, x.shape[1:])]
    safe = [np.clip(p, 0, n - 1) for p, n in zip(positions, x.shape[1:])]
    values = x[(slice(None), *np.ix_(*safe))]
    mask = np.ones(values.shape[1:], dtype=bool)
    for axis, ok in enumerate(inside):
        shape = [1] * len(inside)
        shape[axis] = -1
        mask = mask & ok.reshape(shape)
    return np.where(mask[None], values, fill)


def _pad_offset(calls, index: int, n: int) -> list[int]:
    """How much an ``F.pad`` made inside the same module (``padding_mode='reflect'``) added before
    each spatial axis: positions are reported in the module's own input."""
    for call in calls[:index]:
        if call.name == "pad":
            pad = list(arg(call.args, call.kwargs, 1, "pad", ()))
            befores = pad[0::2][:n]  # (last axis before, after, second-last before, after, ...)
            return list(reversed(befores + [0] * (n - len(befores))))
    return [0] * n


def conv(layer, unit, call, calls, index, value, top: int) -> tuple[UnitExplanation, list]:
    n = CONV[call.name]
    x = _batched(arg(call.args, call.kwargs, 0, "input", None), n)
    weight = arg(call.args, call.kwargs, 1, "weight", None)
    bias = arg(call.args, call.kwargs, 2, "bias", None)
    stride = as_list(arg(call.args, call.kwargs, 3, "stride", 1), n)
    dilation = as_list(arg(call.args, call.kwargs, 5, "dilation", 1), n)
    kernel = list(weight.shape[2:])
    padding = _padding(arg(call.args, call.kwargs, 4, "padding", 0), kernel, dilation)
    groups = int(arg(call.args, call.kwargs, 6, "groups", 1))
    c, out = unit[0], unit[1:]
    per_group_out = weight.shape[0] // groups
    per_group_in = weight.shape[1]
    first = (c // per_group_out) * per_group_in
    channels = np.arange(first, first + per_group_in)
    x64 = x[0, first:first + per_group_in].detach().double().cpu().numpy()
    w64 = weight[c].detach().double().cpu().numpy()
    b64 = float(bias[c]) if bias is not None else 0.0
    positions = [o * s - p + np.arange(k) * d for o, s, p, k, d in zip(out, stride, padding, kernel, dilation)]
    patch = _take(x64, positions, 0.0)
    products = patch * w64
    offset = _pad_offset(calls, index, n)
    terms = [Term(int(channels[ci]), tuple(int(t) for t in tap),
                  tuple(int(positions[a][tap[a]]) - offset[a] for a in range(n)),
                  float(patch[(ci, *tap)]), float(w64[(ci, *tap)]), float(products[(ci, *tap)]))
             for ci in range(per_group_in) for tap in itertools.product(*(range(k) for k in kernel))]
    total = float(np.sum(products, dtype=np.float64)) + b64
    # torch's own conv in float64 on the window alone: an independent route to the same number
    starts = [o * s for o, s in zip(out, stride)]
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    # zeros after as well as before: padding='same' with an even span pads one more after than before
    crop = F.pad(torch.from_numpy(x64)[None], [q for p, b in zip(reversed(padding), reversed(spans)) for q in (p, p + b)])
    crop = crop[(slice(None), slice(None), *(slice(a, a + b) for a, b in zip(starts, spans)))]
    conv_nd = getattr(F, call.name)
    redone = float(conv_nd(crop, torch.from_numpy(w64)[None], torch.tensor([b64], dtype=torch.float64),
                           dilation=dilation).reshape(-1)[0])
    kept, rest = split_top(terms, top)
    scale = float(np.abs(products).sum()) + abs(b64)
    reads = [(int(p[0]) - off, int(p[-1]) - off) for p, off in zip(positions, offset)]
    names = tap_names(n)
    plus = "b + " if bias is not None else ""  # a conv without bias (before a batch norm) adds none
    formula = [ngettext("y = {plus}Σ over {n} input channel and the {kernel} kernel of x·w  ({products} products)",
                        "y = {plus}Σ over {n} input channels and the {kernel} kernel of x·w  ({products} products)",
                        per_group_in).format(plus=plus, n=per_group_in, kernel="×".join(map(str, kernel)),
                                             products=f"{len(terms):,}"),
               _("tap {names} reads input position out·s − p + k·d (s = {s}, p = {p}, d = {d})").format(
                   names="·".join(names), s=_axes(stride), p=_axes(padding), d=_axes(dilation)),
               f"y = {f'{b64:.6g} + ' if plus else ''}({_sum_text(kept, rest)}) = {total:.6g}"]
    explanation = UnitExplanation(
        layer, tuple(unit), "conv", call.name, value, tuple(x.shape[1:]), (), formula, sum=total,
        bias=b64 if bias is not None else None,
        terms=len(terms), top=kept, rest=rest,
        channels=[(int(channels[ci]), float(products[ci].sum())) for ci in range(per_group_in)],
        kernel=w64, patch=patch,
        check=make_check(total, value, redone, x.dtype, scale),
        details={"stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
                 "kernel_size": kernel})
    return explanation, reads


def transposed(layer, unit, call, calls, index, value, top: int):
    n = TRANSPOSED[call.name]
    x = _batched(arg(call.args, call.kwargs, 0, "input", None), n)
    weight = arg(call.args, call.kwargs, 1, "weight", None)
    bias = arg(call.args, call.kwargs, 2, "bias", None)
    stride = as_list(arg(call.args, call.kwargs, 3, "stride", 1), n)
    padding = as_list(arg(call.args, call.kwargs, 4, "padding", 0), n)
    groups = int(arg(call.args, call.kwargs, 6, "groups", 1))
    dilation = as_list(arg(call.args, call.kwargs, 7, "dilation", 1), n)
    kernel = list(weight.shape[2:])
    c, out = unit[0], unit[1:]
    per_group_out = weight.shape[1]
    per_group_in = weight.shape[0] // groups
    first = (c // per_group_out) * per_group_in
    channels = np.arange(first, first + per_group_in)
    x64 = x[0, first:first + per_group_in].detach().double().cpu().numpy()
    w64 = weight[first:first + per_group_in, c % per_group_out].detach().double().cpu().numpy()
    b64 = float(bias[c]) if bias is not None else 0.0
    # output o = i·s − p + k·d: tap k reads input i = (o + p − k·d) / s when that is a whole number
    sources, reads = [], []
    for o, s, p, k, d, m in zip(out, stride, padding, kernel, dilation, x.shape[2:]):
        numer = o + p - np.arange(k) * d
        whole = numer % s == 0
        sources.append(np.where(whole, numer // s, -10**9))
        hits = (numer // s)[whole]
        hits = hits[(hits >= 0) & (hits < m)]  # a tap that lands outside the input reads nothing
        reads.append((int(hits.min()), int(hits.max())) if hits.size else None)
    patch = _take(x64, sources, np.nan)
    products = np.nan_to_num(patch * w64, nan=0.0)
    terms = [Term(int(channels[ci]), tuple(int(t) for t in tap), tuple(int(sources[a][tap[a]]) for a in range(n)),
                  float(patch[(ci, *tap)]), float(w64[(ci, *tap)]), float(products[(ci, *tap)]))
             for ci in range(per_group_in) for tap in itertools.product(*(range(k) for k in kernel))
             if not np.isnan(patch[(ci, *tap)])]
    total = float(sum(t.product for t in terms)) + b64
    output_padding = as_list(arg(call.args, call.kwargs, 5, "output_padding", 0), n)
    conv_t = getattr(F, call.name)  # torch's own transposed conv in float64, on this unit's channels
    redone = float(conv_t(torch.from_numpy(x64)[None], torch.from_numpy(w64[:, None]),
                          torch.tensor([b64], dtype=torch.float64), stride=stride, padding=padding,
                          output_padding=output_padding, dilation=dilation)[(0, 0, *out)])
    kept, rest = split_top(terms, top)
    scale = float(sum(abs(t.product) for t in terms)) + abs(b64)
    plus = "b + " if bias is not None else ""
    formula = [_("y = {plus}Σ x[i]·w[k] over the taps with i·s − p + k·d = out (s = {s}, p = {p}, d = {d}): "
                 "{products} products").format(plus=plus, s=_axes(stride), p=_axes(padding), d=_axes(dilation),
                                                products=f"{len(terms):,}"),
               f"y = {f'{b64:.6g} + ' if plus else ''}({_sum_text(kept, rest)}) = {total:.6g}" if terms else
               _("y = b = {bias}: no input position lands on this output unit").format(bias=f"{b64:.6g}")]
    explanation = UnitExplanation(
        layer, tuple(unit), "transposed_conv", call.name, value, tuple(x.shape[1:]), (), formula, sum=total,
        bias=b64 if bias is not None else None, terms=len(terms), top=kept, rest=rest,
        channels=[(int(channels[ci]), float(products[ci].sum())) for ci in range(per_group_in)],
        kernel=w64, patch=patch, check=make_check(total, value, redone, x.dtype, scale),
        details={"stride": stride, "padding": padding, "dilation": dilation, "groups": groups,
                 "kernel_size": kernel})
    return explanation, None if any(r is None for r in reads) else reads


def pool(layer, unit, call, value) -> tuple[UnitExplanation, list]:
    name = call.name
    n = (MAX_POOL | AVG_POOL)[name]
    x = _batched(arg(call.args, call.kwargs, 0, "input", None), n)
    kernel = as_list(arg(call.args, call.kwargs, 1, "kernel_size", 1), n)
    stride_arg = arg(call.args, call.kwargs, 2, "stride", None)
    stride = kernel if stride_arg in (None, [], ()) else as_list(stride_arg, n)
    padding = as_list(arg(call.args, call.kwargs, 3, "padding", 0), n)
    c, out = unit[0], unit[1:]
    x64 = x[0, c:c + 1].detach().double().cpu().numpy()
    sizes = x64.shape[1:]
    if name in MAX_POOL:
        dilation = as_list(arg(call.args, call.kwargs, 4, "dilation", 1), n)
        positions = [o * s - p + np.arange(k) * d for o, s, p, k, d in zip(out, stride, padding, kernel, dilation)]
        window = _take(x64, positions, -np.inf)[0]
        winner = np.unravel_index(int(np.argmax(window)), window.shape)
        total = float(window[winner])
        at = tuple(int(positions[a][winner[a]]) for a in range(n))
        cells = [{"at": [int(positions[a][tap[a]]) for a in range(n)], "input": float(window[tap])}
                 for tap in itertools.product(*(range(k) for k in kernel)) if np.isfinite(window[tap])]
        listed = ", ".join(format(cell["input"], ".4g") for cell in cells[:16])
        explanation = UnitExplanation(
            layer, tuple(unit), "max_pool", name, value, tuple(x.shape[1:]), (),
            [_("y = max over the {kernel} window (padding cells never win)").format(kernel="×".join(map(str, kernel))),
             _("y = max({values}) = {value}, the input at {at}").format(
                 values=listed + (", …" if len(cells) > 16 else ""), value=f"{total:.6g}", at=_at(at))],
            sum=total, terms=len(cells), check=make_check(total, value, total, x.dtype, abs(total)),
            details={"window": cells, "winner": {"at": list(at), "input": total}, "kernel_size": kernel,
                     "stride": stride, "padding": padding, "dilation": dilation})
        reads = [(int(p[0]), int(p[-1])) for p in positions]
        return explanation, reads
    ceil_mode = bool(arg(call.args, call.kwargs, 4, "ceil_mode", False))
    include_pad = bool(arg(call.args, call.kwargs, 5, "count_include_pad", True))
    override = arg(call.args, call.kwargs, 6, "divisor_override", None)
    starts = [o * s - p for o, s, p in zip(out, stride, padding)]
    ends = [min(a + k, m + p) for a, k, m, p in zip(starts, kernel, sizes, padding)]
    padded_count = math.prod(e - a for a, e in zip(starts, ends))
    positions = [np.arange(max(a, 0), min(e, m)) for a, e, m in zip(starts, ends, sizes)]
    window = _take(x64, positions, 0.0)[0]
    divisor = int(override) if override else (padded_count if include_pad else window.size)
    total = float(window.sum()) / divisor
    cells = [{"at": [int(positions[a][tap[a]]) for a in range(n)], "input": float(window[tap])}
             for tap in itertools.product(*(range(len(p)) for p in positions))]
    why = ("divisor_override" if override else _("the window's cells, padding included") if include_pad
           else _("the window's cells inside the input"))
    explanation = UnitExplanation(
        layer, tuple(unit), "avg_pool", name, value, tuple(x.shape[1:]), (),
        [_("y = (sum of the window's inputs) / divisor  (divisor = {why})").format(why=why),
         f"y = {float(window.sum()):.6g} / {divisor} = {total:.6g}"],
        sum=total, terms=len(cells), check=make_check(total, value, _torch_pool(call, x64, unit), x.dtype,
                                                      float(np.abs(window).sum()) / divisor),
        details={"window": cells, "divisor": divisor, "kernel_size": kernel, "stride": stride,
                 "padding": padding, "ceil_mode": ceil_mode, "count_include_pad": include_pad})
    return explanation, [(a, e - 1) for a, e in zip(starts, ends)]


def _torch_pool(call, x64: np.ndarray, unit) -> float:
    """The pooling call redone by torch in float64 on the unit's channel."""
    args = (torch.from_numpy(x64)[None], *call.args[1:])
    return float(getattr(F, call.name)(*args, **call.kwargs)[(0, 0, *unit[1:])])


def adaptive(layer, unit, call, value) -> tuple[UnitExplanation, list]:
    name = call.name
    n = ADAPTIVE[name]
    x = _batched(arg(call.args, call.kwargs, 0, "input", None), n)
    sizes = list(x.shape[2:])
    wanted = arg(call.args, call.kwargs, 1, "output_size", 1)
    wanted = [m if w is None else int(w) for w, m in zip(as_list(wanted, n) if not isinstance(wanted, (list, tuple))
                                                          else list(wanted), sizes)]
    c, out = unit[0], unit[1:]
    # torch's adaptive windows: start = ⌊o·n/out⌋, end = ⌈(o+1)·n/out⌉
    starts = [o * m // w for o, m, w in zip(out, sizes, wanted)]
    ends = [-(-(o + 1) * m // w) for o, m, w in zip(out, sizes, wanted)]
    x64 = x[0, c:c + 1].detach().double().cpu().numpy()
    positions = [np.arange(a, e) for a, e in zip(starts, ends)]
    window = _take(x64, positions, 0.0)[0]
    is_max = "max" in name
    total = float(window.max() if is_max else window.mean())
    ranges = ", ".join(f"{a}..{e - 1}" for a, e in zip(starts, ends))
    formula = [_("window per axis: start = ⌊o·n/out⌋, end = ⌈(o+1)·n/out⌉ − 1 → {ranges}").format(ranges=ranges),
               (_("y = max of the {n} inputs = {value}") if is_max else _("y = mean of the {n} inputs = {value}")).format(
                   n=window.size, value=f"{total:.6g}")]
    cells = [{"at": [int(positions[a][tap[a]]) for a in range(n)], "input": float(window[tap])}
             for tap in itertools.product(*(range(len(p)) for p in positions))]
    explanation = UnitExplanation(layer, tuple(unit), "adaptive_pool", name, value, tuple(x.shape[1:]), (), formula,
                                  sum=total, terms=window.size,
                                  check=make_check(total, value, total, x.dtype, float(np.abs(window).max())),
                                  details={"window": cells, "output_size": wanted})
    return explanation, [(a, e - 1) for a, e in zip(starts, ends)]


def _axes(values) -> str:
    return "×".join(str(v) for v in values) if len(set(values)) > 1 else str(values[0])


def _at(position) -> str:
    return "(" + ", ".join(str(p) for p in position) + ")"


def _sum_text(kept: list[Term], rest: tuple[int, float], shown: int = 4) -> str:
    parts = [f"{_number(t.input)}·{_number(t.weight)}" for t in kept[:shown]]
    hidden = len(kept) - len(parts) + rest[0]
    hidden_sum = sum(t.product for t in kept[shown:]) + rest[1]
    if hidden:
        parts.append(ngettext("{n} more term summing to {sum}", "{n} more terms summing to {sum}", hidden).format(
            n=f"{hidden:,}", sum=f"{hidden_sum:.6g}"))
    return " + ".join(parts) if parts else "0"


def _number(value: float) -> str:
    """4 significant digits, negative numbers in brackets so that ``a·(−b)`` reads as a product."""
    return f"({value:.4g})" if value < 0 else f"{value:.4g}"
