"""Rows that act on each position alone, worked out for one unit: batch norm with its statistics
filled in, activations with their formula, and the rows that pass values through (dropout in eval)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from cnnscope.analysis.calls import arg
from cnnscope.i18n import N_, _
from cnnscope.probes.unit.explanation import UnitExplanation, make_check

# The formula of each activation in letters; the value itself always comes from torch in float64.
ACTIVATIONS = {
    "relu": "max(0, x)", "relu6": "min(max(0, x), 6)", "leaky_relu": "x if x ≥ 0 else slope·x",
    "elu": "x if x > 0 else α·(eˣ − 1)", "selu": "scale·(x if x > 0 else α·(eˣ − 1))",
    "celu": "max(0, x) + min(0, α·(e^(x/α) − 1))", "gelu": N_("x·Φ(x), Φ the standard normal CDF"),
    "silu": "x·σ(x) = x / (1 + e⁻ˣ)", "sigmoid": "σ(x) = 1 / (1 + e⁻ˣ)", "tanh": "(eˣ − e⁻ˣ) / (eˣ + e⁻ˣ)",
    "hardswish": "x·min(max(x + 3, 0), 6) / 6", "hardsigmoid": "min(max(x + 3, 0), 6) / 6",
    "hardtanh": "min(max(x, min_val), max_val)", "mish": "x·tanh(softplus(x))",
    "softplus": N_("log(1 + eˣ) / β·β (linear above the threshold)"), "logsigmoid": "log σ(x)",
    "softsign": "x / (1 + |x|)", "tanhshrink": "x − tanh(x)", "threshold": "x if x > threshold else value",
    "prelu": N_("x if x ≥ 0 else a·x (a learned per channel)"), "hardshrink": "x if |x| > λ else 0",
    "softshrink": "x − λ·sign(x) if |x| > λ else 0", "rrelu": N_("x if x ≥ 0 else a·x (a fixed in eval)"),
}
PASS_THROUGH = {"dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
                "identity"}


def batch_norm(layer, unit, call, value) -> UnitExplanation:
    x = arg(call.args, call.kwargs, 0, "input", None)
    mean = arg(call.args, call.kwargs, 1, "running_mean", None)
    var = arg(call.args, call.kwargs, 2, "running_var", None)
    weight = arg(call.args, call.kwargs, 3, "weight", None)
    bias = arg(call.args, call.kwargs, 4, "bias", None)
    training = bool(arg(call.args, call.kwargs, 5, "training", False))
    eps = float(arg(call.args, call.kwargs, 7, "eps", 1e-5))
    c = unit[0]
    x64 = x.detach().double()
    if training or mean is None or var is None:  # batch statistics: this batch's mean and (biased) variance
        values = x64[:, c]
        mu, sigma2, source = float(values.mean()), float(values.var(unbiased=False)), "this batch's"
    else:
        mu, sigma2, source = float(mean[c]), float(var[c]), "running"
    gamma = float(weight[c]) if weight is not None else 1.0
    beta = float(bias[c]) if bias is not None else 0.0
    xin = float(x64[(0, *unit)])
    total = (xin - mu) / np.sqrt(sigma2 + eps) * gamma + beta
    redone = float(F.batch_norm(x64[:, c:c + 1], torch.tensor([mu], dtype=torch.float64),
                                torch.tensor([sigma2], dtype=torch.float64),
                                torch.tensor([gamma], dtype=torch.float64), torch.tensor([beta], dtype=torch.float64),
                                False, 0.0, eps)[(0, 0, *unit[1:])])
    rule = (_("y = (x − μ) / √(σ² + ε) · γ + β   (μ, σ²: the running mean and variance of channel {c}; γ, β: its "
              "learned scale and shift)") if source == "running" else
            _("y = (x − μ) / √(σ² + ε) · γ + β   (μ, σ²: this batch's mean and variance of channel {c}; γ, β: its "
              "learned scale and shift)"))
    formula = [rule.format(c=c),
               f"y = ({xin:.6g} − {mu:.6g}) / √({sigma2:.6g} + {eps:g}) · {gamma:.6g} + {beta:.6g} = {total:.6g}"]
    # torch computes x·scale + (β − μ·scale): its rounding is relative to |x·scale| and |μ·scale|, which
    # can dwarf the result when x and μ are large and close (a float32 input of 300 against μ = 300)
    scale = (abs(xin) + abs(mu)) * abs(gamma) / np.sqrt(sigma2 + eps) + abs(beta) + abs(total) + 1e-12
    return UnitExplanation(layer, tuple(unit), "batch_norm", call.name, value, tuple(x.shape[1:]), (), formula,
                           sum=float(total), check=make_check(float(total), value, redone, x.dtype, scale),
                           details={"input": xin, "mean": mu, "var": sigma2, "eps": eps, "weight": gamma,
                                    "bias": beta, "statistics": source})


def activation(layer, unit, call, value) -> UnitExplanation:
    x = arg(call.args, call.kwargs, 0, "input", None)
    xin = float(x.detach().double()[(0, *unit)])
    redone = _float64_call(call, x, unit)
    rule = _(ACTIVATIONS[call.name]) if call.name in ACTIVATIONS else f"{call.name}(x)"  # prose ones are N_
    formula = [f"y = {call.name}(x) = {rule}", f"y = {call.name}({xin:.6g}) = {redone:.6g}"]
    if call.name == "relu":
        formula[1] = f"y = max(0, {xin:.6g}) = {redone:.6g}"
    return UnitExplanation(layer, tuple(unit), "activation", call.name, value, tuple(x.shape[1:]), (), formula,
                           sum=redone, check=make_check(redone, value, redone, x.dtype, abs(redone) + abs(xin)),
                           details={"input": xin})


def pass_through(layer, unit, call, value, training: bool = False) -> UnitExplanation:
    x = arg(call.args, call.kwargs, 0, "input", None)
    xin = float(x.detach().double()[(0, *unit)])
    formula = [_("y = x: {op} passes its input through when the model is evaluated").format(op=call.name),
               f"y = {xin:.6g}"]
    return UnitExplanation(layer, tuple(unit), "identity", call.name, value, tuple(x.shape[1:]), (), formula,
                           sum=xin, check=make_check(xin, value, xin, x.dtype, abs(xin)), details={"input": xin})


def _float64_call(call, x, unit) -> float:
    """The call redone by torch in float64 (its parameters, PReLU's weight, in float64 too); never in place."""
    fn = getattr(F, call.name, None) or getattr(torch, call.name)
    args = [x.detach().double()] + [a.double() if isinstance(a, torch.Tensor) else a for a in call.args[1:]]
    kwargs = {k: v for k, v in call.kwargs.items() if k != "inplace"}
    return float(fn(*args, **kwargs)[(0, *unit)])
