"""Ops that act on each position alone: activations, normalisations (statistics are taken as
constants, as in the literature), dropout, channel shuffles, element-wise maths."""

from __future__ import annotations

from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.dropout import _DropoutNd
from torch.nn.modules.instancenorm import _InstanceNorm

from cnnscope.analysis import field as rf
from cnnscope.analysis.ops.merge import merged_field
from cnnscope.analysis.ops.registry import register_kind, rule
from cnnscope.analysis.preflight import ShapeError, label, shape_text
from cnnscope.i18n import _

_ACTIVATIONS = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish,
    nn.Hardswish, nn.Hardsigmoid, nn.Hardtanh, nn.Hardshrink, nn.Softshrink, nn.Tanhshrink, nn.Softsign,
    nn.Sigmoid, nn.LogSigmoid, nn.Tanh, nn.Softplus, nn.Threshold,
)
_NORMS = (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm, nn.LocalResponseNorm, nn.CrossMapLRN2d,
          *((nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ()))

register_kind(
    "pointwise", "acts on every position alone: activations, normalisation, dropout, element-wise maths",
    modules=(*_ACTIVATIONS, *_NORMS, _DropoutNd, nn.Identity, nn.ChannelShuffle),
    # torchvision's and timm's regularisers and channel norms, by class name (no import needed)
    module_names=("StochasticDepth", "DropPath", "DropBlock2d", "LayerNorm2d", "FrozenBatchNorm2d"),
    functions=("relu", "relu6", "leaky_relu", "prelu", "rrelu", "gelu", "silu", "mish", "hardswish", "hardsigmoid",
               "hardtanh", "hardshrink", "softshrink", "tanhshrink", "softsign", "logsigmoid", "sigmoid", "tanh",
               "elu", "selu", "celu", "softplus", "threshold", "dropout", "dropout1d", "dropout2d", "dropout3d",
               "alpha_dropout", "feature_alpha_dropout", "batch_norm", "layer_norm", "group_norm",
               "instance_norm", "local_response_norm", "rms_norm", "normalize", "clamp", "clip", "neg", "abs",
               "exp", "log", "sqrt", "rsqrt", "square", "pow", "reciprocal", "expand", "expand_as",
               "channel_shuffle", "native_channel_shuffle", "erf", "sign", "floor", "ceil", "round", "sin",
               "cos"),
)

_BATCH_NORM_RANKS = {nn.BatchNorm1d: (2, 3), nn.BatchNorm2d: (4,), nn.BatchNorm3d: (5,)}


@rule("check_module", "pointwise")
def check_batch_norm(tracer, row, module, tensors) -> None:
    if not isinstance(module, _BatchNorm):
        return
    x = tensors[0]
    ranks = _BATCH_NORM_RANKS.get(type(module))
    if ranks and x.dim() not in ranks:
        raise ShapeError(_("{name} expects a {value} input but receives {shape}; is the batch dimension missing?").format(
                             name=label(row.name, row.type), value=' or '.join(f'{d}-D' for d in ranks), shape=shape_text(x.shape)), layer=row.name)
    channels = x.shape[1 if x.dim() > 1 else 0]
    if module.num_features != channels:
        raise ShapeError(_("{name} expects {num_features} channels but receives {channels} (input {shape})").format(
                             name=label(row.name, row.type), num_features=module.num_features, channels=channels, shape=shape_text(x.shape)), layer=row.name)


@rule("rf", "pointwise")
def same_field(engine, row, field: rf.Field):
    return rf.plain(field)


@rule("rf_tokens", "pointwise")
def same_tokens(engine, row):
    return rf.Tokens()


# Given two data paths (``pow(a, b)``) the op is element-wise across them: their union.
rule("rf_merge", "pointwise")(merged_field)
