"""Receptive fields of every row, computed over the traced data-flow graph (never hook order).

Per spatial axis a field is ``size`` (input pixels that can influence one unit), ``jump``
(input pixels between neighbouring units) and ``start`` (input coordinate of the left edge of
the first unit's field; negative where it reaches into padding).  Each row's field follows
from the fields of the rows it consumed:

* window ops (conv, pool):      size = r + (k−1)·d·j,  jump = j·s,  start = st − p·j
* transposed conv (stride s):   jump = j/s, size = r + (⌈(d·(k−1)+1)/s⌉−1)·j
* nearest upsampling (scale f): jump = j/f; bilinear/bicubic add one/three input steps
* merges (add, mul, cat, ...):  the union of the paths' fields, with a diagnostic when the
  paths' jumps or centres disagree
* global pooling, flatten, linear over a spatial axis, attention over spatial tokens: global
* a gate computed from a global context (squeeze-and-excitation: ``x * sigmoid(fc(pool(x)))``)
  rescales the local path: the row keeps the local field and says ``gated``.  Strictly every
  unit then depends on every pixel through the pooled context; the local field is what
  says *where* the unit looks, which is what the receptive field is used for.

Normalisation statistics are treated as constants (as in the literature).  Where the engine
cannot follow the spatial axes (windowed attention's ``roll``, a reshape that folds H and W
into tokens) the row has no field and a diagnostic says where tracking stopped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from torch import nn

from cnnscope.analysis.trace import TensorArg, Tracer
from cnnscope.report import Diagnostic


@dataclass(frozen=True)
class Field:
    size: tuple
    jump: tuple
    start: tuple
    axes: tuple  # negative tensor dims holding the spatial axes, e.g. (-2, -1) for NCHW
    gated: bool = False
    note: str = ""  # the recurrence, written out for students


@dataclass(frozen=True)
class Global:
    note: str = ""


@dataclass(frozen=True)
class Merged:
    """Spatial axes folded into a token axis: attention over it makes the field global."""

    note: str = ""


@dataclass(frozen=True)
class Untracked:
    reason: str


_POINTWISE_MODULES = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU, nn.Mish,
    nn.Hardswish, nn.Hardsigmoid, nn.Hardtanh, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.Identity,
    nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.GroupNorm, nn.InstanceNorm1d, nn.InstanceNorm2d,
    nn.InstanceNorm3d, nn.LocalResponseNorm, nn.LayerNorm, nn.Dropout, nn.Dropout1d, nn.Dropout2d,
    nn.Dropout3d, nn.AlphaDropout, nn.ChannelShuffle,
)
# torchvision's and timm's regularisers and channel norms, by class name (no import needed).
_POINTWISE_TYPE_NAMES = frozenset({"StochasticDepth", "DropPath", "DropBlock2d", "LayerNorm2d", "FrozenBatchNorm2d"})
_POINTWISE_FUNCTIONS = frozenset({
    "relu", "relu6", "leaky_relu", "gelu", "silu", "mish", "hardswish", "hardsigmoid", "hardtanh", "sigmoid",
    "tanh", "elu", "selu", "celu", "softplus", "dropout", "dropout2d", "dropout1d", "dropout3d", "batch_norm",
    "layer_norm", "group_norm", "instance_norm", "local_response_norm", "clamp", "clip", "neg", "abs", "exp",
    "log", "sqrt", "rsqrt", "square", "reciprocal", "expand", "expand_as", "channel_shuffle", "native_channel_shuffle",
    "erf", "sign", "floor", "ceil", "round", "sin", "cos",
})
_MERGES = frozenset({"add", "sub", "mul", "div", "true_divide", "cat", "concat", "concatenate", "stack",
                     "maximum", "minimum", "where", "addcmul", "lerp", "rsub"})
_RESHAPES = frozenset({"view", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose",
                       "movedim", "swapaxes", "getitem", "chunk", "split", "unbind", "narrow", "select",
                       "view_as", "reshape_as", "t"})
_PERMUTES = frozenset({"permute", "transpose", "swapaxes", "swapdims", "movedim", "t"})
_SELECTIONS = frozenset({"getitem", "select", "chunk", "split", "unbind", "narrow", "squeeze", "unsqueeze"})
_REDUCTIONS = frozenset({"mean", "sum", "amax", "amin", "max", "min", "std", "var", "logsumexp",
                         "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
                         "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"})
_ATTENTION = frozenset({"scaled_dot_product_attention", "multi_head_attention_forward"})
_SPATIAL_MIXERS = frozenset({"softmax", "log_softmax"})
_MATMULS = frozenset({"matmul", "bmm", "einsum", "mm", "baddbmm", "addmm"})


def _num(x):
    """Whole numbers as ints, others rounded for display stability."""
    return int(round(x)) if abs(x - round(x)) < 1e-9 else round(float(x), 6)


def _first_shape(shape):
    if shape and isinstance(shape[0], (list, tuple)):
        return list(shape[0])
    return list(shape) if shape else []


def _positions(field: Field, ndim: int) -> list[int]:
    return [ndim + a for a in field.axes]


def _spatial_sizes(shape, field: Field) -> list[int] | None:
    ndim = len(shape)
    positions = _positions(field, ndim)
    if any(p < 0 or p >= ndim for p in positions):
        return None
    return [shape[p] for p in positions]


def _track_by_shape(field: Field, in_shape, out_shape, selection: bool = False) -> Field | None:
    """Follow spatial axes through a reshape-like op: an axis survives when the products of the
    sizes before and after it are unchanged (so no position was mixed with another).  A
    selection (indexing, chunk, squeeze) may drop or split the leading dims, so only the
    product after the axis must match there."""
    in_shape, out_shape = list(in_shape), list(out_shape)
    new_axes = []
    for p in _positions(field, len(in_shape)):
        if p < 0 or p >= len(in_shape):
            return None
        left, size, right = math.prod(in_shape[:p]), in_shape[p], math.prod(in_shape[p + 1:])
        found = None
        for q in range(len(out_shape)):
            if (out_shape[q] == size and (selection or math.prod(out_shape[:q]) == left)
                    and math.prod(out_shape[q + 1:]) == right):
                found = q
                break
        if found is None:
            return None
        new_axes.append(found - len(out_shape))
    return replace(field, axes=tuple(new_axes), note="")


class _Engine:
    def __init__(self, tracer: Tracer, input_shapes):
        self.tracer = tracer
        self.rows = tracer.rows
        self.states: dict[int, object] = {}
        self.diagnostics: list[Diagnostic] = []
        self.assumed: list[str] = []
        self.input_states = []
        for shape in input_shapes:
            n = len(shape) - 2
            if n >= 1:
                ones = tuple(1 for _ in range(n))
                self.input_states.append(Field(ones, ones, tuple(0 for _ in range(n)), tuple(range(-n, 0))))
            else:
                self.input_states.append(None)  # not an image: carries no field
        first = _first_shape(input_shapes[0])
        self.image_size = first[2:] if len(first) > 2 else []

    # -- plumbing -------------------------------------------------------------------------
    def state_of(self, index: int):
        if index < 0:
            k = -1 - index
            return self.input_states[k] if k < len(self.input_states) else None
        return self.states.get(index)

    def run(self) -> dict[int, object]:
        for row in self.rows:
            if not row.children:
                self.states[row.index] = self.leaf(row)
        for row in reversed(self.rows):  # containers: the field of what they return
            if row.children:
                sources = [self.state_of(i) for i in row.output_from]
                sources = [s for s in sources if s is not None]
                self.states[row.index] = sources[0] if sources else None
        if self.assumed:
            names = ", ".join(sorted(set(self.assumed))[:6])
            self.diagnostics.append(Diagnostic(
                "info", "rf-assumed-pointwise",
                f"receptive field: these ops keep their input's spatial shape and were taken to act "
                f"pointwise: {names}"))
        return self.states

    def untracked(self, row, reason: str) -> Untracked:
        self.diagnostics.append(Diagnostic(
            "info", "rf-untracked", f"receptive field not tracked from {row.name or '(model)'} on: {reason}",
            layer=row.name))
        return Untracked(reason)

    # -- one row ---------------------------------------------------------------------------
    def leaf(self, row):
        self._current = row
        states = [self.state_of(i) for i in row.inputs]
        spatial = [s for s in states if s is not None]
        if not spatial:
            return None
        if any(isinstance(s, Untracked) for s in spatial):
            return next(s for s in spatial if isinstance(s, Untracked))
        kind = row.type if row.kind == "function" else None
        module = row.module
        if kind in _MERGES:
            return self.merge(row, states)
        state = spatial[0]
        in_shape = row.input_shapes[0] if row.input_shapes else []
        out_shape = _first_shape(row.output_shape)
        if isinstance(state, Global):
            return Global()
        if isinstance(state, Merged):
            if kind in _ATTENTION or isinstance(module, nn.MultiheadAttention) or kind in _REDUCTIONS:
                return Global("attention or pooling over the spatial tokens")
            if len(out_shape) <= 2 and (kind in _RESHAPES | {"linear"} or isinstance(module, (nn.Linear, nn.Flatten))):
                return Global()
            return Merged()
        return self.local(row, state, kind, module, in_shape, out_shape)

    def local(self, row, field: Field, kind, module, in_shape, out_shape):
        attrs = row.attrs
        if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
            return self.transposed(field, module, in_shape)
        if attrs.get("kernel_size") is not None and (kind is None or kind.startswith(("conv", "max_pool", "avg_pool"))):
            return self.window(field, attrs, in_shape)
        if isinstance(module, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
                               nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)) \
                or (kind or "").startswith("adaptive_"):
            return self.adaptive(row, field, in_shape, out_shape)
        if isinstance(module, nn.Upsample) or kind in ("interpolate", "upsample"):
            mode = module.mode if module is not None else _kwarg(row, "mode", 3, "nearest")
            return self.upsample(field, in_shape, out_shape, mode)
        if isinstance(module, _POINTWISE_MODULES) or kind in _POINTWISE_FUNCTIONS or row.type in _POINTWISE_TYPE_NAMES:
            return replace(field, note="")
        if isinstance(module, nn.Linear) or kind == "linear":
            if _positions(field, len(in_shape))[-1] == len(in_shape) - 1:
                return Global("linear over a spatial axis")
            return replace(field, note="")
        if kind in _PERMUTES:
            return self.permute(row, field, kind, in_shape, out_shape)
        if isinstance(module, (nn.Flatten, nn.Unflatten)) or kind in _RESHAPES:
            return self.reshape(field, in_shape, out_shape, kind)
        if kind in _REDUCTIONS:
            return self.reduction(field, in_shape, out_shape)
        if kind in _ATTENTION or isinstance(module, nn.MultiheadAttention):
            return Global("attention over spatial positions")
        if kind in _SPATIAL_MIXERS:
            dim = _kwarg(row, "dim", 1, None)
            if dim is not None and (dim - len(in_shape) if dim >= 0 else dim) in field.axes:
                return Global(f"{kind} over a spatial axis")
            return replace(field, note="")
        if kind == "pad":
            return self.pad(row, field, in_shape)
        if kind == "roll":
            return self.untracked(row, "roll shifts positions cyclically (shifted windows)")
        if kind in _MATMULS:
            return self.untracked(row, f"{kind} mixes positions in a way the engine does not follow")
        sizes_in, sizes_out = _spatial_sizes(in_shape, field), _spatial_sizes(out_shape, field)
        if sizes_in is not None and sizes_in == sizes_out and len(in_shape) == len(out_shape):
            self.assumed.append(row.type)
            return replace(field, note="")
        return self.untracked(row, f"{row.type} changes the spatial shape in an unknown way")

    def window(self, field: Field, attrs, in_shape) -> Field:
        kernel, stride = attrs["kernel_size"], attrs["stride"]
        padding, dilation = attrs["padding"], attrs.get("dilation") or [1] * len(kernel)
        n = len(field.size)
        if len(kernel) != n:
            return Untracked(f"a {len(kernel)}-D window on a {n}-D field")
        size, jump, start, notes = [], [], [], []
        for a in range(n):
            r, j, st = field.size[a], field.jump[a], field.start[a]
            k, s, p, d = kernel[a], stride[a], padding[a], dilation[a]
            size.append(r + (k - 1) * d * j)
            jump.append(j * s)
            start.append(st - p * j)
            notes.append(f"r = {_num(r)} + ({k}−1)·{d}·{_num(j)} = {_num(size[-1])}, j = {_num(j)}·{s} = {_num(jump[-1])}, "
                         f"start = {_num(st)} − {p}·{_num(j)} = {_num(start[-1])}")
        note = notes[0] if len(set(notes)) == 1 else " | ".join(notes)
        return Field(tuple(size), tuple(jump), tuple(start), field.axes, field.gated, note)

    def transposed(self, field: Field, module, in_shape) -> Field:
        size, jump, start = [], [], []
        for a in range(len(field.size)):
            r, j, st = field.size[a], field.jump[a], field.start[a]
            k, s, p, d = module.kernel_size[a], module.stride[a], module.padding[a], module.dilation[a]
            taps = math.ceil((d * (k - 1) + 1) / s)  # inputs one output unit can draw from
            size.append(r + (taps - 1) * j)
            jump.append(j / s)
            start.append(st + math.ceil((p - d * (k - 1)) / s) * j)
        note = f"transposed: j = j_in/{module.stride[0]}, r = r_in + (⌈(d·(k−1)+1)/s⌉−1)·j_in"
        return Field(tuple(size), tuple(jump), tuple(start), field.axes, field.gated, note)

    def adaptive(self, row, field: Field, in_shape, out_shape):
        sizes_in, sizes_out = _spatial_sizes(in_shape, field), _spatial_sizes(out_shape, field)
        if sizes_in is None or sizes_out is None:
            return self.untracked(row, "adaptive pooling over unexpected axes")
        if all(o == 1 for o in sizes_out):
            return Global("global pooling")
        size, jump = [], []
        for a, (i, o) in enumerate(zip(sizes_in, sizes_out)):
            # PyTorch's window for output u spans [floor(u·i/o), ceil((u+1)·i/o)).
            widest = max(math.ceil((u + 1) * i / o) - (u * i) // o for u in range(o))
            size.append(field.size[a] + (widest - 1) * field.jump[a])
            jump.append(field.jump[a] * i / o)
        if any(i % o for i, o in zip(sizes_in, sizes_out)):
            self.diagnostics.append(Diagnostic(
                "info", "rf-approximate",
                f"{row.name}: adaptive pooling {sizes_in}→{sizes_out} has uneven windows; the field is the widest",
                layer=row.name))
        return Field(tuple(size), tuple(jump), field.start, field.axes, field.gated, "adaptive pooling")

    def upsample(self, field: Field, in_shape, out_shape, mode) -> Field:
        sizes_in, sizes_out = _spatial_sizes(in_shape, field), _spatial_sizes(out_shape, field)
        taps = {"nearest": 1, "nearest-exact": 1, "area": 1, "linear": 2, "bilinear": 2, "trilinear": 2,
                "bicubic": 4}.get(str(mode), 2)
        size = tuple(r + (taps - 1) * j for r, j in zip(field.size, field.jump))
        jump = tuple(j * i / o for j, i, o in zip(field.jump, sizes_in, sizes_out))
        return Field(size, jump, field.start, field.axes, field.gated, f"upsampling ({mode})")

    def permute(self, row, field: Field, kind, in_shape, out_shape):
        ndim = len(in_shape)
        args, kwargs = row.call_args if row.call_args else ((), {})
        rest = [a for a in args[1:]]
        order = list(range(ndim))
        if kind == "permute":
            dims = kwargs.get("dims", rest[0] if len(rest) == 1 and isinstance(rest[0], (list, tuple)) else rest)
            order = [d % ndim for d in dims]
        elif kind in ("transpose", "swapaxes", "swapdims", "t"):
            a, b = (rest + [0, 1])[:2] if kind != "t" else (0, 1)
            a, b = a % ndim, b % ndim
            order[a], order[b] = order[b], order[a]
        else:  # movedim(source, destination)
            return self.reshape(field, in_shape, out_shape)
        new_axes = tuple(order.index(p) - ndim for p in _positions(field, ndim))
        return replace(field, axes=new_axes, note="")

    def reshape(self, field: Field, in_shape, out_shape, kind=None):
        tracked = _track_by_shape(field, in_shape, out_shape, selection=kind in _SELECTIONS)
        if tracked is not None:
            return tracked
        if len(out_shape) <= 2:
            return Global("flatten")
        self.diagnostics.append(Diagnostic(
            "info", "rf-tokens",
            f"receptive field: {self._current.name} folds the spatial axes into tokens; rows after it show no "
            "field until attention or pooling over the tokens makes it global", layer=self._current.name))
        return Merged("spatial axes folded together")

    def reduction(self, field: Field, in_shape, out_shape):
        tracked = _track_by_shape(field, in_shape, out_shape)
        if tracked is not None:
            return tracked
        sizes_out = _spatial_sizes(out_shape, field) if len(out_shape) == len(in_shape) else None
        if sizes_out is None or all(s == 1 for s in sizes_out):
            return Global("global pooling")
        return Untracked("a reduction over part of the spatial axes")

    def pad(self, row, field: Field, in_shape):
        pads = _kwarg(row, "pad", 1, ())
        start = list(field.start)
        for a, axis in enumerate(field.axes):
            k = 2 * (-axis - 1)  # F.pad lists (left, right) pairs from the last dim backwards
            if k < len(pads):
                start[a] = start[a] - pads[k] * field.jump[a]
        return replace(field, start=tuple(start), note="padding shifts the start")

    def merge(self, row, states):
        fields = [s for s in states if isinstance(s, Field)]
        others = [s for s in states if s is not None and not isinstance(s, Field)]
        if any(isinstance(s, Untracked) for s in others):
            return next(s for s in others if isinstance(s, Untracked))
        if any(isinstance(s, Merged) for s in others) or not fields:
            return Merged() if any(isinstance(s, Merged) for s in others) else Global()
        out_shape = _first_shape(row.output_shape)
        gated = False
        for s, shape in zip(states, row.input_shapes):
            if isinstance(s, Global):
                sizes = _spatial_sizes(shape, fields[0]) if len(shape) == len(out_shape) else [1]
                if sizes is None or all(v == 1 for v in sizes):
                    gated = True  # a broadcast context vector (squeeze-and-excitation gate)
                else:
                    return Global("merged with a global path")
        if row.type in ("cat", "concat", "concatenate"):
            dim = _kwarg(row, "dim", 1, 0)
            dim = dim - len(out_shape) if dim >= 0 else dim
            if dim in fields[0].axes:
                return self.untracked(row, "concatenation along a spatial axis")
        union = self.union(row, fields)
        if row.type == "stack":
            union = _track_by_shape(union, row.input_shapes[0], out_shape) or union
        return replace(union, gated=gated or any(f.gated for f in fields))

    def union(self, row, fields: list[Field]) -> Field:
        first = fields[0]
        if len(fields) == 1:
            return replace(first, note="")
        size, start = [], []
        for a in range(len(first.size)):
            lo = min(f.start[a] for f in fields)
            hi = max(f.start[a] + f.size[a] for f in fields)
            start.append(lo)
            size.append(hi - lo)
        if any(f.jump != first.jump for f in fields):
            self.diagnostics.append(Diagnostic(
                "warning", "rf-misaligned",
                f"{row.name}: paths with different jumps merge ({', '.join(str(_fmt(f.jump)) for f in fields)}); "
                "the field is their union", layer=row.name))
        elif any(_centre(f) != _centre(first) for f in fields):
            self.diagnostics.append(Diagnostic(
                "warning", "rf-misaligned",
                f"{row.name}: merging paths' fields are not centred alike "
                f"(centres {', '.join(str(_fmt(_centre(f))) for f in fields)}); the field is their union",
                layer=row.name))
        sizes = ", ".join("×".join(str(_num(v)) for v in f.size) for f in fields)
        return Field(tuple(size), first.jump, tuple(start), first.axes, False, f"union of {sizes}")


def _centre(field: Field) -> tuple:
    return tuple(round(st + r / 2, 9) for st, r in zip(field.start, field.size))


def _fmt(values) -> list:
    return [_num(v) for v in values]


def _kwarg(row, name: str, position: int, default):
    args, kwargs = row.call_args if row.call_args else ((), {})
    if name in kwargs:
        return kwargs[name]
    if len(args) > position and not isinstance(args[position], TensorArg):
        return args[position]
    return default


def compute(tracer: Tracer, input_shapes) -> tuple[dict[int, dict | None], list[Diagnostic]]:
    """``{row index: rf dict or None}`` and the diagnostics; see the module docstring."""
    engine = _Engine(tracer, input_shapes)
    states = engine.run()
    image = engine.image_size
    result: dict[int, dict | None] = {}
    for index, state in states.items():
        result[index] = as_dict(state, image)
    return result, _dedupe(engine.diagnostics)


def as_dict(state, image_size) -> dict | None:
    if isinstance(state, Field):
        data = {"size": _fmt(state.size), "jump": _fmt(state.jump), "start": _fmt(state.start), "global": False}
        if state.gated:
            data["gated"] = True
        if state.note:
            data["recurrence"] = state.note
        return data
    if isinstance(state, Global):
        return {"size": list(image_size), "jump": None, "start": None, "global": True}
    return None


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen, result = set(), []
    for d in diagnostics:
        key = (d.code, d.message) if d.code != "rf-untracked" else (d.code,)
        if key not in seen:
            seen.add(key)
            result.append(d)
    return result
