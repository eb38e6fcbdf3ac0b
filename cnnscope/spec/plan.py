"""Shape inference over a validated spec: the concrete constructor call of every layer.

The plan is what both the module builder and the code generator read, so the generated
source and the built network can never disagree.  Input channels and in_features are inferred
here; every shape problem is a SpecError at the layer's location.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnnscope.geometry import explain_window, transposed_output_size, window_output_size
from cnnscope.errors import SpecError
from cnnscope.spec.schema import Concat, Layer, Repeat, Residual, Spec

Shape = tuple  # (C, H, W) or (F,) after flatten


@dataclass(frozen=True)
class Call:
    """``nn.<cls>(*args, **kwargs)``; kwargs only where they differ from PyTorch's defaults."""

    cls: str
    args: tuple
    kwargs: tuple  # ((name, value), ...)
    where: str
    out_shape: Shape
    params: int


@dataclass(frozen=True)
class Seq:
    items: tuple
    where: str
    comment: str = ""


@dataclass(frozen=True)
class ResidualPlan:
    body: Seq
    shortcut: Seq | None
    where: str


@dataclass(frozen=True)
class ConcatPlan:
    branches: tuple
    where: str


@dataclass(frozen=True)
class Plan:
    name: str
    input: tuple
    root: Seq
    output: Shape
    params: int
    activation_bytes: int


def _fmt(shape: Shape) -> str:
    return "×".join(str(s) for s in shape)


def _kw(**values) -> tuple:
    return tuple((k, v) for k, v in values.items() if v is not None)


def _single(pair):
    return pair[0] if pair[0] == pair[1] else pair


def _groups(a, channels: int, where: str) -> int:
    """A conv's or transposed conv's ``groups``, which must divide both its input and output channels."""
    groups = a["groups"]
    if channels % groups or a["out"] % groups:
        raise SpecError(f"groups = {groups} must divide the input channels ({channels}) and out ({a['out']})", where)
    return groups


def _window_size(out: int, size: int, args: dict, shape: Shape, axis: int, where: str) -> int:
    """``out``, a conv's or pool's output size along ``axis`` (0: height) for input ``size`` and window ``args``;
    below 1 it is a SpecError that writes out the arithmetic."""
    if out < 1:
        raise SpecError(f"the input is {shape[1]}×{shape[2]} here, too small: output {('height', 'width')[axis]} "
                        f"= {explain_window(size, **args)} < 1", where)
    return out


def make_plan(spec: Spec) -> Plan:
    state = _State(spec.limits)
    root, out = state.sequence(spec.layers, tuple(spec.input), "layers")
    plan = Plan(spec.name, tuple(spec.input), root, out, state.params, state.activations * 4)
    limits = spec.limits
    if plan.params > limits.max_params:
        raise SpecError(f"the network has {plan.params:,} parameters, more than the budget of "
                        f"{limits.max_params:,}")
    if plan.activation_bytes > limits.max_activation_bytes:
        raise SpecError(f"one forward pass needs about {plan.activation_bytes / 2**20:,.0f} MB of activations, "
                        f"more than the budget of {limits.max_activation_bytes / 2**20:,.0f} MB")
    return plan


class _State:
    def __init__(self, limits):
        self.limits = limits
        self.params = 0
        self.activations = 0

    def sequence(self, nodes, shape: Shape, where: str, comment: str = "") -> tuple[Seq, Shape]:
        items = []
        for node in nodes:
            item, shape = self.node(node, shape)
            if isinstance(item, list):
                items.extend(item)
            else:
                items.append(item)
        return Seq(tuple(items), where, comment), shape

    def node(self, node, shape: Shape):
        if isinstance(node, Layer):
            call = self.layer(node, shape)
            self.params += call.params
            self.activations += math.prod(call.out_shape)
            return call, call.out_shape
        if isinstance(node, Repeat):
            items = []
            for _ in range(node.times):
                seq, shape = self.sequence(node.body, shape, f"{node.where}.layers")
                items.extend(seq.items)
            return Seq(tuple(items), node.where, f"repeat ×{node.times}"), shape
        if isinstance(node, Residual):
            body, out = self.sequence(node.body, shape, f"{node.where}.layers")
            if node.shortcut is not None:
                shortcut, short_out = self.sequence(node.shortcut, shape, f"{node.where}.shortcut")
            else:
                shortcut, short_out = None, shape
            if out != short_out:
                which = "shortcut" if node.shortcut is not None else "identity shortcut"
                raise SpecError(f"residual paths differ: layers give {_fmt(out)}, the {which} gives "
                                f"{_fmt(short_out)}; they must match to be added", node.where)
            self.activations += math.prod(out)
            return ResidualPlan(body, shortcut, node.where), out
        if isinstance(node, Concat):
            branches, outs = [], []
            for k, branch in enumerate(node.branches):
                seq, out = self.sequence(branch, shape, f"{node.where}.branches[{k}]")
                branches.append(seq)
                outs.append(out)
            if len({len(o) for o in outs}) > 1 or len({o[1:] for o in outs}) > 1:
                shapes = ", ".join(_fmt(o) for o in outs)
                raise SpecError(f"concat branches must keep the same spatial size, got {shapes}", node.where)
            out = (sum(o[0] for o in outs), *outs[0][1:])
            self.activations += math.prod(out)
            return ConcatPlan(tuple(branches), node.where), out
        raise TypeError(node)  # pragma: no cover - validate() only makes the four kinds

    # -- one layer ------------------------------------------------------------------------------
    def layer(self, layer: Layer, shape: Shape) -> Call:
        a, where, kind = layer.args, layer.where, layer.kind
        spatial = len(shape) == 3
        if kind in ("conv", "convtranspose", "maxpool", "avgpool", "adaptiveavgpool", "adaptivemaxpool") and not spatial:
            raise SpecError(f"{kind} needs a channels×height×width input, but receives {shape[0]} features "
                            "(after flatten)", where)
        if kind == "conv":
            return self.conv(a, shape, where)
        if kind == "convtranspose":
            return self.transposed(a, shape, where)
        if kind in ("maxpool", "avgpool"):
            return self.pool(kind, a, shape, where)
        if kind in ("adaptiveavgpool", "adaptivemaxpool"):
            cls = "AdaptiveAvgPool2d" if kind == "adaptiveavgpool" else "AdaptiveMaxPool2d"
            return Call(cls, (_single(a["size"]),), (), where, (shape[0], *a["size"]), 0)
        if kind == "batchnorm":
            cls = "BatchNorm2d" if spatial else "BatchNorm1d"
            kwargs = _kw(eps=a["eps"] if a["eps"] != 1e-5 else None,
                         momentum=a["momentum"] if a["momentum"] != 0.1 else None)
            return Call(cls, (shape[0],), kwargs, where, shape, 2 * shape[0])
        if kind == "linear":
            return self.linear(a, shape, where)
        if kind == "flatten":
            return Call("Flatten", (), (), where, (math.prod(shape),), 0)
        if kind == "dropout":
            return Call("Dropout", (a["p"],) if a["p"] != 0.5 else (), (), where, shape, 0)
        if kind == "leakyrelu":
            return Call("LeakyReLU", (a["slope"],) if a["slope"] != 0.01 else (), (), where, shape, 0)
        names = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU", "silu": "SiLU",
                 "identity": "Identity"}
        return Call(names[kind], (), (), where, shape, 0)

    def conv(self, a, shape, where) -> Call:
        channels, height, width = shape
        groups = _groups(a, channels, where)
        pad = a["padding"]
        if pad == "same" and a["stride"] != (1, 1):
            raise SpecError("padding 'same' needs stride 1 (PyTorch does not support it with strides)", where)
        if pad in ("same", "valid"):
            numeric = tuple(d * (k - 1) // 2 for k, d in zip(a["kernel"], a["dilation"])) if pad == "same" else (0, 0)
        else:
            numeric = pad
        sizes = []
        for axis, size in enumerate((height, width)):
            args = dict(kernel=a["kernel"][axis], stride=a["stride"][axis], padding=numeric[axis],
                        dilation=a["dilation"][axis])
            out = size if pad == "same" else window_output_size(size, **args)
            sizes.append(_window_size(out, size, args, shape, axis, where))
        params = a["out"] * (channels // groups) * a["kernel"][0] * a["kernel"][1] + (a["out"] if a["bias"] else 0)
        kwargs = _kw(kernel_size=_single(a["kernel"]),
                     stride=_single(a["stride"]) if a["stride"] != (1, 1) else None,
                     padding=(pad if isinstance(pad, str) else _single(pad)) if pad != (0, 0) else None,
                     dilation=_single(a["dilation"]) if a["dilation"] != (1, 1) else None,
                     groups=groups if groups != 1 else None, bias=False if not a["bias"] else None)
        return Call("Conv2d", (channels, a["out"]), kwargs, where, (a["out"], *sizes), params)

    def transposed(self, a, shape, where) -> Call:
        channels, height, width = shape
        groups = _groups(a, channels, where)
        sizes = []
        for axis, size in enumerate((height, width)):
            stride, dilation = a["stride"][axis], a["dilation"][axis]
            if a["output_padding"][axis] >= max(stride, dilation):
                raise SpecError("output_padding must be smaller than the stride or the dilation", where)
            out = transposed_output_size(size, a["kernel"][axis], stride, a["padding"][axis], dilation,
                                         a["output_padding"][axis])
            if out < 1:
                raise SpecError(f"output {('height', 'width')[axis]} would be {out} < 1", where)
            sizes.append(out)
        params = channels * (a["out"] // groups) * a["kernel"][0] * a["kernel"][1] + (a["out"] if a["bias"] else 0)
        kwargs = _kw(kernel_size=_single(a["kernel"]),
                     stride=_single(a["stride"]) if a["stride"] != (1, 1) else None,
                     padding=_single(a["padding"]) if a["padding"] != (0, 0) else None,
                     output_padding=_single(a["output_padding"]) if a["output_padding"] != (0, 0) else None,
                     groups=groups if groups != 1 else None, bias=False if not a["bias"] else None,
                     dilation=_single(a["dilation"]) if a["dilation"] != (1, 1) else None)
        return Call("ConvTranspose2d", (channels, a["out"]), kwargs, where, (a["out"], *sizes), params)

    def pool(self, kind, a, shape, where) -> Call:
        channels, height, width = shape
        stride = a["stride"] or a["kernel"]
        dilation = a.get("dilation", (1, 1))
        sizes = []
        for axis, size in enumerate((height, width)):
            effective = (a["kernel"][axis] - 1) * dilation[axis] + 1
            if a["padding"][axis] * 2 > effective:
                raise SpecError(f"padding {a['padding'][axis]} is more than half the window ({effective})", where)
            args = dict(kernel=a["kernel"][axis], stride=stride[axis], padding=a["padding"][axis],
                        dilation=dilation[axis], ceil_mode=a["ceil_mode"])
            sizes.append(_window_size(window_output_size(size, **args), size, args, shape, axis, where))
        cls = "MaxPool2d" if kind == "maxpool" else "AvgPool2d"
        kwargs = _kw(stride=_single(stride) if stride != a["kernel"] else None,
                     padding=_single(a["padding"]) if a["padding"] != (0, 0) else None,
                     dilation=_single(dilation) if kind == "maxpool" and dilation != (1, 1) else None,
                     ceil_mode=True if a["ceil_mode"] else None)
        return Call(cls, (_single(a["kernel"]),), kwargs, where, (channels, *sizes), 0)

    def linear(self, a, shape, where) -> Call:
        if len(shape) != 1:
            raise SpecError(f"linear needs a flat input, but receives {_fmt(shape)}: add flatten (or "
                            "adaptiveavgpool then flatten) before it", where)
        features = shape[0]
        if a["in"] is not None and a["in"] != features:
            raise SpecError(f"in = {a['in']}, but the input has {features} features here: set in: {features} "
                            "or leave it out to infer it", where)
        params = features * a["out"] + (a["out"] if a["bias"] else 0)
        return Call("Linear", (features, a["out"]), _kw(bias=False if not a["bias"] else None), where,
                    (a["out"],), params)
