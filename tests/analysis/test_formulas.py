"""Per-layer formula table: (layer, input) -> hand-computed output shape, MACs, params.

Each MAC figure is worked out from the layer definition: output elements × (C_in/groups × kernel
area) for convolutions, input elements × (C_out/groups × kernel area) for transposed ones.
"""

import pytest
import torch
from torch import nn

import cnnscope

CASES = [
    # id, layer, input shape, output shape, MACs, params
    ("conv", nn.Conv2d(3, 8, 3), (1, 3, 32, 32), (1, 8, 30, 30), 8 * 30 * 30 * 3 * 9, 8 * 27 + 8),
    ("conv-no-bias", nn.Conv2d(3, 8, 3, bias=False), (2, 3, 32, 32), (2, 8, 30, 30), 2 * 8 * 30 * 30 * 27, 216),
    ("depthwise", nn.Conv2d(32, 32, 3, padding=1, groups=32), (1, 32, 16, 16), (1, 32, 16, 16), 32 * 256 * 9, 32 * 9 + 32),
    ("grouped", nn.Conv2d(8, 12, 3, groups=4), (1, 8, 10, 10), (1, 12, 8, 8), 12 * 64 * 2 * 9, 12 * 2 * 9 + 12),
    ("dilated", nn.Conv2d(4, 6, 3, dilation=2), (1, 4, 20, 20), (1, 6, 16, 16), 6 * 16 * 16 * 4 * 9, 6 * 36 + 6),
    # H: floor((15 + 2 - 2 - 1) / 2) + 1 = 8; W: floor((9 + 4 - 4 - 1) / 1) + 1 = 9
    ("strided-non-square", nn.Conv2d(2, 5, (3, 5), stride=(2, 1), padding=(1, 2)), (1, 2, 15, 9), (1, 5, 8, 9),
     5 * 8 * 9 * 2 * 15, 5 * 30 + 5),
    ("same-padding", nn.Conv2d(3, 4, 5, padding="same"), (1, 3, 11, 13), (1, 4, 11, 13), 4 * 11 * 13 * 75, 4 * 75 + 4),
    # out = (7 - 1)·2 − 2·1 + (4 − 1) + 1 = 14; MACs use the input's spatial size: 8·7·7 × 4·16
    ("transposed", nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), (1, 8, 7, 7), (1, 4, 14, 14), 8 * 49 * 4 * 16,
     8 * 4 * 16 + 4),
    ("transposed-grouped", nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2), (1, 4, 5, 5), (1, 6, 11, 11),
     4 * 25 * 3 * 9, 4 * 3 * 9 + 6),
    ("conv1d", nn.Conv1d(4, 8, 5, stride=2), (1, 4, 33), (1, 8, 15), 8 * 15 * 4 * 5, 8 * 20 + 8),
    ("conv3d", nn.Conv3d(2, 3, 3), (1, 2, 5, 6, 7), (1, 3, 3, 4, 5), 3 * 60 * 2 * 27, 3 * 54 + 3),
    ("linear", nn.Linear(20, 30), (4, 20), (4, 30), 4 * 30 * 20, 630),
    ("linear-3d", nn.Linear(20, 30, bias=False), (2, 5, 20), (2, 5, 30), 2 * 5 * 30 * 20, 600),
    # ceil_mode: ceil((8 - 3) / 2) + 1 = 4, floor gives 3
    ("maxpool-ceil", nn.MaxPool2d(3, 2, ceil_mode=True), (1, 1, 8, 8), (1, 1, 4, 4), 0, 0),
    ("maxpool-floor", nn.MaxPool2d(3, 2), (1, 1, 8, 8), (1, 1, 3, 3), 0, 0),
    # ceil_mode drops a last window that would start in the right padding: 5 → 3, not 4
    ("avgpool-ceil-padded", nn.AvgPool2d(3, 2, padding=1, ceil_mode=True), (1, 2, 5, 5), (1, 2, 3, 3), 0, 0),
    ("adaptive-non-divisible", nn.AdaptiveAvgPool2d((3, 5)), (1, 2, 7, 11), (1, 2, 3, 5), 0, 0),
    ("batchnorm", nn.BatchNorm2d(4), (1, 4, 5, 5), (1, 4, 5, 5), 0, 8),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_formula(case):
    _, layer, shape, out_shape, macs, params = case
    report = cnnscope.analyze(layer, shape)
    row = report.layers[0]
    assert tuple(row.output_shape) == out_shape
    assert row.macs == report.totals.macs == macs
    assert report.totals.flops == 2 * macs
    assert row.params == report.totals.params == params


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_output_shapes_equal_a_real_forward_pass(case):
    _, layer, shape, out_shape, _, _ = case
    with torch.no_grad():
        assert tuple(layer.eval()(torch.zeros(shape)).shape) == out_shape


def test_shape_arithmetic_matches_pytorch_for_pools():
    from cnnscope.geometry import window_output_size

    for size in range(3, 20):
        for kernel, stride, padding, ceil in [(3, 2, 1, True), (2, 2, 0, True), (3, 3, 1, True), (3, 2, 0, False)]:
            expected = nn.MaxPool2d(kernel, stride, padding, ceil_mode=ceil)(torch.zeros(1, 1, size, size)).shape[-1]
            assert window_output_size(size, kernel, stride, padding, 1, ceil) == expected


def test_cheap_ops_are_counted_apart():
    r = cnnscope.analyze(nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2)), (1, 1, 10, 10))
    conv, bn, relu, pool = r.layers[1:]
    assert conv.macs == 2 * 64 * 9 and conv.other_ops == 0
    assert bn.macs == 0 and bn.other_ops == 2 * 128  # scale and shift
    assert relu.macs == 0 and relu.other_ops == 128
    assert pool.macs == 0 and pool.other_ops == 2 * 16 * 4  # 2×4×4 outputs × 2×2 window
    assert r.totals.buffers == 2 + 2 + 1  # running mean, var, num_batches_tracked: not parameters
    assert r.totals.params == 2 * 9 + 2 + 4


class CalledTwice(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return self.fc(torch.relu(self.fc(x)))


def test_a_module_called_twice_gives_two_rows_macs_twice_params_once():
    r = cnnscope.analyze(CalledTwice(), (3, 8))
    calls = [row for row in r.layers if row.name == "fc"]
    assert [c.call for c in calls] == [0, 1]
    assert [c.macs for c in calls] == [3 * 8 * 8, 3 * 8 * 8]
    assert [c.params for c in calls] == [72, 0]
    assert r.totals.params == 72 and r.totals.macs == 2 * 192


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.encode = nn.Linear(16, 4, bias=False)
        self.decode = nn.Linear(4, 16, bias=False)
        self.decode.weight = nn.Parameter(self.encode.weight.T.contiguous())
        self.head = nn.Linear(16, 16, bias=False)
        self.tail = nn.Linear(16, 16, bias=False)
        self.tail.weight = self.head.weight  # tied

    def forward(self, x):
        return self.tail(self.head(self.decode(self.encode(x))))


def test_tied_weights_are_counted_once():
    r = cnnscope.analyze(Tied(), (1, 16))
    assert r.totals.params == 64 + 64 + 256
    assert r.layer("head").params == 256 and r.layer("tail").params == 0
    assert sum(row.params for row in r.leaves()) == r.totals.params


class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(6, 3, 3, 3))

    def forward(self, x):
        y = F_conv(x, self.weight)
        y = torch.nn.functional.max_pool2d(y, 2)
        a = y.flatten(2)  # (1, 6, 25)
        return torch.matmul(a, a.transpose(1, 2))  # (1, 6, 6): 6·6·25 MACs


def F_conv(x, w):
    return torch.nn.functional.conv2d(x, w, padding=1)


def test_functional_ops_are_rows_with_their_costs():
    r = cnnscope.analyze(Functional(), (1, 3, 10, 10))
    conv = r.layer("conv2d")
    assert conv.kind == "function" and conv.kernel_size == [3, 3] and conv.padding == [1, 1]
    assert conv.macs == 6 * 100 * 27
    assert r.layer("max_pool2d").output_shape == [1, 6, 5, 5]
    assert r.layer("matmul").macs == 6 * 6 * 25
    assert r.totals.macs == 6 * 100 * 27 + 6 * 6 * 25
    assert r.totals.params == 162


def test_frozen_and_trainable_are_apart():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Linear(4, 2))
    for p in model[0].parameters():
        p.requires_grad_(False)
    r = cnnscope.analyze(model, (1, 3, 6, 6))  # Linear acts on the last axis (4)
    assert r.totals.frozen_params == 4 * 27 + 4
    assert r.totals.trainable_params == 4 * 2 + 2
    assert r.layer("0").trainable_params == 0


def test_an_empty_matrix_product_costs_nothing():
    from cnnscope.analysis import costs

    a, b = torch.zeros(0, 5), torch.zeros(5, 7)
    assert costs.macs_of(torch.ops.aten.mm.default, (a, b), {}, torch.mm(a, b)) == 0
    v = torch.zeros(5)
    assert costs.macs_of(torch.ops.aten.dot.default, (v, v), {}, torch.dot(v, v)) == 5
