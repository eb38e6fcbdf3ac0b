"""Receptive fields: published values, hand-worked cases, and the gradient cross-check.

The cross-check is the definition itself: with positive weights, average instead of max
pooling and positive inputs, the gradient of one unit is non-zero exactly on its field, so the
extent of the input-gradient support must equal the analytic size and start.

The oracle is independent of the code under test: it takes a layer's output from a plain
``register_forward_hook`` on the module (or, for a functional row, from a forward written out in
the test), never from cnnscope's trace or its probes, and reads the support off ``x.grad``.
"""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch import nn

import cnnscope
from cnnscope.probes.empirical_rf import input_gradient, mass_squares


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


# -- the oracle: forward hooks and autograd only ------------------------------------------------

class _Reached(Exception):
    """Raised by the hook once the layer's output is seen: nothing after the layer needs to run."""


def module_output(name: str):
    """``output_of(model, x)``: the output of submodule ``name`` (its first call), from a forward hook."""

    def output_of(model, x):
        seen = []

        def hook(module, args, output):
            seen.append(output)
            raise _Reached

        handle = model.get_submodule(name).register_forward_hook(hook)
        try:
            model(x)
        except _Reached:
            pass
        finally:
            handle.remove()
        assert seen, f"module {name!r} was not called"
        return seen[0]

    return output_of


def gradient_support(model, x, output_of, unit=None):
    """((first, last) per spatial axis where ∂unit/∂x ≠ 0, the unit) for one unit of ``output_of(model, x)``.

    The unit defaults to the centre of the output grid; its channels are summed.
    """
    x = x.detach().clone().requires_grad_(True)
    out = output_of(model, x)
    unit = tuple(unit) if unit is not None else tuple((s - 1) // 2 for s in out.shape[2:])
    assert len(unit) == out.dim() - 2 and all(0 <= u < s for u, s in zip(unit, out.shape[2:])), (unit, out.shape)
    out[(slice(None), slice(None), *unit)].sum().backward()
    grad = x.grad.abs().sum(dim=(0, 1))  # over the batch and the input channels
    extents = []
    for axis in range(grad.dim()):
        others = tuple(a for a in range(grad.dim()) if a != axis)
        hits = torch.nonzero(grad.amax(dim=others) > 0).flatten().tolist()
        extents.append((hits[0], hits[-1]) if hits else (0, -1))
    return extents, unit


def check_by_gradient(model, shape, layer, output_of=None, unit=None):
    """Assert analytic field == gradient support for one unit (its field must not be clipped).

    ``output_of`` gives the layer's output from the real model; by default a forward hook on the
    module named ``layer``.  Functional rows pass a forward written out by hand.
    """
    report = cnnscope.analyze(model, shape)
    field = rf(report, layer)
    assert field is not None and not field.is_global, field
    x = torch.rand(shape, dtype=torch.float64) + 0.1
    extents, unit = gradient_support(make_positive(model).double(), x, output_of or module_output(layer), unit)
    for axis, (first, last) in enumerate(extents):
        lo = field.start[axis] + unit[axis] * field.jump[axis]
        hi = lo + field.size[axis] - 1
        assert lo >= 0 and hi < shape[2 + axis], "the test input clips the field; use a larger one"
        assert (first, last) == (lo, hi), (axis, (first, last), (lo, hi), field)
    return field


def test_the_oracle_sees_a_single_convolutions_window():
    conv = nn.Sequential(nn.Conv2d(1, 1, (3, 5), stride=(1, 2), dilation=(2, 1)))
    x = torch.rand(1, 1, 12, 15, dtype=torch.float64) + 0.1
    # unit (2, 3): rows 2..2+2·(3−1) = 6, columns 3·2 .. 3·2 + 4 = 10
    assert gradient_support(make_positive(conv).double(), x, module_output("0"), (2, 3)) == ([(2, 6), (6, 10)], (2, 3))


def test_the_effective_field_probe_agrees_with_the_oracle():
    model = make_positive(nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Conv2d(2, 1, 3, stride=2)))
    model = model.double()
    x = torch.rand(1, 1, 15, 15, dtype=torch.float64) + 0.1
    probe, unit, _ = input_gradient(model, x, "2", (3, 4))
    x = x.clone().requires_grad_(True)
    model[:3](x)[0, :, 3, 4].sum().backward()
    np.testing.assert_allclose(probe, x.grad.abs().sum(dim=(0, 1)).numpy())


# -- published and textbook values -------------------------------------------------------------

def test_three_stacked_3x3_convolutions_see_3_5_7():
    model = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=1) for _ in range(3)])
    report = cnnscope.analyze(model, (1, 1, 32, 32))
    assert [rf(report, n).size for n in "012"] == [[3, 3], [5, 5], [7, 7]]
    assert [rf(report, n).start for n in "012"] == [[-1, -1], [-2, -2], [-3, -3]]
    assert rf(report, "2").recurrence == "r = 5 + (3−1)·1·1 = 7, j = 1·1 = 1, start = -2 − 1·1 = -3"
    check_by_gradient(model, (1, 1, 32, 32), "2")


def test_vgg16_pool5_matches_araujo_et_al():
    field = rf(cnnscope.analyze("vgg16"), "features.30")
    assert field.size == [212, 212] and field.jump == [32, 32]


def test_inception_v3_mixed_7c_matches_araujo_et_al():
    field = rf(cnnscope.analyze("inception_v3"), "Mixed_7c")
    assert field.size == [1311, 1311] and field.jump == [32, 32]


@pytest.mark.slow
def test_resnet18_layer4_checked_by_gradient():
    import torchvision

    field = check_by_gradient(torchvision.models.resnet18(), (1, 3, 512, 512), "layer4")
    assert field.size == [435, 435] and field.jump == [32, 32]


@pytest.mark.slow
def test_googlenet_inception_branches_checked_by_gradient():
    import torchvision

    model = torchvision.models.googlenet(aux_logits=False, init_weights=False)
    check_by_gradient(model, (1, 3, 288, 288), "inception3b")


def test_global_rows_after_pooling_flatten_and_linear():
    report = cnnscope.analyze("resnet18")
    for name in ("avgpool", "flatten", "fc", ""):
        field = rf(report, name)
        assert (field.size, field.jump, field.start, field.is_global) == ([224, 224], None, None, True), name


# -- must-handle cases ---------------------------------------------------------------------------

def test_non_square_kernels_strides_and_inputs_each_axis_on_its_own():
    model = nn.Sequential(nn.Conv2d(1, 2, (3, 5), stride=(1, 2), padding=(1, 2)), nn.ReLU(),
                          nn.Conv2d(2, 2, (5, 3), stride=(2, 1), dilation=(1, 2)))
    field = check_by_gradient(model, (1, 1, 41, 57), "2")
    # H: 3 → 3 + 4·1 = 7, jump 1 → 2;  W: 5 → 5 + 2·2·2 = 13, jump 2 → 2
    assert field.size == [7, 13] and field.jump == [2, 2]


def test_max_and_avg_pooling_with_padding_and_ceil_mode():
    model = nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(3, 2, padding=1, ceil_mode=True),
                          nn.AvgPool2d(2, 2, ceil_mode=True), nn.Conv2d(1, 1, 3))
    field = check_by_gradient(model, (1, 1, 61, 61), "3")
    # conv 3; max-pool (3−1)·1 → 5, jump 2; avg-pool (2−1)·2 → 7, jump 4; conv (3−1)·4 → 15
    assert field.size == [15, 15] and field.jump == [4, 4]


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
    assert rf(report, "conv2d").size == [3, 3]
    pool = rf(report, "max_pool2d")
    # conv: start −1; pool: 3 + (2−1)·1 = 4, jump 2, start −1 − 0
    assert (pool.size, pool.jump, pool.start, pool.is_global) == ([4, 4], [2, 2], [-1, -1], False)
    assert rf(report, "relu").size == [4, 4]

    def pooled(model, x):  # FunctionalNet.forward up to its max_pool2d row, written out (avg for max)
        return F.avg_pool2d(F.conv2d(x, model.w, padding=1), 2)

    net = FunctionalNet().double()
    net.w.data.uniform_(0.1, 1.0)
    x = torch.rand(1, 1, 16, 16, dtype=torch.float64) + 0.1
    assert gradient_support(net, x, pooled, (3, 4)) == ([(5, 8), (7, 10)], (3, 4))  # −1 + 2·u .. +3


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
    assert rf(report, "1.add").size == [15, 15]
    assert rf(report, "1").size == [15, 15]

    def the_add(model, x):  # the "1.add" row, written out
        y = model[0](x)
        block = model[1]
        return block.b(torch.relu(block.a(y))) + block.shortcut(y)

    check_by_gradient(model, (1, 1, 41, 41), "1.add", the_add)
    check_by_gradient(model, (1, 1, 41, 41), "1")


def test_inception_concat_and_densenet_concat():
    report = cnnscope.analyze("inception_mini")
    assert rf(report, "3.cat").size == [6 + 4 * 2, 6 + 4 * 2]  # 5×5 conv, 2×2 pool, then the 5×5 branch
    head = cnnscope.build_model("inception_mini")[:4]  # through the first Inception block

    def the_cat(model, x):  # the "3.cat" row, written out
        y = model[:3](x)
        block = model[3]
        return torch.cat([block.branch1x1(y), block.branch3x3(y), block.branch5x5(y), block.branch_pool(y)], dim=1)

    check_by_gradient(head, (1, 1, 60, 60), "3.cat", the_cat)
    dense = cnnscope.analyze("densenet121")
    assert rf(dense, "features.denseblock1.denselayer2.cat").jump == [4, 4]


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
    assert rf(report, "pool").is_global is True
    gate = rf(report, "mul")
    assert gate.size == [3, 3] and gate.gated is True and gate.is_global is False


def test_transposed_convolution_has_a_fractional_jump():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, stride=2), nn.ConvTranspose2d(2, 1, 4, stride=2, padding=1))
    report = cnnscope.analyze(model, (1, 1, 33, 33))
    field = rf(report, "1")
    # jump 2 / 2 = 1; each output unit draws on ⌈4/2⌉ = 2 inputs: 3 + (2−1)·2 = 5
    assert field.jump == [1, 1] and field.size == [5, 5]
    x = torch.rand(1, 1, 33, 33, dtype=torch.float64) + 0.1
    positive = make_positive(model).double()
    widths = []
    for unit in [(10, 10), (11, 11), (12, 13)]:
        ((first, last), _), _ = gradient_support(positive, x, module_output("1"), unit)
        widths.append(last - first + 1)
    assert max(widths) == 5


def test_nearest_upsampling_halves_the_jump():
    model = nn.Sequential(nn.Conv2d(1, 1, 3, stride=2), nn.Upsample(scale_factor=2), nn.Conv2d(1, 1, 3))
    report = cnnscope.analyze(model, (1, 1, 33, 33))
    assert rf(report, "1").jump == [1, 1] and rf(report, "1").size == [3, 3]
    assert rf(report, "2").size == [5, 5]


def test_identity_and_elementwise_ops_keep_the_field():
    model = nn.Sequential(nn.Conv2d(1, 1, 5), nn.Identity(), nn.BatchNorm2d(1), nn.Dropout(), nn.GELU())
    report = cnnscope.analyze(model, (1, 1, 12, 12))
    assert [tuple(rf(report, n).size) for n in "01234"] == [(5, 5)] * 5


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
    assert field.start == [-1, -1] and field.size == [3, 3]  # [−1, 2) ∪ [0, 2)
    assert any(d.code == "rf-misaligned" and d.layer == "add" for d in report.diagnostics)



class DifferentRanks(nn.Module):
    def forward(self, x, y):
        return x + y.unsqueeze(-1)  # a 2-D field meets a 1-D one


def test_paths_with_different_numbers_of_axes_are_untracked_not_a_crash():
    report = cnnscope.analyze(DifferentRanks(), [(1, 3, 8, 8), (1, 3, 8)])
    assert rf(report, "add") is None
    assert any(d.code == "rf-untracked" and d.layer == "add" for d in report.diagnostics)

def test_fields_stop_where_tokens_begin_and_attention_makes_them_global():
    report = cnnscope.analyze("vit_b_16")
    assert rf(report, "conv_proj").size == [16, 16]
    assert rf(report, "heads").is_global is True
    assert any(d.code == "rf-tokens" for d in report.diagnostics)


class FourHeads(nn.Module):
    """Four per-position heads, each folding H and W into one axis (as SSD's box heads do)."""

    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleList(nn.Conv2d(3, 4, 3, padding=1) for _ in range(4))

    def forward(self, x):
        return torch.cat([head(x).permute(0, 2, 3, 1).reshape(1, -1, 4) for head in self.heads], dim=1)


def test_rows_folding_the_spatial_axes_are_one_diagnostic_naming_them():
    report = cnnscope.analyze(FourHeads(), [(1, 3, 8, 8)])
    folds = [d for d in report.diagnostics if d.code == "rf-tokens"]
    assert len(folds) == 1, [d.message for d in folds]
    reshapes = [r.name for r in report.layers if r.type == "reshape"]
    assert len(reshapes) == 4
    assert folds[0].message.startswith(f"receptive field: 4 rows fold the spatial axes into one ({reshapes[0]}, ")
    assert "and 1 more" in folds[0].message and folds[0].layer == reshapes[0]


def test_convnext_channels_last_linear_keeps_the_field():
    report = cnnscope.analyze("convnext_tiny")
    first, later = rf(report, "features.1.0.block.3"), rf(report, "features.1.0.block.0")
    # block.0 is the 7×7 depthwise conv after the 4×4 stem: 4 + 6·4 = 28
    assert later.size == [28, 28] and later.jump == [4, 4]
    assert (first.size, first.jump, first.start, first.is_global) == (later.size, later.jump, later.start, False)


def test_mass_squares_of_a_uniform_map():
    grad = np.zeros((21, 21))
    grad[5:16, 5:16] = 1.0  # an 11×11 block
    squares = mass_squares(grad, (10, 10))
    assert squares["99%"] == 11 and squares["50%"] == math.ceil(math.sqrt(0.5 * 121))


# -- random branching nets: analytic == gradient support ----------------------------------------

MAX_JUMP = 8  # strides are drawn so that the product per axis stays within this


@st.composite
def branching_nets(draw):
    """(net, input shape): the input fits the net by construction.

    The generator keeps, per axis, the jump and an upper bound of the field size, and the input
    is more than twice that bound, so every layer has an output and the centre unit's field lies
    inside the input (with "same" padding at most a few jumps off centre).
    """
    layers, channels = [], 1
    bound, jump = [1, 1], [1, 1]

    def grow(extra_h, extra_w, stride_h=1, stride_w=1):
        for axis, (extra, stride) in enumerate([(extra_h, stride_h), (extra_w, stride_w)]):
            bound[axis] += extra * jump[axis]
            jump[axis] *= stride

    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["conv", "pool", "residual", "concat", "relu"]))
        if kind == "conv":
            kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
            sh = draw(st.integers(1, min(3, MAX_JUMP // jump[0])))
            sw = draw(st.integers(1, min(2, MAX_JUMP // jump[1])))
            d = draw(st.integers(1, 2))
            layers.append(nn.Conv2d(channels, 2, (kh, kw), stride=(sh, sw), padding=(kh // 2, 0), dilation=d))
            grow(d * (kh - 1), d * (kw - 1), sh, sw)
            channels = 2
        elif kind == "pool":
            k = draw(st.integers(2, 3))
            s = draw(st.integers(1, min(3, MAX_JUMP // max(jump))))
            layers.append(nn.MaxPool2d(k, s, padding=draw(st.integers(0, k // 2)), ceil_mode=draw(st.booleans())))
            grow(k - 1, k - 1, s, s)
        elif kind == "relu":
            layers.append(nn.ReLU())
        else:
            k1, k2 = draw(st.sampled_from([1, 3, 5])), draw(st.sampled_from([1, 3, 5]))
            d = draw(st.integers(1, 2))
            block = _Branches(channels, k1, k2, d, concat=kind == "concat")
            layers.append(block)
            extra = max(d * (k1 - 1), (k2 - 1) + 2)
            grow(extra, extra)
            channels = block.out_channels
    height, width = 2 * bound[0] + 4 * jump[0] + 8, 2 * bound[1] + 4 * jump[1] + 11
    return nn.Sequential(*layers), (1, 1, height, width)


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


def _centre_field_fits(field, output_shape, input_shape) -> bool:
    for axis in range(2):
        lo = field.start[axis] + (output_shape[2 + axis] - 1) // 2 * field.jump[axis]
        if lo < 0 or lo + field.size[axis] > input_shape[2 + axis]:
            return False
    return True


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(branching_nets())
def test_random_branching_nets_match_the_gradient(net_and_shape):
    model, shape = net_and_shape
    layer = str(len(model) - 1)  # the last block, a module: the oracle hooks it
    row = cnnscope.analyze(model, shape).layer(layer)  # a ShapeError here fails: the input fits by construction
    assert row.rf is not None and not row.rf.is_global
    assume(_centre_field_fits(row.rf, row.output_shape, shape))  # (rare: the bound leaves room)
    check_by_gradient(model, shape, layer)
