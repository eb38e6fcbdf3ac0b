"""ONNX operators in cnnscope's vocabulary: each op type's kind (``analysis/ops``), the name its
receptive-field rule knows it by, its geometry, and its costs in the torch path's conventions
(docs/conventions.md): MACs of convolutions and matrix products with the bias excluded; one
"other" op per output element of an element-wise op, two per element of a normalisation, one per
window element of pooling, one per input element of a reduction, three per element of softmax.

An op whose work is multiply-accumulate but has no formula here is *uncounted* (listed in the
report's ``uncounted_ops``, never a silent 0); so is any op type this table does not know.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


# ops that only compute shapes or constants: their outputs never carry data from the input
SHAPE_OPS = frozenset({"Shape", "Size", "Constant", "ConstantOfShape", "EyeLike", "Range", "RandomNormal",
                       "RandomUniform", "RandomNormalLike", "RandomUniformLike"})
# op types known to do multiply-accumulate work that this table has no formula for
MAC_WITHOUT_FORMULA = frozenset({"Einsum", "LSTM", "GRU", "RNN", "ConvInteger", "QLinearConv", "MatMulInteger",
                                 "QLinearMatMul", "Attention", "DFT", "STFT", "Det", "MultiHeadAttention",
                                 "DeformConv", "FusedConv", "FusedGemm", "QGemm", "NhwcConv", "ConvTransposeWithDynamicPads"})


@dataclass(frozen=True)
class OpInfo:
    kind: str
    rf_type: str  # the torch-side name the kind's receptive-field rule reads (``permute``, ``mean``, ``cat``)
    other: str = "none"  # how cheap ops are counted: none, out, in, norm, softmax, window


_POINTWISE = ("Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "Gelu", "Sigmoid", "HardSigmoid", "HardSwish",
              "Tanh", "Softplus", "Softsign", "Mish", "Clip", "Neg", "Abs", "Exp", "Log", "Sqrt", "Reciprocal", "Erf",
              "Sign", "Floor", "Ceil", "Round", "Sin", "Cos", "Not", "ThresholdedRelu", "Shrink", "Pow", "IsNaN",
              "IsInf", "Swish")
_NORMS = ("BatchNormalization", "InstanceNormalization", "LayerNormalization", "GroupNormalization",
          "LpNormalization", "LRN", "MeanVarianceNormalization", "RMSNormalization", "SimplifiedLayerNormalization",
          "SkipLayerNormalization")
_COPIES = ("Identity", "Dropout", "Cast", "CastLike", "Expand")
_MERGES = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Max": "maximum", "Min": "minimum",
           "Mean": "add", "Sum": "add", "Where": "where", "Concat": "cat", "Equal": "add", "Greater": "add",
           "Less": "add", "GreaterOrEqual": "add", "LessOrEqual": "add", "And": "add", "Or": "add", "Xor": "add",
           "Mod": "add", "BitShift": "add"}
_RESHAPES = {"Flatten": "flatten", "Reshape": "reshape", "Transpose": "permute", "Squeeze": "squeeze",
             "Unsqueeze": "unsqueeze", "Slice": "getitem", "Gather": "getitem", "GatherElements": "getitem",
             "Split": "split", "Tile": "reshape"}
_REDUCTIONS = {"ReduceMean": "mean", "ReduceSum": "sum", "ReduceMax": "amax", "ReduceMin": "amin",
               "ReduceProd": "prod", "ReduceL1": "norm", "ReduceL2": "norm", "ReduceLogSumExp": "logsumexp",
               "ReduceSumSquare": "sum", "ReduceLogSum": "sum", "Softmax": "softmax", "LogSoftmax": "log_softmax",
               "ArgMax": "argmax", "ArgMin": "argmin", "TopK": "amax"}

OPS: dict[str, OpInfo] = {
    "Conv": OpInfo("conv", "conv2d"),
    "ConvTranspose": OpInfo("transposed_conv", "conv_transpose2d"),
    "MaxPool": OpInfo("pool", "max_pool2d", "window"),
    "AveragePool": OpInfo("pool", "avg_pool2d", "window"),
    "LpPool": OpInfo("pool", "lp_pool2d", "window"),
    "GlobalAveragePool": OpInfo("adaptive_pool", "adaptive_avg_pool2d", "in"),
    "GlobalMaxPool": OpInfo("adaptive_pool", "adaptive_max_pool2d", "in"),
    "GlobalLpPool": OpInfo("adaptive_pool", "adaptive_avg_pool2d", "in"),
    "Gemm": OpInfo("linear", "linear"),
    "MatMul": OpInfo("linear", "linear"),
    "Resize": OpInfo("upsample", "interpolate"),
    "Upsample": OpInfo("upsample", "interpolate"),
    "Pad": OpInfo("pad", "pad"),
    "DepthToSpace": OpInfo("unknown", "DepthToSpace"),
    "SpaceToDepth": OpInfo("unknown", "SpaceToDepth"),
    **{op: OpInfo("pointwise", op.lower(), "out") for op in _POINTWISE},
    **{op: OpInfo("pointwise", op.lower(), "norm") for op in _NORMS},
    **{op: OpInfo("pointwise", op.lower()) for op in _COPIES},
    **{op: OpInfo("merge", name, "none" if op == "Concat" else "out") for op, name in _MERGES.items()},
    **{op: OpInfo("reshape", name) for op, name in _RESHAPES.items()},
    **{op: OpInfo("reduction", name, "softmax" if "Softmax" in op else "in") for op, name in _REDUCTIONS.items()},
}


def info(op_type: str, domain: str = "") -> OpInfo:
    if domain not in ("", "ai.onnx"):
        return OpInfo("unknown", op_type)
    return OPS.get(op_type, OpInfo("unknown", op_type))


def is_uncounted(op_type: str, domain: str = "") -> bool:
    """MAC-like work with no formula, or an op this table does not know at all."""
    return op_type in MAC_WITHOUT_FORMULA or info(op_type, domain).kind == "unknown" and op_type not in OPS


def _ints(attrs: dict, key: str, default):
    value = attrs.get(key)
    return list(value) if value is not None else default


def geometry(op_type: str, attrs: dict, in_shape: list[int] | None, out_shape: list[int] | None,
             weight_shape: list[int] | None) -> dict:
    """kernel_size, stride, padding (begin pads), dilation, groups, ceil_mode as the torch path's records have them."""
    if op_type not in ("Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool"):
        return {}
    if op_type in ("Conv", "ConvTranspose"):
        kernel = _ints(attrs, "kernel_shape", list(weight_shape[2:]) if weight_shape else [])
    else:
        kernel = _ints(attrs, "kernel_shape", [])
    n = len(kernel)
    stride = _ints(attrs, "strides", [1] * n)
    dilation = _ints(attrs, "dilations", [1] * n)
    pads = _ints(attrs, "pads", [0] * (2 * n))
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else str(auto)
    if auto in ("SAME_UPPER", "SAME_LOWER") and in_shape and op_type != "ConvTranspose":
        pads = _same_pads(in_shape[-n:], kernel, stride, dilation, auto == "SAME_LOWER")
    geometry = {"kernel_size": kernel, "stride": stride, "padding": pads[:n], "dilation": dilation}
    if op_type in ("Conv", "ConvTranspose"):
        geometry["groups"] = int(attrs.get("group", 1))
    else:
        geometry["ceil_mode"] = bool(attrs.get("ceil_mode", 0))
    return geometry


def _same_pads(sizes, kernel, stride, dilation, lower: bool) -> list[int]:
    begin, end = [], []
    for i, k, s, d in zip(sizes, kernel, stride, dilation):
        out = math.ceil(i / s)
        total = max((out - 1) * s + (k - 1) * d + 1 - i, 0)
        small = total // 2
        begin.append(total - small if lower else small)
        end.append(small if lower else total - small)
    return begin + end


def macs(op_type: str, attrs: dict, in_shapes: list, out_shapes: list) -> int:
    """Multiply-accumulates, the torch path's convention (bias excluded); 0 for ops without MACs."""
    out = out_shapes[0] if out_shapes else None
    if out is None:
        return 0
    if op_type == "Conv" and len(in_shapes) > 1 and in_shapes[1]:
        return math.prod(out) * math.prod(in_shapes[1][1:])  # every output: C_in/groups · prod(k) products
    if op_type == "ConvTranspose" and len(in_shapes) > 1 and in_shapes[0] and in_shapes[1]:
        return math.prod(in_shapes[0]) * math.prod(in_shapes[1][1:])  # every input scatters C_out/groups · prod(k)
    if op_type == "Gemm" and in_shapes and in_shapes[0]:
        a = in_shapes[0]
        k = a[0] if attrs.get("transA", 0) else a[-1]
        return math.prod(out) * k
    if op_type == "MatMul" and in_shapes and in_shapes[0]:
        return math.prod(out) * in_shapes[0][-1]
    return 0


def other_ops(how: str, attrs: dict, in_shapes: list, out_shapes: list) -> int:
    first_in = in_shapes[0] if in_shapes and in_shapes[0] is not None else None
    first_out = out_shapes[0] if out_shapes and out_shapes[0] is not None else None
    if how == "out" and first_out is not None:
        return math.prod(first_out)
    if how == "in" and first_in is not None:
        return math.prod(first_in)
    if how == "norm" and first_in is not None:
        return 2 * math.prod(first_in)
    if how == "softmax" and first_in is not None:
        return 3 * math.prod(first_in)
    if how == "window" and first_out is not None:
        return math.prod(first_out) * math.prod(_ints(attrs, "kernel_shape", []))
    return 0


