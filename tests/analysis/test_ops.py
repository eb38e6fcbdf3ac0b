"""The op-kind vocabulary: every module type and function name the analysis knew before the
registry maps to exactly one kind, registrations are strict, and a kind lives in one module."""

from __future__ import annotations

import pathlib

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import cnnscope
from cnnscope.analysis import ops
from cnnscope.analysis.ops import registry
from cnnscope.errors import ShapeError

# The sets the receptive-field engine, layer_attrs and preflight used before the registry
# (cnnscope 0.1, receptive_field.py / layer_attrs.py / preflight.py), with the kind each must now have.
OLD_MODULES = {
    "pointwise": [nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish,
                  nn.Hardswish, nn.Hardsigmoid, nn.Hardtanh, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.Identity,
                  nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.GroupNorm, nn.InstanceNorm1d,
                  nn.InstanceNorm2d, nn.InstanceNorm3d, nn.LocalResponseNorm, nn.LayerNorm, nn.Dropout,
                  nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.ChannelShuffle],
    "conv": [nn.Conv1d, nn.Conv2d, nn.Conv3d],
    "transposed_conv": [nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d],
    "pool": [nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d],
    "adaptive_pool": [nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool1d,
                      nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d],
    "upsample": [nn.Upsample],
    "linear": [nn.Linear],
    "reshape": [nn.Flatten, nn.Unflatten],
    "attention": [nn.MultiheadAttention],
}
OLD_TYPE_NAMES = {"pointwise": ["StochasticDepth", "DropPath", "DropBlock2d", "LayerNorm2d", "FrozenBatchNorm2d"]}
OLD_FUNCTIONS = {
    "pointwise": ["relu", "relu6", "leaky_relu", "gelu", "silu", "mish", "hardswish", "hardsigmoid", "hardtanh",
                  "sigmoid", "tanh", "elu", "selu", "celu", "softplus", "dropout", "dropout2d", "dropout1d",
                  "dropout3d", "batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm",
                  "clamp", "clip", "neg", "abs", "exp", "log", "sqrt", "rsqrt", "square", "reciprocal", "expand",
                  "expand_as", "channel_shuffle", "native_channel_shuffle", "erf", "sign", "floor", "ceil", "round",
                  "sin", "cos"],
    "merge": ["add", "sub", "mul", "div", "true_divide", "cat", "concat", "concatenate", "stack", "maximum",
              "minimum", "where", "addcmul", "lerp", "rsub"],
    "reshape": ["view", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose",
                "movedim", "swapaxes", "getitem", "chunk", "split", "unbind", "narrow", "select", "view_as",
                "reshape_as", "t", "swapdims"],
    "reduction": ["mean", "sum", "amax", "amin", "max", "min", "std", "var", "logsumexp", "softmax", "log_softmax"],
    "adaptive_pool": ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
                      "adaptive_max_pool2d", "adaptive_max_pool3d"],
    "attention": ["scaled_dot_product_attention", "multi_head_attention_forward"],
    "mixing": ["matmul", "bmm", "einsum", "mm", "baddbmm", "addmm", "roll"],
    "conv": ["conv1d", "conv2d", "conv3d"],
    "pool": ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool2d_with_indices", "avg_pool1d", "avg_pool2d",
             "avg_pool3d"],
    "upsample": ["interpolate", "upsample"],
    "linear": ["linear"],
    "pad": ["pad"],
}


@pytest.mark.parametrize("kind,cls", [(k, c) for k, cs in OLD_MODULES.items() for c in cs],
                         ids=lambda v: getattr(v, "__name__", v))
def test_every_old_module_type_has_its_kind(kind, cls):
    assert registry.module_kind(cls.__new__(cls)) == kind


@pytest.mark.parametrize("kind,name", [(k, n) for k, ns in OLD_TYPE_NAMES.items() for n in ns])
def test_other_libraries_classes_by_name(kind, name):
    assert registry.module_kind(type(name, (nn.Module,), {})()) == kind


@pytest.mark.parametrize("kind,name", [(k, n) for k, ns in OLD_FUNCTIONS.items() for n in ns])
def test_every_old_function_name_has_its_kind(kind, name):
    assert ops.function_kind(name) == kind


def test_names_belong_to_one_kind_only():
    seen: dict[str, str] = {}
    for kind in ops.KINDS:
        for name in ops.members(kind)["functions"]:
            assert name not in seen, f"{name} in {seen.get(name)} and {kind}"
            seen[name] = kind


def test_subclasses_share_their_base_kind():
    class MyConv(nn.Conv2d):
        pass

    assert ops.module_kind(MyConv(1, 1, 3)) == "conv"
    assert ops.module_kind(nn.ConvTranspose2d(1, 1, 3)) == "transposed_conv"  # a _ConvNd too: most specific wins
    assert ops.module_kind(nn.SyncBatchNorm(4)) == "pointwise"
    assert ops.module_kind(nn.Sequential()) == "unknown"


def test_registrations_are_strict():
    with pytest.raises(ValueError, match="already registered"):
        registry.register_kind("conv", "again")
    with pytest.raises(ValueError, match="already belongs"):
        registry.register_kind("conv_again", "x", functions=("conv2d",))
    with pytest.raises(ValueError, match="already belongs"):
        registry.register_kind("conv_again", "x", modules=(nn.modules.conv._ConvNd,))
    assert "conv_again" not in ops.KINDS  # a refused registration leaves nothing behind
    with pytest.raises(ValueError, match="already has"):
        registry.rule("rf", "conv")(lambda *a: None)
    with pytest.raises(ValueError, match="not registered"):
        registry.rule("rf", "no_such_kind")(lambda *a: None)
    with pytest.raises(ValueError, match="unknown rule aspect"):
        registry.rule("colour", "conv")


def test_every_kind_has_a_receptive_field_rule():
    for kind in ops.KINDS:
        assert ops.get_rule("rf", kind) or ops.get_rule("rf_merge", kind), kind


def test_a_kind_lives_in_one_module():
    """Adding pixel shuffle touched ops/pixel_shuffle.py only: no other source names it."""
    package = pathlib.Path(cnnscope.__file__).parent
    naming = sorted(str(p.relative_to(package)) for p in package.rglob("*.py")
                    if "PixelShuffle" in p.read_text() or "pixel_shuffle" in p.read_text())
    assert naming == ["analysis/ops/pixel_shuffle.py"]


def test_report_rows_carry_their_kind():
    report = cnnscope.analyze("resnet18")
    kinds = {row.name: row.op_kind for row in report.layers}
    assert kinds["conv1"] == "conv" and kinds["maxpool"] == "pool" and kinds["bn1"] == "pointwise"
    assert kinds["layer1.0.add"] == "merge" and kinds["avgpool"] == "adaptive_pool"
    assert kinds["flatten"] == "reshape" and kinds["fc"] == "linear"
    assert kinds["layer1"] is None  # containers have no kind
    assert all(row.op_kind != "unknown" for row in report.leaves())


def test_pixel_shuffle_preflight_names_the_layer():
    model = nn.Sequential(nn.Conv2d(3, 6, 3), nn.PixelShuffle(2))
    with pytest.raises(ShapeError, match=r"layer 1 \(PixelShuffle\) needs channels divisible by 2² = 4 but receives 6"):
        cnnscope.analyze(model, (1, 3, 8, 8))


def test_pixel_shuffle_explanation():
    from cnnscope.studies.explain import shape_arithmetic

    report = cnnscope.analyze(nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.PixelShuffle(2)), (1, 3, 8, 8))
    assert shape_arithmetic(report.layer("1")) == ["channels: 16 / 2² = 4", "height: 8·2 = 16, width: 8·2 = 16"]


def test_functional_transposed_conv_has_geometry():
    class Up(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.zeros(4, 2, 4, 4))

        def forward(self, x):
            return F.conv_transpose2d(x, self.weight, stride=2, padding=1)

    row = cnnscope.analyze(Up(), (1, 4, 8, 8)).layer("conv_transpose2d")
    assert (row.op_kind, row.kernel_size, row.stride, row.padding, row.output_shape) == (
        "transposed_conv", [4, 4], [2, 2], [1, 1], [1, 2, 16, 16])


def test_transposed_conv_explanation():
    from cnnscope.studies.explain import shape_arithmetic

    model = nn.Sequential(nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1))
    row = cnnscope.analyze(model, (1, 8, 7, 7)).layer("0")
    assert shape_arithmetic(row) == ["height: (7−1)·2 − 2·1 + 1·(3−1) + 1 + 1 = 14",
                                     "width: (7−1)·2 − 2·1 + 1·(3−1) + 1 + 1 = 14", "channels: 8 in → 4 out"]
