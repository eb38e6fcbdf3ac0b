"""Receptive fields: published values, hand-worked cases, and the gradient cross-check.

The cross-check is the definition itself: with positive weights, average instead of max
pooling and positive inputs, the gradient of one unit is non-zero exactly on its field, so the
extent of the input-gradient support must equal the analytic size and start.
"""

import copy
import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

import cnnscope
from cnnscope.probes.empirical_rf import input_gradient, mass_squares, support_extent


def rf(report, name):
    return report.layer(name).rf


def make_positive(model: nn.Module) -> nn.Module:
    """Positive weights, zero biases, identity batch norm, max-pool → avg-pool of the same window."""
    model = copy.deepcopy(model).eval()
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.MaxPool2d):
                setattr(module, child_name, nn.AvgPool2d(child.kernel_size, child.stride, child.padding,
                                                         ceil_mode=child.ceil_mode))
    torch.manual_seed(0)
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear, nn.ConvTranspose2d)):
            module.weight.data.uniform_(0.1, 1.0)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.BatchNorm2d):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()
            module.running_mean.zero_()
            module.running_var.fill_(1.0)
    return model


def check_by_gradient(model, shape, layer, unit=None):
    """Assert analytic field == gradient support for one unit (its field must not be clipped)."""
    report = cnnscope.analyze(model, shape)
    field = rf(report, layer)
    x = torch.rand(shape, dtype=torch.float64) + 0.1
    grad, unit, _ = input_gradient(make_positive(model).double(), x, layer, unit)
    for axis, (first, last) in enumerate(support_extent(grad)):
        lo = field["start"][axis] + unit[axis] * field["jump"][axis]
        hi = lo + field["size"][axis] - 1
        assert lo >= 0 and hi < shape[2 + axis], "the test input clips the field; use a larger one"
        assert (first, last) == (lo, hi), (axis, (first, last), (lo, hi), field)
    return field


# -- published and textbook values -------------------------------------------------------------

def test_three_stacked_3x3_convolutions_see_3_5_7():
    model = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1) for _ in range(3)])
    report = cnnscope.analyze(model, (1, 1, 32, 32))
    assert [rf(report, n)["size"] for n in "012"] == [[3, 3], [5, 5], [7, 7]]
    assert [rf(report, n)["start"] for n in "012"] == [[-1, -1], [-2, -2], [-3, -3]]
    assert rf(report, "2")["recurrence"] == "r = 5 + (3−1)·1·1 = 7, j = 1·1 = 1, start = -2 − 1·1 = -3"
    check_by_gradient(model, (1, 1, 32, 32), "2")


def test_vgg16_pool5_matches_araujo_et_al():
    field = rf(cnnscope.analyze("vgg16"), "features.30")
    assert field["size"] == [212, 212] and field["jump"] == [32, 32]


def test_inception_v3_mixed_7c_matches_araujo_et_al():
    field = rf(cnnscope.analyze("inception_v3"), "Mixed_7c")
    assert field["size"] == [1311, 1311] and field["jump"] == [32, 32]


@pytest.mark.slow
def test_resnet18_layer4_checked_by_gradient():
    import torchvision

    field = check_by_gradient(torchvision.models.resnet18(), (1, 3, 512, 512), "layer4")
    assert field["size"] == [435, 435] and field["jump"] == [32, 32]


@pytest.mark.slow
def test_googlenet_inception_branches_checked_by_gradient():
    import torchvision

    model = torchvision.models.googlenet(aux_logits=False, init_weights=False)
    check_by_gradient(model, (1, 3, 288, 288), "inception3b")


def test_global_rows_after_pooling_flatten_and_linear():
    report = cnnscope.analyze("resnet18")
    for name in ("avgpool", "flatten", "fc", ""):
        assert rf(report, name) == {"size": [224, 224], "jump": None, "start": None, "global": True}


# -- must-handle cases ---------------------------------------------------------------------------

def test_non_square_kernels_strides_and_inputs_each_axis_on_its_own():
    model = nn.Sequential(nn.Conv2d(1, 2, (3, 5), stride=(1, 2), padding=(1, 2)), nn.ReLU(),
                          nn.Conv2d(2, 2, (5, 3), stride=(2, 1), dilation=(1, 2)))
    field = check_by_gradient(model, (1, 1, 41, 57), "2")
    # H: 3 → 3 + 4·1 = 7, jump 1 → 2;  W: 5 → 5 + 2·2·2 = 13, jump 2 → 2
    assert field["size"] == [7, 13] and field["jump"] == [2, 2]


def test_max_and_avg_pooling_with_padding_and_ceil_mode():
    model = nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(3, 2, padding=1, ceil_mode=True),
                          nn.AvgPool2d(2, 2, ceil_mode=True), nn.Conv2d(1, 1, 3))
    field = check_by_gradient(model, (1, 1, 61, 61), "3")
    # conv 3; max-pool (3−1)·1 → 5, jump 2; avg-pool (2−1)·2 → 7, jump 4; conv (3−1)·4 → 15
    assert field["size"] == [15, 15] and field["jump"] == [4, 4]


class FunctionalNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(2, 1, 3, 3))

    def forward(self, x):
        x = F.conv2d(x, self.w, padding=1)
        x = F.max_pool2d(x, 2)
        return F.relu(x)


def test_functional_ops_inside_forward():
    report = cnnscope.analyze(FunctionalNet(), (1, 1, 16, 16))
    assert rf(report, "conv2d")["size"] == [3, 3]
    assert rf(report, "max_pool2d") == {**rf(report, "max_pool2d"), "size": [4, 4], "jump": [2, 2]}
    assert rf(report, "relu")["size"] == [4, 4]


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(2, 2, 3, padding=1)
        self.b = nn.Conv2d(2, 2, 5, padding=2)
        self.shortcut = nn.Conv2d(2, 2, 1)

    def forward(self, x):
        return self.b(torch.relu(self.a(x))) + self.shortcut(x)


def test_residual_add_is_the_union_of_both_paths():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, stride=2), Residual())
    report = cnnscope.analyze(model, (1, 1, 41, 41))
    # main path: 3 + (3−1)·2 + (5−1)·2 = 15; shortcut: 3; union = 15
    assert rf(report, "1.add")["size"] == [15, 15]
    assert rf(report, "1")["size"] == [15, 15]
    check_by_gradient(model, (1, 1, 41, 41), "1.add")


def test_inception_concat_and_densenet_concat():
    report = cnnscope.analyze("inception_mini")
    assert rf(report, "3.cat")["size"] == [6 + 4 * 2, 6 + 4 * 2]  # 5×5 conv, 2×2 pool, then the 5×5 branch
    head = cnnscope.build_model("inception_mini")[:4]  # through the first Inception block
    check_by_gradient(head, (1, 1, 60, 60), "3.cat")
    dense = cnnscope.analyze("densenet121")
    assert rf(dense, "features.denseblock1.denselayer2.cat")["jump"] == [4, 4]


class SqueezeExcite(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        x = self.conv(x)
        return x * torch.sigmoid(self.fc(self.pool(x)))


def test_squeeze_excitation_gate_keeps_the_local_field_and_says_gated():
    report = cnnscope.analyze(SqueezeExcite(), (1, 1, 20, 20))
    assert rf(report, "pool")["global"] is True
    gate = rf(report, "mul")
    assert gate["size"] == [3, 3] and gate.get("gated") is True and gate["global"] is False


def test_transposed_convolution_has_a_fractional_jump():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, stride=2), nn.ConvTranspose2d(2, 1, 4, stride=2, padding=1))
    report = cnnscope.analyze(model, (1, 1, 33, 33))
    field = rf(report, "1")
    # jump 2 / 2 = 1; each output unit draws on ⌈4/2⌉ = 2 inputs: 3 + (2−1)·2 = 5
    assert field["jump"] == [1, 1] and field["size"] == [5, 5]
    x = torch.rand(1, 1, 33, 33, dtype=torch.float64) + 0.1
    widest = 0
    for unit in [(10, 10), (11, 11), (12, 13)]:
        grad, _, _ = input_gradient(make_positive(model).double(), x, "1", unit)
        (first, last), _ = support_extent(grad)
        widest = max(widest, last - first + 1)
    assert widest == 5


def test_nearest_upsampling_halves_the_jump():
    model = nn.Sequential(nn.Conv2d(1, 1, 3, stride=2), nn.Upsample(scale_factor=2), nn.Conv2d(1, 1, 3))
    report = cnnscope.analyze(model, (1, 1, 33, 33))
    assert rf(report, "1")["jump"] == [1, 1] and rf(report, "1")["size"] == [3, 3]
    assert rf(report, "2")["size"] == [5, 5]


def test_identity_and_elementwise_ops_keep_the_field():
    model = nn.Sequential(nn.Conv2d(1, 1, 5), nn.Identity(), nn.BatchNorm2d(1), nn.Dropout(), nn.GELU())
    report = cnnscope.analyze(model, (1, 1, 12, 12))
    assert {tuple(rf(report, n)["size"]) for n in "01234"} == {(5, 5)}


class Misaligned(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(1, 1, 3, padding=1)
        self.b = nn.Conv2d(1, 1, 2)

    def forward(self, x):
        return self.a(x) + self.b(F.pad(x, (0, 1, 0, 1)))


def test_misaligned_paths_give_the_union_and_a_diagnostic():
    report = cnnscope.analyze(Misaligned(), (1, 1, 10, 10))
    field = rf(report, "add")
    assert field["start"] == [-1, -1] and field["size"] == [3, 3]  # [−1, 2) ∪ [0, 2)
    assert any(d.code == "rf-misaligned" and d.layer == "add" for d in report.diagnostics)


def test_fields_stop_where_tokens_begin_and_attention_makes_them_global():
    report = cnnscope.analyze("vit_b_16")
    assert rf(report, "conv_proj")["size"] == [16, 16]
    assert rf(report, "heads")["global"] is True
    assert any(d.code == "rf-tokens" for d in report.diagnostics)


def test_convnext_channels_last_linear_keeps_the_field():
    report = cnnscope.analyze("convnext_tiny")
    first, later = rf(report, "features.1.0.block.3"), rf(report, "features.1.0.block.0")
    assert first == {**first, "size": later["size"], "global": False}


def test_mass_squares_of_a_uniform_map():
    import numpy as np

    grad = np.zeros((21, 21))
    grad[5:16, 5:16] = 1.0  # an 11×11 block
    squares = mass_squares(grad, (10, 10))
    assert squares["99%"] == 11 and squares["50%"] == math.ceil(math.sqrt(0.5 * 121))


# -- random branching nets: analytic == gradient support ----------------------------------------

@st.composite
def branching_nets(draw):
    layers, channels = [], 1

    def conv(out, k, s=1, p=0, d=1):
        return nn.Conv2d(channels, out, k, stride=s, padding=p, dilation=d)

    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["conv", "pool", "residual", "concat", "relu"]))
        if kind == "conv":
            kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
            sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 2))
            d = draw(st.integers(1, 2))
            layers.append(nn.Conv2d(channels, 2, (kh, kw), stride=(sh, sw), padding=(kh // 2, 0), dilation=d))
            channels = 2
        elif kind == "pool":
            k = draw(st.integers(2, 3))
            layers.append(nn.MaxPool2d(k, draw(st.integers(1, 3)), padding=draw(st.integers(0, k // 2)),
                                       ceil_mode=draw(st.booleans())))
        elif kind == "relu":
            layers.append(nn.ReLU())
        else:
            k1, k2 = draw(st.sampled_from([1, 3, 5])), draw(st.sampled_from([1, 3, 5]))
            d = draw(st.integers(1, 2))
            block = _Branches(channels, k1, k2, d, concat=kind == "concat")
            layers.append(block)
            channels = block.out_channels
    return nn.Sequential(*layers)


class _Branches(nn.Module):
    """Two 'same'-padded branches on one input, added (residual) or concatenated (Inception)."""

    def __init__(self, channels, k1, k2, dilation, concat):
        super().__init__()
        self.concat = concat
        self.left = nn.Conv2d(channels, 2, k1, padding=dilation * (k1 - 1) // 2, dilation=dilation)
        self.right = nn.Sequential(nn.Conv2d(channels, 2, k2, padding=(k2 - 1) // 2), nn.ReLU(),
                                   nn.Conv2d(2, 2, 3, padding=1))
        self.out_channels = 4 if concat else 2

    def forward(self, x):
        a, b = self.left(x), self.right(x)
        return torch.cat([a, b], dim=1) if self.concat else a + b


def _fitting_size(model, field_of):
    for size in (48, 96, 160, 240):
        try:
            report = cnnscope.analyze(model, (1, 1, size, size + 7))
        except cnnscope.errors.ShapeError:
            continue
        last = report.layers[-1]
        field = last.rf
        if field is None or field["global"]:
            return None, None
        out = last.output_shape[2:]
        unit = tuple((o - 1) // 2 for o in out)
        ok = all(0 <= field["start"][a] + unit[a] * field["jump"][a] and
                 field["start"][a] + unit[a] * field["jump"][a] + field["size"][a] <= (size, size + 7)[a]
                 for a in range(2))
        if ok:
            return (1, 1, size, size + 7), last.name
    return None, None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(branching_nets())
def test_random_branching_nets_match_the_gradient(model):
    shape, layer = _fitting_size(model, None)
    if shape is None:
        return  # the net shrinks too much for any test input: nothing to compare
    check_by_gradient(model, shape, layer)
