"""A unit's ``field`` is where its gradient can be non-zero: proved against torch's autograd.

For a convolution with zero padding the gradient is taken with respect to the PADDED input (F.pad
first, then the conv with padding 0), so the part of the field that lies in the padding is visible
too; its bounding box, shifted back by the padding, must be ``field``.  Weights and inputs are random
normal, so no tap's gradient is zero by accident.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from cnnscope.probes.unit import explain

CONV = {1: nn.Conv1d, 2: nn.Conv2d}
TRANSPOSED = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d}
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def support(grad: torch.Tensor) -> np.ndarray:
    """Spatial positions (summed over the batch and channel axes) where the gradient is not zero."""
    return np.argwhere(grad.abs().sum(dim=(0, 1)).numpy() > 0)


def bounding_box(points: np.ndarray, shift=None) -> list[tuple[int, int]] | None:
    if len(points) == 0:
        return None
    shift = np.zeros(points.shape[1], dtype=int) if shift is None else np.asarray(shift)
    return [(int(lo), int(hi)) for lo, hi in zip(points.min(axis=0) - shift, points.max(axis=0) - shift)]


@st.composite
def zero_padded_convs(draw):
    n = draw(st.sampled_from([1, 2]))
    groups = draw(st.sampled_from([1, 2]))
    kernel = [draw(st.integers(1, 4)) for _ in range(n)]
    stride = [draw(st.integers(1, 3)) for _ in range(n)]
    dilation = [draw(st.integers(1, 3)) for _ in range(n)]
    padding = [draw(st.integers(0, 4)) for _ in range(n)]
    size = [max(draw(st.integers(1, 10)), d * (k - 1) + 1 - 2 * p) for k, d, p in zip(kernel, dilation, padding)]
    return dict(n=n, groups=groups, kernel=kernel, stride=stride, dilation=dilation, padding=padding, size=size,
                seed=draw(st.integers(0, 2**16)))


@settings(max_examples=80, **SETTINGS)
@given(zero_padded_convs())
def test_conv_field_is_the_gradient_support_through_the_padding(config):
    torch.manual_seed(config["seed"])
    n, pads = config["n"], config["padding"]
    conv = CONV[n](2 * config["groups"], 2 * config["groups"], config["kernel"], stride=config["stride"],
                   padding=pads, dilation=config["dilation"], groups=config["groups"]).double().eval()
    x = torch.randn(1, 2 * config["groups"], *config["size"], dtype=torch.float64)
    with torch.no_grad():
        out_shape = conv(x).shape[1:]
    rng = np.random.default_rng(config["seed"])
    unit = tuple(int(rng.integers(0, m)) for m in out_shape)

    padded = F.pad(x, [q for p in reversed(pads) for q in (p, p)]).requires_grad_()
    conv_nd = getattr(F, f"conv{n}d")
    y = conv_nd(padded, conv.weight, conv.bias, config["stride"], 0, config["dilation"], config["groups"])
    y[(0, *unit)].backward()
    e = explain(nn.Sequential(conv), x, "0", unit)
    assert e.field == bounding_box(support(padded.grad), shift=pads)

    # ``clipped`` is ``field`` cut to the image.  With dilation 1 every position of the box is a tap, so
    # that is also the bounding box of the gradient on the real pixels.  With dilation d > 1 the taps sit
    # d apart: at the border the first in-image tap can be up to d − 1 pixels inside the cut box (taps at
    # −1, 1, 3 give the gradient box 1..3, ``clipped`` 0..3).  What always holds: the gradient's box on the
    # image lies inside ``clipped``, and the two agree whenever no tap falls in the padding.
    inside = support(padded.grad[(slice(None), slice(None), *(slice(p, p + m) for p, m in zip(pads, config["size"])))])
    on_image = bounding_box(inside)
    cut = [(max(lo, 0), min(hi, m - 1)) for (lo, hi), m in zip(e.field, config["size"])]
    if on_image is None:  # the unit reads padding only
        assert e.clipped is None or all(lo > hi for lo, hi in cut) or e.clipped == cut
        return
    assert e.clipped == cut
    for (glo, ghi), (clo, chi), d in zip(on_image, e.clipped, config["dilation"]):
        assert clo <= glo <= ghi <= chi
        assert glo - clo < d and chi - ghi < d
    if all(d == 1 for d in config["dilation"]) or all(lo >= 0 and hi < m for (lo, hi), m in zip(e.field, config["size"])):
        assert e.clipped == on_image


def test_dilated_border_unit_clipped_box_is_wider_than_its_gradient():
    # Taps at −1, 1, 3 (k = 3, d = 2, p = 1, unit 0): the pixels that matter are 1..3, ``clipped`` says 0..3.
    torch.manual_seed(0)
    conv = nn.Conv1d(1, 1, 3, padding=1, dilation=2, bias=False).double().eval()
    x = torch.randn(1, 1, 8, dtype=torch.float64, requires_grad=True)
    conv(x)[0, 0, 0].backward()
    assert support(x.grad[:, :, None]).tolist() == [[0, 1], [0, 3]]
    e = explain(nn.Sequential(conv), x.detach(), "0", (0, 0))
    assert e.field == [(-1, 3)]
    assert e.clipped == [(0, 3)]  # the cut box, not the gradient's 1..3 (see the report of issue 23)
    assert sorted(t.at for t in e.top) == [(-1,), (1,), (3,)]


@st.composite
def transposed_convs(draw):
    n = draw(st.sampled_from([1, 2]))
    kernel = [draw(st.integers(1, 4)) for _ in range(n)]
    stride = [draw(st.integers(1, 3)) for _ in range(n)]
    dilation = [draw(st.integers(1, 2)) for _ in range(n)]
    output_padding = [draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation)]
    padding = [draw(st.integers(0, d * (k - 1))) for k, d in zip(kernel, dilation)]
    size = [draw(st.integers(1, 6)) for _ in range(n)]
    out = [(m - 1) * s - 2 * p + d * (k - 1) + op + 1
           for m, s, p, d, k, op in zip(size, stride, padding, dilation, kernel, output_padding)]
    size = [m + max(0, -(-(1 - o) // s)) for m, o, s in zip(size, out, stride)]
    return dict(n=n, kernel=kernel, stride=stride, dilation=dilation, padding=padding,
                output_padding=output_padding, size=size, seed=draw(st.integers(0, 2**16)))


@settings(max_examples=80, **SETTINGS)
@given(transposed_convs())
def test_transposed_terms_sit_exactly_where_the_gradient_is(config):
    torch.manual_seed(config["seed"])
    conv = TRANSPOSED[config["n"]](2, 3, config["kernel"], stride=config["stride"], padding=config["padding"],
                                   dilation=config["dilation"], output_padding=config["output_padding"])
    conv = conv.double().eval()
    x = torch.randn(1, 2, *config["size"], dtype=torch.float64, requires_grad=True)
    y = conv(x)
    rng = np.random.default_rng(config["seed"])
    unit = tuple(int(rng.integers(0, m)) for m in y.shape[1:])
    y[(0, *unit)].backward()
    e = explain(nn.Sequential(conv), x.detach(), "0", unit, top=10**6)
    grad_support = {tuple(int(i) for i in p) for p in support(x.grad)}
    assert {t.at for t in e.top} == grad_support
    if grad_support:  # input pixels of a transposed conv on the image: the field is their box
        box = bounding_box(np.array(sorted(grad_support)))
        assert e.field == box and e.clipped == box
    else:
        assert e.terms == 0 and e.sum == e.bias and e.field is None


class _Stack(nn.Module):
    """conv → relu → pool → conv, the pool given as a function so a twin can swap max for mean."""

    def __init__(self, pool_kernel, pool_stride, pool_padding, second_stride, second_padding):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 3, 3, padding=1)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(pool_kernel, pool_stride, pool_padding)
        self.conv2 = nn.Conv2d(3, 2, 3, stride=second_stride, padding=second_padding)

    def forward(self, x):
        return self.conv2(self.pool(self.relu(self.conv1(x))))

    def structural(self, x):
        """The same network with the max pool's window averaged: a max sends its gradient to the winner
        alone, a mean to every cell of the same window, so this gradient's support is every pixel the
        unit can depend on (its receptive field), which is what ``field`` claims."""
        p = self.pool
        pooled = F.avg_pool2d(self.relu(self.conv1(x)), p.kernel_size, p.stride, p.padding)
        return self.conv2(pooled)


@pytest.mark.parametrize("geometry", [(2, 2, 0, 1, 1), (3, 2, 1, 2, 1), (3, 1, 1, 1, 2)])
def test_stack_field_is_the_gradient_support_for_every_unit_of_the_last_conv(geometry):
    torch.manual_seed(1)
    model = _Stack(*geometry).double().eval()
    with torch.no_grad():  # all positive: no ReLU or sum zeroes a gradient by accident
        for p in model.parameters():
            p.copy_(p.abs() + 0.01)
    x = torch.rand(1, 2, 13, 11, dtype=torch.float64) + 0.1
    with torch.no_grad():
        out = model(x)
    # every position (the field does not depend on the channel: channel 0 everywhere, channel 1 at two corners)
    units = [(0, i, j) for i in range(out.shape[2]) for j in range(out.shape[3])]
    units += [(1, 0, 0), (1, out.shape[2] - 1, out.shape[3] - 1)]
    from cnnscope.probes.unit import capture, explain_captured

    captured = capture(model, x, "conv2")
    border = 0
    for unit in units:
        xg = x.clone().requires_grad_()
        model.structural(xg)[(0, *unit)].backward()
        e = explain_captured(captured, unit)
        assert e.sum == pytest.approx(float(out[(0, *unit)]), rel=1e-9)
        assert e.clipped == bounding_box(support(xg.grad)), unit
        # the real max pool's gradient reaches only winners: inside the same box
        xr = x.clone().requires_grad_()
        model(xr)[(0, *unit)].backward()
        real = bounding_box(support(xr.grad))
        assert all(clo <= lo <= hi <= chi for (lo, hi), (clo, chi) in zip(real, e.clipped))
        border += e.field != e.clipped
    assert 0 < border < len(units)  # both kinds of unit were checked


def test_a_transposed_unit_no_input_lands_on_is_its_bias_and_has_no_field():
    # stride 3, kernel 1: input i lands on output 3·i only; outputs 1 and 2 get the bias alone
    conv = nn.ConvTranspose1d(2, 1, 1, stride=3).double().eval().requires_grad_(False)
    x = torch.randn(1, 2, 3, dtype=torch.float64)
    with torch.no_grad():
        y = conv(x)
    e = explain(nn.Sequential(conv), x, "0", (0, 4))
    assert e.terms == 0 and e.top == [] and e.field is None and e.clipped is None
    assert e.sum == e.bias == float(conv.bias[0]) == float(y[0, 0, 4]) and e.check.ok
    e = explain(nn.Sequential(conv), x, "0", (0, 3))
    assert e.terms == 2 and {t.at for t in e.top} == {(1,)} and e.field == [(1, 1)]


@pytest.mark.parametrize("geometry", [(3, 2, 1, 1, 1), (4, 2, 1, 0, 1), (3, 3, 0, 2, 2), (2, 2, 0, 0, 1)])
def test_a_conv_after_a_transposed_conv_has_the_exact_field_of_every_unit(geometry):
    """After a transposed conv the field differs unit by unit (found by a review: a uniform field left
    pixels out): every unit of the conv after it has its gradient support's bounding box as ``clipped``."""
    k, s, p, output_padding, d = geometry
    torch.manual_seed(2)
    model = nn.Sequential(nn.ConvTranspose2d(2, 2, k, stride=s, padding=p, output_padding=output_padding,
                                             dilation=d),
                          nn.ReLU(), nn.Conv2d(2, 2, 3, padding=1)).double().eval()
    with torch.no_grad():  # all positive: nothing zeroes a gradient by accident
        for parameter in model.parameters():
            parameter.copy_(parameter.abs() + 0.01)
    x = torch.rand(1, 2, 7, 6, dtype=torch.float64) + 0.1
    from cnnscope.probes.unit import capture, explain_captured

    captured = capture(model, x, "2")
    out = captured.output
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            xg = x.clone().requires_grad_()
            model(xg)[0, 0, i, j].backward()
            e = explain_captured(captured, (0, i, j))
            assert e.clipped == bounding_box(support(xg.grad)), (i, j)
