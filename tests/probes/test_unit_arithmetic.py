"""probes.unit redoes one unit of a convolution: for random configurations its explained total is the
module's own output, every product is input · weight of the right tap, and the top/rest split is exact.

The reference is always the torch module itself (run in float64) and the convolution's definition:
tap k of output position o reads input position o·s − p + k·d (transposed: input i lands on
i·s − p + k·d), counted here by brute force, independently of the code under test.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from cnnscope.probes.unit import explain

CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
TRANSPOSED = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@st.composite
def conv_configs(draw, dims=st.sampled_from([1, 2])):
    n = draw(dims)
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cin, cout = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 2))
    kernel = [draw(st.integers(1, 4)) for _ in range(n)]
    dilation = [draw(st.integers(1, 3)) for _ in range(n)]
    padding = draw(st.sampled_from(["int", "int", "same", "valid"]))
    stride = [1] * n if padding == "same" else [draw(st.integers(1, 3)) for _ in range(n)]
    if padding == "int":
        padding = [draw(st.integers(0, 3)) for _ in range(n)]
    pads = padding if isinstance(padding, list) else [0] * n
    # an input at least one kernel span wide (after padding), so the output is never empty
    size = [max(draw(st.integers(1, 9)), d * (k - 1) + 1 - 2 * p) for k, d, p in zip(kernel, dilation, pads)]
    return dict(n=n, cin=cin, cout=cout, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                groups=groups, bias=draw(st.booleans()), size=size, seed=draw(st.integers(0, 2**16)))


@st.composite
def transposed_configs(draw, dims=st.sampled_from([1, 2])):
    n = draw(dims)
    groups = draw(st.sampled_from([1, 1, 2]))
    cin, cout = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 2))
    kernel = [draw(st.integers(1, 4)) for _ in range(n)]
    stride = [draw(st.integers(1, 3)) for _ in range(n)]
    dilation = [draw(st.integers(1, 2)) for _ in range(n)]
    # output_padding must be smaller than the stride or the dilation
    output_padding = [draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation)]
    padding = [draw(st.integers(0, d * (k - 1))) for k, d in zip(kernel, dilation)]
    size = [draw(st.integers(1, 6)) for _ in range(n)]
    out = [(m - 1) * s - 2 * p + d * (k - 1) + op + 1
           for m, s, p, d, k, op in zip(size, stride, padding, dilation, kernel, output_padding)]
    size = [m + max(0, -(-(1 - o) // s)) for m, o, s in zip(size, out, stride)]  # grown until out ≥ 1
    return dict(n=n, cin=cin, cout=cout, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                groups=groups, output_padding=output_padding, bias=draw(st.booleans()), size=size,
                seed=draw(st.integers(0, 2**16)))


def build(config, transposed=False, dtype=torch.float64):
    torch.manual_seed(config["seed"])
    kinds = TRANSPOSED if transposed else CONV
    extra = {"output_padding": config["output_padding"]} if transposed else {}
    module = kinds[config["n"]](config["cin"], config["cout"], config["kernel"], stride=config["stride"],
                                padding=config["padding"], dilation=config["dilation"], groups=config["groups"],
                                bias=config["bias"], **extra)
    module = module.to(dtype).eval().requires_grad_(False)
    x = torch.randn(1, config["cin"], *config["size"], dtype=dtype)
    with torch.no_grad():
        y = module(x)
    # a random unit, drawn from the seed (hypothesis already drew the configuration)
    rng = np.random.default_rng(config["seed"])
    unit = tuple(int(rng.integers(0, m)) for m in y.shape[1:])
    return nn.Sequential(module), x, y, unit


def module_padding(config) -> list[int]:
    """Padding before the first element, as torch applies it ('same': the odd one goes after)."""
    if config["padding"] == "valid":
        return [0] * config["n"]
    if config["padding"] == "same":
        return [d * (k - 1) // 2 for k, d in zip(config["kernel"], config["dilation"])]
    return list(config["padding"])


def assert_split_is_exact(e, bias):
    # rest[1] + Σ top products + bias == sum, and the top is in decreasing |product| order
    assert e.rest[1] + sum(t.product for t in e.top) + bias == pytest.approx(e.sum, rel=1e-12, abs=1e-12)
    assert e.rest[0] + len(e.top) == e.terms
    magnitudes = [abs(t.product) for t in e.top]
    assert magnitudes == sorted(magnitudes, reverse=True)


@settings(max_examples=70, **SETTINGS)
@given(conv_configs())
def test_conv_sum_is_the_modules_output_and_every_product_is_input_times_weight(config):
    model, x, y, unit = build(config)
    conv = model[0]
    expected = float(y[(0, *unit)])
    e = explain(model, x, "0", unit, top=10**6)
    assert e.kind == "conv"
    assert e.sum == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert e.value == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert e.check.ok and e.check.recomputed == pytest.approx(expected, rel=1e-6, abs=1e-9)
    per_group_in = config["cin"] // config["groups"]
    assert e.terms == per_group_in * math.prod(config["kernel"])
    bias = float(conv.bias[unit[0]]) if config["bias"] else 0.0
    assert e.bias == (bias if config["bias"] else None)  # None: the layer has no bias (not a bias of 0)
    assert_split_is_exact(e, bias)
    # with top ≥ terms the listed products are exactly all the (channel, tap) pairs, each input · weight
    assert e.rest == (0, 0.0) and len(e.top) == e.terms
    first = unit[0] // (config["cout"] // config["groups"]) * per_group_in
    expected_pairs = {(first + ci, tap) for ci in range(per_group_in)
                      for tap in itertools.product(*(range(k) for k in config["kernel"]))}
    assert {(t.channel, t.tap) for t in e.top} == expected_pairs
    pads = module_padding(config)
    for t in e.top:
        at = [o * s - p + k * d for o, s, p, k, d in zip(unit[1:], config["stride"], pads, t.tap, config["dilation"])]
        assert list(t.at) == at
        inside = all(0 <= a < m for a, m in zip(at, config["size"]))
        assert t.input == (float(x[(0, t.channel, *at)]) if inside else 0.0)
        assert t.weight == float(conv.weight[(unit[0], t.channel - first, *t.tap)])
        assert t.product == t.input * t.weight


@settings(max_examples=12, **SETTINGS)
@given(conv_configs(dims=st.just(3)))
def test_conv3d_sum_and_terms(config):
    model, x, y, unit = build(config)
    e = explain(model, x, "0", unit, top=5)
    assert e.sum == pytest.approx(float(y[(0, *unit)]), rel=1e-6, abs=1e-9)
    assert e.check.ok
    assert e.terms == config["cin"] // config["groups"] * math.prod(config["kernel"])
    assert_split_is_exact(e, e.bias or 0.0)
    assert len(e.top) == min(5, e.terms)


def landing_taps(config, unit):
    """Brute force: every (input channel, input position, tap) whose product lands on ``unit``."""
    c, out = unit[0], unit[1:]
    per_group_in = config["cin"] // config["groups"]
    first = c // (config["cout"] // config["groups"]) * per_group_in
    found = set()
    for ci in range(first, first + per_group_in):
        for at in itertools.product(*(range(m) for m in config["size"])):
            for tap in itertools.product(*(range(k) for k in config["kernel"])):
                lands = [i * s - p + k * d for i, s, p, k, d in
                         zip(at, config["stride"], config["padding"], tap, config["dilation"])]
                if lands == list(out):
                    found.add((ci, tap, at))
    return found, first


@settings(max_examples=60, **SETTINGS)
@given(transposed_configs())
def test_transposed_sum_counts_only_the_taps_that_land(config):
    model, x, y, unit = build(config, transposed=True)
    conv = model[0]
    expected = float(y[(0, *unit)])
    e = explain(model, x, "0", unit, top=10**6)
    assert e.kind == "transposed_conv"
    assert e.sum == pytest.approx(expected, rel=1e-6, abs=1e-9)
    assert e.value == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert e.check.ok
    landing, first = landing_taps(config, unit)
    assert e.terms == len(landing)
    bias = float(conv.bias[unit[0]]) if config["bias"] else 0.0
    assert_split_is_exact(e, bias)
    assert {(t.channel, t.tap, t.at) for t in e.top} == landing
    per_group_out = config["cout"] // config["groups"]
    for t in e.top:
        assert t.input == float(x[(0, t.channel, *t.at)])
        assert t.weight == float(conv.weight[(t.channel, unit[0] % per_group_out, *t.tap)])


@settings(max_examples=25, **SETTINGS)
@given(conv_configs(dims=st.sampled_from([1, 2, 3])))
def test_float32_conv_is_checked_within_its_own_rounding(config):
    model, x, y, unit = build(config, dtype=torch.float32)
    e = explain(model, x, "0", unit)
    assert e.value == float(y[(0, *unit)])
    assert e.check.ok
    assert abs(e.sum - e.value) <= e.check.tolerance
    # the float64 sum is closer to the exact answer than float32 is: the float64 module agrees to 1e-9
    double = model.double()
    assert e.sum == pytest.approx(float(double(x.double())[(0, *unit)]), rel=1e-9, abs=1e-12)


@settings(max_examples=15, **SETTINGS)
@given(transposed_configs(dims=st.sampled_from([1, 2, 3])))
def test_float32_transposed_is_checked_within_its_own_rounding(config):
    model, x, y, unit = build(config, transposed=True, dtype=torch.float32)
    e = explain(model, x, "0", unit)
    assert e.check.ok
    assert abs(e.sum - e.value) <= e.check.tolerance


def test_a_wide_conv_lists_the_largest_products_and_sums_the_others_exactly():
    torch.manual_seed(3)
    conv = nn.Conv2d(64, 4, 3, padding=1).double().eval().requires_grad_(False)
    x = torch.randn(1, 64, 6, 6, dtype=torch.float64)
    e = explain(nn.Sequential(conv), x, "0", (2, 3, 4), top=10)
    assert e.terms == 64 * 9 and len(e.top) == 10 and e.rest[0] == 64 * 9 - 10
    products = (F.pad(x, [1, 1, 1, 1])[0, :, 3:6, 4:7] * conv.weight[2]).reshape(-1)
    biggest = products.abs().sort(descending=True).values[:10]
    assert [abs(t.product) for t in e.top] == pytest.approx(biggest.tolist(), rel=1e-15)
    assert e.rest[1] == pytest.approx(float(products.sum()) - sum(t.product for t in e.top), rel=1e-9, abs=1e-12)
    assert e.sum == pytest.approx(float(conv(x)[0, 2, 3, 4]), rel=1e-12)
    # the per-channel sums add up to the total without the bias
    assert sum(s for _, s in e.channels) + (e.bias or 0.0) == pytest.approx(e.sum, rel=1e-12)
    assert [c for c, _ in e.channels] == list(range(64))
