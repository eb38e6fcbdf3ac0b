"""Fully connected rows and softmax, worked out for one output: the largest contributions of
``y_j = b_j + Σ_i x_i·W_ji``, and every class's probability ``e^{z_c} / Σ_k e^{z_k}``."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from cnnscope.analysis.calls import arg
from cnnscope.i18n import _, ngettext
from cnnscope.probes.unit.explanation import Term, UnitExplanation, make_check, split_top
from cnnscope.probes.unit.window import _sum_text


def linear(layer, unit, call, value, top: int) -> UnitExplanation:
    x = arg(call.args, call.kwargs, 0, "input", None)
    weight = arg(call.args, call.kwargs, 1, "weight", None)
    bias = arg(call.args, call.kwargs, 2, "bias", None)
    lead, j = tuple(unit[:-1]), unit[-1]
    x64 = x.detach().double()[(0, *lead)].cpu().numpy() if x.dim() > 1 else x.detach().double().cpu().numpy()
    w64 = weight[j].detach().double().cpu().numpy()
    b64 = float(bias[j]) if bias is not None else 0.0
    products = x64 * w64
    terms = [Term(i, (), (*lead, i), float(x64[i]), float(w64[i]), float(products[i])) for i in range(len(x64))]
    total = float(np.sum(products, dtype=np.float64)) + b64
    redone = float(F.linear(torch.from_numpy(x64)[None], torch.from_numpy(w64)[None],
                            torch.tensor([b64], dtype=torch.float64))[0, 0])
    kept, rest = split_top(terms, top)
    formula = [ngettext("y_{j} = b_{j} + Σ_i x_i·W[{j}, i] over the {n} input feature",
                        "y_{j} = b_{j} + Σ_i x_i·W[{j}, i] over the {n} input features", len(terms)).format(
                            j=j, n=f"{len(terms):,}"),
               f"y_{j} = {b64:.6g} + ({_sum_text(kept, rest)}) = {total:.6g}"]
    return UnitExplanation(layer, tuple(unit), "linear", call.name, value, tuple(x.shape[1:]), (), formula,
                           sum=total, bias=b64 if bias is not None else None, terms=len(terms), top=kept, rest=rest,
                           check=make_check(total, value, redone, x.dtype, float(np.abs(products).sum()) + abs(b64)))


def probabilities(logits, names) -> list[dict]:
    """Every class's softmax probability, in class order: ``{class, name, logit, probability}``."""
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    p = np.exp(z - z.max())
    p /= p.sum()
    return [{"class": k, "name": names[k] if names and k < len(names) else _("class {k}").format(k=k), "logit": float(z[k]),
             "probability": float(p[k])} for k in range(len(z))]


def softmax_lines(rows: list[dict], unit: int | None = None) -> list[str]:
    """The softmax written out for the most probable class (or ``unit``)."""
    z = np.array([r["logit"] for r in rows])
    pick = unit if unit is not None else int(np.argmax(z))
    m = z.max()
    total = float(np.exp(z - m).sum())
    return [_("p_c = e^(z_c) / Σ_k e^(z_k)  (computed as e^(z_c − max z) / Σ_k e^(z_k − max z): the same number, "
              "no overflow)"),
            f"p_{pick} = e^({z[pick]:.6g} − {m:.6g}) / {total:.6g} = {float(np.exp(z[pick] - m) / total):.6g}"
            + (f"  ({rows[pick]['name']})" if rows[pick]["name"] != str(pick) else "")]


def softmax(layer, unit, call, value, names) -> UnitExplanation:
    x = arg(call.args, call.kwargs, 0, "input", None)
    dim = arg(call.args, call.kwargs, 1, "dim", -1)
    x64 = x.detach().double()
    if dim is None or x.dim() != 2 or dim not in (1, -1):
        redone = float(F.softmax(x64, dim=dim if dim is not None else -1)[(0, *unit)])
        return UnitExplanation(layer, tuple(unit), "softmax", call.name, value, tuple(x.shape[1:]), (),
                               [_("y = e^(x) / Σ e^(x) along axis {dim}").format(dim=dim), f"y = {redone:.6g}"], sum=redone,
                               check=make_check(redone, value, redone, x.dtype, 1.0))
    rows = probabilities(x64[0].cpu().numpy(), names)
    total = rows[unit[0]]["probability"]
    redone = float(F.softmax(x64, dim=1)[0, unit[0]])
    return UnitExplanation(layer, tuple(unit), "softmax", call.name, value, tuple(x.shape[1:]), (),
                           softmax_lines(rows, unit[0]), sum=total, terms=len(rows),
                           check=make_check(total, value, redone, x.dtype, 1.0), details={"softmax": rows})
