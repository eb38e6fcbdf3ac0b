"""Every kind of row probes.unit explains, against torch's own output and hand-computed numbers:
pools (winner, divisor), adaptive pools, batch norm, activations, dropout, linear and softmax,
residual add, flatten, cat, padded and weight-standardised convs; bad input; following a value."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnscope.errors import LayerNotFoundError, UsageError
from cnnscope.probes.unit import capture, check_unit, explain, follow, parse_unit


def one(module: nn.Module, x: torch.Tensor, unit, **kw):
    """Explain ``unit`` of ``module`` (wrapped as row "0") and return it with the module's own output."""
    module = module.eval()
    with torch.no_grad():
        y = module(x)
    return explain(nn.Sequential(module), x, "0", unit, **kw), y


@pytest.fixture
def x64():
    torch.manual_seed(0)
    return torch.randn(1, 3, 7, 7, dtype=torch.float64)


# -- pools ------------------------------------------------------------------------------------

@pytest.mark.parametrize("padding, ceil_mode", [(0, False), (1, False), (1, True), (0, True)])
def test_max_pool_winner_is_torchs_argmax(x64, padding, ceil_mode):
    pool = nn.MaxPool2d(3, 2, padding=padding, ceil_mode=ceil_mode)
    y, indices = F.max_pool2d(x64, 3, 2, padding, ceil_mode=ceil_mode, return_indices=True)
    for unit in [(c, i, j) for c in range(3) for i in range(y.shape[2]) for j in range(y.shape[3])]:
        e, _ = one(pool, x64, unit)
        flat = int(indices[(0, *unit)])
        assert e.kind == "max_pool"
        assert e.details["winner"]["at"] == [flat // 7, flat % 7]
        assert e.sum == e.value == float(y[(0, *unit)])
        assert e.check.ok
        assert max(cell["input"] for cell in e.details["window"]) == e.sum
        assert e.terms == len(e.details["window"])  # cells of the image only: padding never wins


@pytest.mark.parametrize("include_pad, ceil_mode, override", [(True, False, None), (False, False, None),
                                                              (True, True, None), (False, True, None),
                                                              (True, False, 5)])
def test_avg_pool_mean_and_divisor(x64, include_pad, ceil_mode, override):
    pool = nn.AvgPool2d(3, 2, padding=1, ceil_mode=ceil_mode, count_include_pad=include_pad,
                        divisor_override=override)
    e, y = one(pool, x64, (1, 0, 0))
    # unit (0, 0): window rows/cols −1..1, padding at −1, so 2×2 image cells, 3×3 with the padding
    assert e.details["divisor"] == (override or (9 if include_pad else 4))
    assert e.sum == pytest.approx(float(x64[0, 1, 0:2, 0:2].sum()) / e.details["divisor"], rel=1e-12)
    assert e.sum == pytest.approx(float(y[0, 1, 0, 0]), rel=1e-12) and e.check.ok
    last = y.shape[2] - 1
    e, _ = one(pool, x64, (2, last, last))
    assert e.sum == pytest.approx(float(y[0, 2, last, last]), rel=1e-12) and e.check.ok
    if ceil_mode:
        # ceil mode: 4 outputs; the last window starts at 5: cells 5, 6 in the image, 7 in the padding;
        # torch's divisor with padding counts up to n + p = 8 (cells 5..7): 3×3 = 9, without it 2×2
        assert y.shape[2] == 4
        assert e.details["divisor"] == (9 if include_pad else 4)
        assert e.sum == pytest.approx(float(x64[0, 2, 5:7, 5:7].sum()) / e.details["divisor"], rel=1e-12)


@pytest.mark.parametrize("module", [nn.AdaptiveAvgPool2d((3, 2)), nn.AdaptiveMaxPool2d((3, 2)),
                                    nn.AdaptiveAvgPool2d(1)])
def test_adaptive_pool_windows_follow_torch(x64, module):
    with torch.no_grad():
        y = module(x64)
    for unit in [(c, i, j) for c in range(3) for i in range(y.shape[2]) for j in range(y.shape[3])]:
        e, _ = one(module, x64, unit)
        _, i, j = unit
        # torch: start ⌊o·n/out⌋, end ⌈(o+1)·n/out⌉ (exclusive), n = 7
        rows = range(i * 7 // y.shape[2], math.ceil((i + 1) * 7 / y.shape[2]))
        cols = range(j * 7 // y.shape[3], math.ceil((j + 1) * 7 / y.shape[3]))
        window = x64[0, unit[0], rows.start:rows.stop, cols.start:cols.stop]
        assert e.terms == len(rows) * len(cols)
        expected = float(window.max() if isinstance(module, nn.AdaptiveMaxPool2d) else window.mean())
        assert e.sum == pytest.approx(expected, rel=1e-12) == float(y[(0, *unit)])
        assert e.check.ok


# -- point-wise rows ---------------------------------------------------------------------------

def batch_norm_with_statistics(dtype=torch.float64):
    bn = nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor([0.5, -2.0, 300.0]))
        bn.running_var.copy_(torch.tensor([4.0, 0.25, 0.01]))
        bn.weight.copy_(torch.tensor([1.5, -0.5, 2.0]))
        bn.bias.copy_(torch.tensor([0.1, 3.0, -1.0]))
    return bn.to(dtype)


def test_batch_norm_in_eval_fills_the_formula_with_its_running_statistics(x64):
    bn = batch_norm_with_statistics()
    e, y = one(bn, x64, (1, 2, 3))
    xin = float(x64[0, 1, 2, 3])
    assert e.details["statistics"] == "running"
    assert (e.details["mean"], e.details["var"], e.details["weight"], e.details["bias"]) == (-2.0, 0.25, -0.5, 3.0)
    assert e.details["eps"] == bn.eps and e.details["input"] == xin
    by_hand = (xin + 2.0) / math.sqrt(0.25 + 1e-5) * -0.5 + 3.0
    assert e.sum == pytest.approx(by_hand, rel=1e-12)
    assert e.sum == pytest.approx(float(y[0, 1, 2, 3]), rel=1e-12) and e.check.ok


def test_batch_norm_float32_with_a_large_mean_passes_its_check():
    # x ≈ μ = 300, σ = 0.1: torch's float32 rounding comes from x·scale and μ·scale (≈ 6000), not the result
    bn = batch_norm_with_statistics(torch.float32)
    torch.manual_seed(4)
    x = torch.randn(1, 3, 4, 4) * 0.1 + 300
    for unit in [(2, i, j) for i in range(4) for j in range(4)]:
        e, y = one(bn, x, unit)
        assert e.value == float(y[(0, *unit)])
        assert e.check.ok and abs(e.sum - e.value) <= e.check.tolerance
        xin = float(x[(0, *unit)])
        var = float(bn.running_var[2])  # 0.01 as float32 holds it
        assert e.details["var"] == var
        assert e.sum == pytest.approx((xin - 300) / math.sqrt(var + 1e-5) * 2.0 - 1.0, rel=1e-12)


@pytest.mark.parametrize("module", [nn.ReLU(), nn.ReLU6(), nn.LeakyReLU(0.2), nn.GELU(), nn.GELU("tanh"), nn.SiLU(),
                                    nn.Hardswish(), nn.PReLU(3, 0.25), nn.ELU(), nn.Sigmoid(), nn.Tanh()],
                         ids=lambda m: repr(m))
def test_activations_are_torchs_own_value_in_float64(module):
    module = module.double()
    x = torch.linspace(-8, 8, 3 * 5 * 5, dtype=torch.float64).reshape(1, 3, 5, 5)
    with torch.no_grad():
        y = module(x)
    for unit in [(0, 0, 0), (1, 2, 2), (2, 4, 4), (2, 0, 3)]:  # −8, 0, 8 and 5.0
        e, _ = one(module, x, unit)
        assert e.kind == "activation"
        assert e.details["input"] == float(x[(0, *unit)])
        assert e.sum == pytest.approx(float(y[(0, *unit)]), rel=1e-12, abs=1e-15)
        assert e.value == float(y[(0, *unit)]) and e.check.ok


def test_activation_formulas_by_hand_at_a_negative_input():
    x = torch.full((1, 3, 2, 2), -2.0, dtype=torch.float64)
    cases = {nn.ReLU(): 0.0, nn.ReLU6(): 0.0, nn.LeakyReLU(0.2): -0.4, nn.PReLU(3, 0.25).double(): -0.5,
             nn.SiLU(): -2.0 / (1 + math.exp(2.0)), nn.Hardswish(): -2.0 * 1.0 / 6,
             nn.GELU(): -2.0 * 0.5 * (1 + math.erf(-2.0 / math.sqrt(2)))}
    for module, expected in cases.items():
        e, _ = one(module, x, (1, 1, 0))
        assert e.sum == pytest.approx(expected, rel=1e-12, abs=1e-15), module
    e, _ = one(nn.ReLU6(), torch.full((1, 1, 1, 1), 7.5, dtype=torch.float64), (0, 0, 0))
    assert e.sum == 6.0


def test_dropout_in_eval_is_the_identity(x64):
    e, y = one(nn.Dropout(0.5), x64, (2, 3, 1))
    assert e.kind == "identity"
    assert e.sum == e.value == float(x64[0, 2, 3, 1]) == float(y[0, 2, 3, 1])
    assert e.check.ok


# -- linear and softmax -------------------------------------------------------------------------

def classifier():
    torch.manual_seed(2)
    return nn.Sequential(nn.Flatten(), nn.Linear(12, 5), nn.ReLU(), nn.Linear(5, 4)).double().eval()


def test_linear_lists_its_largest_contributions_and_the_rest_exactly():
    model = classifier()
    x = torch.randn(1, 3, 2, 2, dtype=torch.float64)
    with torch.no_grad():
        hidden = model[1](x.flatten(1))
    e = explain(model, x, "1", (3,), top=4)
    products = (x.flatten(1)[0] * model[1].weight[3]).detach()
    order = products.abs().argsort(descending=True)[:4].tolist()
    assert e.kind == "linear" and e.terms == 12
    assert [t.channel for t in e.top] == order
    assert [t.product for t in e.top] == pytest.approx(products[order].tolist(), rel=1e-15)
    assert e.rest[0] == 8
    assert e.rest[1] + sum(t.product for t in e.top) + e.bias == pytest.approx(e.sum, rel=1e-12)
    assert e.sum == pytest.approx(float(hidden[0, 3]), rel=1e-12) and e.check.ok
    assert "softmax" not in e.details  # not the model's output


def test_the_final_linear_row_shows_every_class_probability_with_names():
    model = classifier()
    x = torch.randn(1, 3, 2, 2, dtype=torch.float64)
    with torch.no_grad():
        logits = model(x)[0]
    names = ["cat", "dog", "fox", "owl"]
    e = explain(model, x, "3", (2,), names=names)
    rows = e.details["softmax"]
    assert [r["class"] for r in rows] == [0, 1, 2, 3] and [r["name"] for r in rows] == names
    assert sum(r["probability"] for r in rows) == pytest.approx(1.0, abs=1e-12)
    # 1e-6, not 1e-12: the logits pass through prediction.class_logits, which rounds them to float32
    # even for a float64 model (reported on issue 23)
    assert [r["probability"] for r in rows] == pytest.approx(torch.softmax(logits, 0).tolist(), rel=1e-6)
    assert [r["logit"] for r in rows] == pytest.approx(logits.tolist(), rel=1e-6)
    assert e.sum == pytest.approx(float(logits[2]), rel=1e-12)


def test_a_softmax_row():
    model = nn.Sequential(nn.Linear(6, 3), nn.Softmax(dim=1)).double().eval()
    x = torch.randn(1, 6, dtype=torch.float64)
    with torch.no_grad():
        p = model(x)[0]
    e = explain(model, x, "1", (1,))
    assert e.kind == "softmax"
    assert e.sum == pytest.approx(float(p[1]), rel=1e-12) and e.check.ok
    assert [r["probability"] for r in e.details["softmax"]] == pytest.approx(p.tolist(), rel=1e-12)


# -- merges and reshapes -----------------------------------------------------------------------

def test_resnet18_residual_add_shows_both_operands():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=10).eval()
    x = torch.randn(1, 3, 64, 64)
    seen = {}

    def keep(name):
        def hook(module, inputs, output):
            seen[name] = output.clone()  # returns None: a hook that returns a tensor replaces the output
        return hook

    hooks = [model.maxpool.register_forward_hook(keep("identity")),
             model.layer1[0].bn2.register_forward_hook(keep("out")),
             model.layer1[0].register_forward_hook(keep("block"))]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    unit = (5, 3, 9)
    e = explain(model, x, "layer1.0.add", unit)
    a, b = float(seen["out"][(0, *unit)]), float(seen["identity"][(0, *unit)])
    assert e.kind == "merge"
    assert [o["value"] for o in e.details["operands"]] == [a, b]
    assert [o["from"] for o in e.details["operands"]] == ["layer1.0.bn2", "maxpool"]
    assert e.sum == pytest.approx(a + b, rel=1e-12)
    assert e.check.ok and abs(e.sum - e.value) <= e.check.tolerance
    assert max(e.value, 0.0) == pytest.approx(float(seen["block"][(0, *unit)]), abs=1e-6)  # then the ReLU


def test_flatten_says_where_the_value_was(x64):
    e, y = one(nn.Flatten(), x64, (60,))
    assert e.kind == "reshape"
    assert e.details["from"] == [1, 1, 4]  # 60 = 1·49 + 1·7 + 4
    assert e.sum == e.value == float(x64[0, 1, 1, 4]) == float(y[0, 60])


class _Two(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 2, 1), nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], dim=1)


def test_cat_names_the_input_a_unit_came_from(x64):
    model = _Two().double().eval()
    with torch.no_grad():
        b = model.b(x64)
    e = explain(model, x64, "cat", (5, 2, 6))
    assert e.kind == "concat"
    assert e.details["input"] == 1 and e.details["from"] == "b" and e.details["at"] == [3, 2, 6]
    assert e.sum == e.value == float(b[0, 3, 2, 6])


# -- convolutions that pad or change their weight themselves -------------------------------------

def test_reflect_padded_conv_reports_positions_in_its_own_input(x64):
    torch.manual_seed(5)
    conv = nn.Conv2d(3, 2, 3, padding=2, padding_mode="reflect").double()
    e, y = one(conv, x64, (1, 0, 1), top=10**6)
    assert e.sum == pytest.approx(float(y[0, 1, 0, 1]), rel=1e-12) and e.check.ok
    assert e.terms == 27
    reflected = F.pad(x64, [2, 2, 2, 2], mode="reflect")
    assert min(t.at[0] for t in e.top) == -2 and min(t.at[1] for t in e.top) == -1  # in the padding
    for t in e.top:  # position p of the input is p + 2 of the reflected tensor
        assert t.input == float(reflected[0, t.channel, t.at[0] + 2, t.at[1] + 2])
    assert e.field == [(-2, 0), (-1, 1)] and e.clipped == [(0, 0), (0, 1)]


class _PadThenConv(nn.Conv2d):
    """Like timm's Conv2dSame: pads its input itself (unevenly), then calls F.conv2d with no padding."""

    def forward(self, x):
        return F.conv2d(F.pad(x, [1, 2, 0, 1]), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def test_a_module_that_pads_itself_then_convolves(x64):
    torch.manual_seed(6)
    conv = _PadThenConv(3, 2, 3).double()
    e, y = one(conv, x64, (1, 0, 0), top=10**6)
    assert e.kind == "conv" and e.terms == 27
    assert e.sum == pytest.approx(float(y[0, 1, 0, 0]), rel=1e-12) and e.check.ok
    # the row worked out is the F.conv2d: its input is the padded tensor, where the positions are counted
    padded = F.pad(x64, [1, 2, 0, 1])
    assert e.input_shape == tuple(padded.shape[1:])
    for t in e.top:
        assert t.input == float(padded[(0, t.channel, *t.at)])
    # the field is in image pixels: rows 0..2 (no padding on top), columns −1..1 (one column on the left)
    assert e.field == [(0, 2), (-1, 1)] and e.clipped == [(0, 2), (0, 1)]


class _StandardisedConv(nn.Conv2d):
    """Weight standardisation (BiT's StdConv2d): the weight used is not the parameter."""

    def forward(self, x):
        w = self.weight
        w = (w - w.mean(dim=(1, 2, 3), keepdim=True)) / (w.std(dim=(1, 2, 3), keepdim=True) + 1e-5)
        return F.conv2d(x, w, self.bias, self.stride, self.padding)


def test_a_conv_that_standardises_its_weight_is_explained_with_the_weight_it_used(x64):
    torch.manual_seed(7)
    conv = _StandardisedConv(3, 2, 3, padding=1).double().requires_grad_(False)
    e, y = one(conv, x64, (0, 3, 3), top=10**6)
    assert e.sum == pytest.approx(float(y[0, 0, 3, 3]), rel=1e-12) and e.check.ok
    w = conv.weight[0]
    used = (w - w.mean()) / (w.std() + 1e-5)
    for t in e.top:
        assert t.weight == pytest.approx(float(used[(t.channel, *t.tap)]), rel=1e-12)
    assert e.kernel == pytest.approx(used.numpy(), rel=1e-12)
    assert not np.allclose(e.kernel, w.numpy())


# -- bad input ---------------------------------------------------------------------------------

def test_a_unit_outside_the_map_names_the_maps_size():
    with pytest.raises(UsageError) as outside:
        check_unit((6, 0, 0), (6, 28, 28), "conv1")
    message = str(outside.value)
    assert "6×28×28" in message and "conv1" in message and "C 0..5" in message and "\n" not in message
    with pytest.raises(UsageError, match="Y 0..27"):
        check_unit((0, 28, 3), (6, 28, 28), "conv1")
    check_unit((5, 27, 27), (6, 28, 28), "conv1")  # the last unit is inside


def test_a_unit_with_the_wrong_number_of_coordinates():
    with pytest.raises(UsageError) as wrong:
        check_unit((1, 2), (6, 28, 28), "conv1")
    message = str(wrong.value)
    assert "6×28×28" in message and "C,Y,X" in message
    with pytest.raises(UsageError, match="10"):
        check_unit((1, 0, 0), (10,), "fc")


def test_explain_checks_the_unit_against_the_row():
    conv = nn.Conv2d(1, 2, 3)
    with pytest.raises(UsageError, match="2×3×3"):
        explain(nn.Sequential(conv), torch.randn(1, 1, 5, 5), "0", (0, 3, 0))


def test_parse_unit():
    assert parse_unit("3,10,12") == (3, 10, 12)
    assert parse_unit(" 7 ") == (7,)
    assert parse_unit("0, 1, 2") == (0, 1, 2)
    for text in ("a,b", "1,,2", "1.5,2"):
        with pytest.raises(UsageError, match="whole numbers"):
            parse_unit(text)
    with pytest.raises(UsageError, match="negative"):
        parse_unit("0,-1,2")


def test_a_layer_that_is_not_a_row_suggests_the_closest_names():
    model = nn.Sequential()
    model.add_module("conv1", nn.Conv2d(1, 2, 3))
    model.add_module("relu1", nn.ReLU())
    with pytest.raises(LayerNotFoundError) as missing:
        explain(model, torch.randn(1, 1, 5, 5), "conv_1", (0, 0, 0))
    assert "conv1" in missing.value.suggestions
    assert "conv_1" in str(missing.value) and "conv1" in str(missing.value)


# -- following a value forward -----------------------------------------------------------------

def test_follow_lenet5_from_the_first_conv_to_the_logits():
    from cnnscope.sources import load_model

    model = load_model("lenet5", device="cpu").module.eval()
    torch.manual_seed(8)
    x = torch.rand(1, 1, 28, 28)
    first = next(name for name, m in model.named_modules() if isinstance(m, nn.Conv2d))
    last = [name for name, m in model.named_modules() if isinstance(m, nn.Linear)][-1]
    layer, unit, kinds = first, (2, 10, 11), []
    captured = capture(model, x, layer)
    for _ in range(30):
        e = explain(model, x, layer, unit)
        assert e.check is not None and e.check.ok, layer
        kinds.append(e.kind)
        step = follow(model, x, captured, unit)
        if step is None:
            break
        layer, unit = step
        captured = capture(model, x, layer)
    assert layer == last and step is None
    assert kinds[:3] == ["conv", "activation", kinds[2]] and kinds[2].endswith("pool")
    assert kinds[-1] == "linear" and "reshape" in kinds
    assert len(e.details["softmax"]) == 10


@pytest.mark.parametrize("module, shape", [
    (nn.MaxPool1d(3, 2, padding=1, dilation=2), (1, 2, 11)), (nn.AvgPool1d(4, 3, padding=2, ceil_mode=True), (1, 2, 11)),
    (nn.MaxPool3d(2, (1, 2, 2), ceil_mode=True), (1, 2, 3, 5, 5)),
    (nn.AvgPool3d(3, 2, padding=1, count_include_pad=False), (1, 2, 3, 5, 5)),
    (nn.AdaptiveAvgPool1d(4), (1, 2, 11)), (nn.AdaptiveMaxPool3d((2, 3, 2)), (1, 2, 3, 5, 5))],
    ids=lambda v: repr(v))
def test_one_and_three_dimensional_pools_equal_torch_at_every_unit(module, shape):
    torch.manual_seed(9)
    x = torch.randn(*shape, dtype=torch.float64)
    with torch.no_grad():
        y = module(x)
    captured = capture(nn.Sequential(module), x, "0")
    from cnnscope.probes.unit import explain_captured

    for unit in np.ndindex(*y.shape[1:]):
        e = explain_captured(captured, unit)
        assert e.sum == pytest.approx(float(y[(0, *unit)]), rel=1e-12, abs=1e-15), unit
        assert e.check.ok
