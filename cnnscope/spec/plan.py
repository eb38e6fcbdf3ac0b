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
from cnnscope.i18n import _

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
class Row:
    """One layer as the summary table lists it: ``name`` is its module name in the built network
    ("6", "3.layers.0": the same nn.Sequential / Residual / Concat nesting), ``kind`` the spec's type."""

    name: str
    kind: str
    where: str  # the spec location, "layers[6].conv"
    input: Shape
    output: Shape
    params: int


@dataclass(frozen=True)
class Plan:
    name: str
    input: tuple
    root: Seq
    output: Shape
    params: int
    activation_bytes: int
    rows: tuple = ()  # every layer, in order (Row)


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
        raise SpecError(_("groups = {groups} must divide the input channels ({channels}) and out ({out})").format(
                            groups=groups, channels=channels, out=a['out']), where)
    return groups


def _size(shape: Shape) -> str:
    """``24`` for a square map, ``24×20`` otherwise (the chain of sizes in a message)."""
    return str(shape[1]) if shape[1] == shape[2] else f"{shape[1]}×{shape[2]}"


def _pair_text(pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}×{pair[1]}"


def _step(kind: str, a: dict) -> str:
    """How a layer is named in the chain of map sizes: ``conv 5``, ``maxpool 2``, ``conv 3 stride 2 padding 1``."""
    if kind.startswith("adaptive"):
        return kind
    text = f"{kind} {_pair_text(a['kernel'])}"
    stride = a.get("stride") or a["kernel"]
    if stride != ((1, 1) if kind in ("conv", "convtranspose") else a["kernel"]):
        text += f" stride {_pair_text(stride)}"
    padding = a.get("padding", (0, 0))
    if padding != (0, 0):
        text += f" padding {padding if isinstance(padding, str) else _pair_text(padding)}"
    if a.get("dilation", (1, 1)) != (1, 1):
        text += f" dilation {_pair_text(a['dilation'])}"
    return text


def _too_small(kind: str, a: dict, shape: Shape, padding: tuple, chain: str, where: str) -> SpecError:
    """A conv's or pool's window larger than the (padded) map: the sizes that led here, the arithmetic
    that fails, and the two fixes (a smaller kernel, more padding) with their numbers."""
    kernel, dilation = a["kernel"], a.get("dilation", (1, 1))
    stride = a.get("stride") or kernel
    failing = []
    for axis, size in enumerate(shape[1:]):
        args = dict(kernel=kernel[axis], stride=stride[axis], padding=padding[axis], dilation=dilation[axis],
                    ceil_mode=a.get("ceil_mode", False))
        if window_output_size(size, **args) < 1:
            failing.append((("height", "width")[axis], f"{explain_window(size, **args)} < 1"))
    if len(failing) == 2 and failing[0][1] == failing[1][1]:  # a square map and kernel: say it once
        failing = [("height and width", failing[0][1])]
    # out >= 1 exactly when dil·(k−1) + 1 <= size + 2·pad (the stride does not matter)
    kmax = min((shape[1 + ax] + 2 * padding[ax] - 1) // dilation[ax] + 1 for ax in (0, 1))
    pmin = max(math.ceil((dilation[ax] * (kernel[ax] - 1) + 1 - shape[1 + ax]) / 2) for ax in (0, 1))
    fixes = [f"use kernel ≤ {kmax}" + (f" with dilation {_pair_text(dilation)}" if dilation != (1, 1) else "")]
    spans = [dilation[ax] * (kernel[ax] - 1) + 1 for ax in (0, 1)]
    if kind == "conv" or all(pmin * 2 <= span for span in spans):  # a pool's padding is at most half its window
        fixes.append(f"padding ≥ {pmin}")
    window = _pair_text(kernel) if kernel[0] != kernel[1] else f"{kernel[0]}×{kernel[1]}"
    spread = f" (dilation {_pair_text(dilation)} spreads it over {spans[0]}×{spans[1]})" if dilation != (1, 1) else ""
    chain = chain if "→" in chain else "the input"
    error = SpecError(f"the map is {shape[1]}×{shape[2]} here ({chain}), too small for a {window} kernel{spread}: "
                      f"{'; '.join(f'output {axes} = {sums}' for axes, sums in failing)}; {', or '.join(fixes)}", where)
    error.fix = ", or ".join(fixes)
    return error


def _shortcut_fix(shape: Shape, out: Shape) -> str:
    """``: give the block a shortcut: [conv: {out: 64, kernel: 1, stride: 2}]`` where a 1×1 conv makes the
    input the body's output shape; empty where none does."""
    if len(shape) != 3 or len(out) != 3 or shape[1] % out[1] or shape[2] % out[2] \
            or shape[1] // out[1] != shape[2] // out[2]:
        return ""
    stride = shape[1] // out[1]
    settings = f"out: {out[0]}, kernel: 1" + (f", stride: {stride}" if stride != 1 else "")
    return f"; a 1×1 conv shortcut makes them match: shortcut: [conv: {{{settings}}}]"


def make_plan(spec: Spec) -> Plan:
    """The plan of ``spec``; a SpecError raised here carries ``partial`` (the Rows planned before the
    failing layer), ``layer`` (that layer's name as the summary table names it) and ``kind``."""
    state = _State(spec.limits, spec.input)
    try:
        root, out = state.sequence(spec.layers, tuple(spec.input), "layers")
    except SpecError as error:
        error.partial = tuple(state.rows)
        error.layer, error.kind = state.current
        raise
    plan = Plan(spec.name, tuple(spec.input), root, out, state.params, state.activations * 4, tuple(state.rows))
    limits = spec.limits
    error = None
    if plan.params > limits.max_params:
        error = SpecError(f"the network has {plan.params:,} parameters, more than the budget of "
                          f"{limits.max_params:,}")
    elif plan.activation_bytes > limits.max_activation_bytes:
        error = SpecError(f"one forward pass needs about {plan.activation_bytes / 2**20:,.0f} MB of activations, "
                          f"more than the budget of {limits.max_activation_bytes / 2**20:,.0f} MB")
    if error is not None:
        error.partial, error.layer, error.kind = plan.rows, None, None
        raise error
    return plan


class _State:
    """Walks the spec once.  Besides the plan it keeps the rows planned so far, the layer being planned
    (its module name, as the built network names it) and the chain of map sizes along the path that
    reaches it, so a failure can show the partial table and why the map is that size."""

    def __init__(self, limits, input_shape):
        self.limits = limits
        self.params = 0
        self.activations = 0
        self.rows: list[Row] = []
        self.current: tuple = (None, None)  # (name, kind) of the node being planned
        self.chain = [_size(input_shape)] if len(input_shape) == 3 else [str(input_shape[0])]

    def sequence(self, nodes, shape: Shape, where: str, comment: str = "", prefix: str = "",
                 start: int = 0) -> tuple[Seq, Shape]:
        items = []
        for k, node in enumerate(nodes):  # each node is one module of the nn.Sequential: named by its index
            item, shape = self.node(node, shape, f"{prefix}{start + k}")
            items.append(item)
        return Seq(tuple(items), where, comment), shape

    def node(self, node, shape: Shape, name: str):
        self.current = (name, getattr(node, "kind", type(node).__name__.lower()))
        if isinstance(node, Layer):
            call = self.layer(node, shape)
            self.params += call.params
            self.activations += math.prod(call.out_shape)
            self.rows.append(Row(name, node.kind, node.where, shape, call.out_shape, call.params))
            if len(shape) == 3 and len(call.out_shape) == 3 and call.out_shape[1:] != shape[1:]:
                self.chain += [_step(node.kind, node.args) if node.kind != "adaptiveavgpool" else node.kind,
                               _size(call.out_shape)]
            return call, call.out_shape
        if isinstance(node, Repeat):
            items = []
            for rep in range(node.times):  # one nn.Sequential: the repetitions' modules are numbered on
                seq, shape = self.sequence(node.body, shape, f"{node.where}.layers", prefix=f"{name}.",
                                           start=rep * len(node.body))
                items.extend(seq.items)
            return Seq(tuple(items), node.where, f"repeat ×{node.times}"), shape
        if isinstance(node, Residual):
            before = list(self.chain)
            body, out = self.sequence(node.body, shape, f"{node.where}.layers", prefix=f"{name}.layers.")
            after = self.chain
            if node.shortcut is not None:
                self.chain = list(before)  # the shortcut starts from the block's input
                shortcut, short_out = self.sequence(node.shortcut, shape, f"{node.where}.shortcut",
                                                    prefix=f"{name}.shortcut.")
            else:
                shortcut, short_out = None, shape
            self.chain = after
            self.current = (name, "residual")
            if out != short_out:
                which = "shortcut" if node.shortcut is not None else "identity shortcut"
                error = SpecError(f"residual paths differ: layers give {_fmt(out)}, the {which} gives "
                                  f"{_fmt(short_out)}; they must match to be added{_shortcut_fix(shape, out)}",
                                  node.where)
                raise error
            self.activations += math.prod(out)
            return ResidualPlan(body, shortcut, node.where), out
        if isinstance(node, Concat):
            branches, outs, before, first = [], [], list(self.chain), None
            for k, branch in enumerate(node.branches):
                self.chain = list(before)  # every branch starts from the block's input
                seq, out = self.sequence(branch, shape, f"{node.where}.branches[{k}]", prefix=f"{name}.branches.{k}.")
                first = first or self.chain
                branches.append(seq)
                outs.append(out)
            self.chain = first
            self.current = (name, "concat")
            if len({len(o) for o in outs}) > 1 or len({o[1:] for o in outs}) > 1:
                shapes = ", ".join(_fmt(o) for o in outs)
                raise SpecError(_("concat branches must keep the same spatial size, got {shapes}").format(
                                    shapes=shapes), node.where)
            out = (sum(o[0] for o in outs), *outs[0][1:])
            self.activations += math.prod(out)
            return ConcatPlan(tuple(branches), node.where), out
        raise TypeError(node)  # pragma: no cover - validate() only makes the four kinds

    # -- one layer ------------------------------------------------------------------------------
    def layer(self, layer: Layer, shape: Shape) -> Call:
        a, where, kind = layer.args, layer.where, layer.kind
        spatial = len(shape) == 3
        if kind in ("conv", "convtranspose", "maxpool", "avgpool", "adaptiveavgpool", "adaptivemaxpool") and not spatial:
            raise SpecError(_("{kind} needs a channels×height×width input, but receives {shape} features (after "
                              "flatten)").format(kind=kind, shape=shape[0]), where)
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
            raise SpecError(_("padding 'same' needs stride 1 (PyTorch does not support it with strides)"), where)
        if pad in ("same", "valid"):
            numeric = tuple(d * (k - 1) // 2 for k, d in zip(a["kernel"], a["dilation"])) if pad == "same" else (0, 0)
        else:
            numeric = pad
        sizes = []
        for axis, size in enumerate((height, width)):
            args = dict(kernel=a["kernel"][axis], stride=a["stride"][axis], padding=numeric[axis],
                        dilation=a["dilation"][axis])
            sizes.append(size if pad == "same" else window_output_size(size, **args))
        if min(sizes) < 1:
            raise _too_small("conv", a, shape, numeric, " → ".join(self.chain), where)
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
                raise SpecError(_("output_padding must be smaller than the stride or the dilation"), where)
            out = transposed_output_size(size, a["kernel"][axis], stride, a["padding"][axis], dilation,
                                         a["output_padding"][axis])
            if out < 1:
                raise SpecError(_("output {value} would be {out} < 1").format(value=('height', 'width')[axis], out=out), where)
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
                raise SpecError(_("padding {padding} is more than half the window ({effective})").format(
                                    padding=a['padding'][axis], effective=effective), where)
            args = dict(kernel=a["kernel"][axis], stride=stride[axis], padding=a["padding"][axis],
                        dilation=dilation[axis], ceil_mode=a["ceil_mode"])
            sizes.append(window_output_size(size, **args))
        if min(sizes) < 1:
            raise _too_small(kind, a, shape, a["padding"], " → ".join(self.chain), where)
        cls = "MaxPool2d" if kind == "maxpool" else "AvgPool2d"
        kwargs = _kw(stride=_single(stride) if stride != a["kernel"] else None,
                     padding=_single(a["padding"]) if a["padding"] != (0, 0) else None,
                     dilation=_single(dilation) if kind == "maxpool" and dilation != (1, 1) else None,
                     ceil_mode=True if a["ceil_mode"] else None)
        return Call(cls, (_single(a["kernel"]),), kwargs, where, (channels, *sizes), 0)

    def linear(self, a, shape, where) -> Call:
        if len(shape) != 1:
            raise SpecError(_("linear needs a flat input, but receives {shape}: add flatten (or adaptiveavgpool "
                              "then flatten) before it").format(shape=_fmt(shape)), where)
        features = shape[0]
        if a["in"] is not None and a["in"] != features:
            raise SpecError(_("in = {in_value}, but the input has {features} features here: set in: {features} or "
                              "leave it out to infer it").format(in_value=a['in'], features=features), where)
        params = features * a["out"] + (a["out"] if a["bias"] else 0)
        return Call("Linear", (features, a["out"]), _kw(bias=False if not a["bias"] else None), where,
                    (a["out"],), params)
