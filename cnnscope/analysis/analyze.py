"""``analyze``: build (if needed), trace once, and return a :class:`ModelReport`."""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Sequence

import torch
from torch import nn

from cnnscope._version import __version__
from cnnscope.analysis import coverage
from cnnscope.analysis import params as param_count
from cnnscope.analysis import receptive_field
from cnnscope.analysis.memory import training_bytes
from cnnscope.analysis.min_input import passes_size_checks, smallest_square_input
from cnnscope.analysis.preflight import FeatureMismatchError, TooSmallError
from cnnscope.analysis.trace import Row, Tracer, run_trace
from cnnscope.errors import ShapeError, UsageError
from cnnscope.report import TRAIN_BATCH_CODE, Diagnostic, LayerRecord, ModelReport, Totals
from cnnscope.i18n import _

_META_FAILURE_HINTS = ("meta", "Meta", "data-dependent", "item()")
_BATCH_NORM_NEEDS_TWO = "more than 1 value per channel"


def plain_meta_reason(message: str) -> str:
    """Why the meta device failed, in words: torch's "register_meta function for torch.nonzero() raises
    unimplemented ... set 'torch.fx.experimental._config...' to True" becomes what the op needs."""
    missing = re.search(r"register_meta function for (torch\.[\w.]+\(\))", message)
    if missing:
        return (f"{missing.group(1)} returns a result whose size depends on the tensor's values, which a trace "
                "of shapes alone cannot know")
    return message.splitlines()[0] if message else "no reason given"


def normalize_input_shapes(input_shape, default: Sequence[int] | None = None) -> list[tuple[int, ...]]:
    """Shapes taken literally, or a list of them; without one, the model's natural ``(C, H, W)``
    with a batch of 1.  (The CLI reads three numbers as C,H,W; the API never guesses.)"""
    if input_shape is None:
        if default is None:
            raise UsageError(_("this model has no natural input: give an input shape such as 1,3,224,224"))
        input_shape = (1, *default)
    shapes = list(input_shape) if _is_shape_list(input_shape) else [input_shape]
    result = []
    for shape in shapes:
        shape = tuple(int(s) for s in shape)
        if not shape or any(s < 1 for s in shape):
            raise UsageError(_("input shape {shape} must be positive integers").format(shape=shape))
        result.append(shape)
    return result


def _is_shape_list(value) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and isinstance(value[0], (list, tuple))


def analyze(model: str | nn.Module, input_shape=None, *, name: str | None = None, device: str = "meta",
            dtype: torch.dtype | None = None, mode: str = "eval", input_dtype=None, input_data=None) -> ModelReport:
    """Trace ``model`` once and return its report; ``model`` is never modified.

    ``model`` is a zoo name, ``timm:NAME``, ``file.py:Name`` or an ``nn.Module``.  A detection
    model (torchvision's R-CNNs, RetinaNet, FCOS, SSD) is called with a list of images: each shape
    is one C×H×W image (1×C×H×W reads as one); a batch of several is refused with a ``UsageError``.  ``device="meta"`` (the
    default) allocates no weights; where a model cannot run on meta tensors it is traced on the
    CPU instead and the report says so in ``traced_on`` and a diagnostic.  ``mode="train"``
    traces in training mode (dropout and batch statistics active, auxiliary heads called); the
    model's own flags and buffers are restored afterwards.

    ``input_dtype`` gives the inputs' dtypes (one for all, or one per input: ``torch.int64`` for
    token ids); ``input_data`` takes example inputs in place of ``input_shape`` and
    ``input_dtype``: a tensor, a list/tuple of tensors (positional arguments), a dict (keyword
    arguments) or an ``(args, kwargs)`` pair.  Only their shapes and dtypes are used, on meta;
    non-tensor keyword values (``None``, flags) are passed as they are.  The report's
    ``input_shape`` and ``input_dtypes`` list the positional tensors first, then the keyword
    tensors in the dict's order; ``input_keywords`` names the keyword ones.
    """
    if mode not in ("eval", "train"):
        raise UsageError(_("mode must be 'eval' or 'train', not {mode!r}").format(mode=mode))
    if isinstance(model, str) and model.lower().endswith(".onnx"):  # read natively: no module, no trace
        if mode != "eval" or input_data is not None or input_dtype is not None:
            raise UsageError(_("{model}: an ONNX file is analysed as exported (eval mode, its own input dtypes); "
                               "give only an input shape").format(model=model))
        from cnnscope.analysis.onnx_graph import analyze_onnx

        return analyze_onnx(model, input_shape, name=name)
    keywords = _Keywords()
    if input_data is not None:
        input_shape, input_dtype, keywords = _from_input_data(input_data, input_shape, input_dtype)
    if isinstance(model, str):
        from cnnscope.sources import load_model

        chw = None
        if input_shape is not None:
            first = input_shape[0] if _is_shape_list(input_shape) else input_shape
            chw = tuple(first[1:]) if len(first) == 4 else None
        loaded = load_model(model, device=device, input_shape=chw)
        module, label, default = loaded.module, name or loaded.name, loaded.input_shape
        input_format = loaded.input_format
        if input_shape is None and (input_format != "tensor" or loaded.input_shapes):
            input_shape = loaded.natural_inputs()  # a detection model's list, or a .pt2's exported shapes
    elif isinstance(model, nn.Module):
        module, label, default = model, name or type(model).__name__, getattr(model, "input_shape", None)
        input_format = input_format_of(module)
    else:
        raise UsageError(_("cannot analyze a {name}: pass a model name or an nn.Module").format(
                             name=type(model).__name__))
    natural_input = input_shape is None
    if input_format == "image_list" and input_shape is None and default is not None:
        input_shape = [tuple(default)]
    shapes = normalize_input_shapes(input_shape, default)
    if input_format == "image_list":
        if keywords.names or keywords.constants:
            raise UsageError(_("{label} is a detection model: it takes a list of images, not keyword arguments").format(
                                 label=label))
        shapes = _image_list_shapes(shapes, label)
    dtype = dtype or _model_dtype(module)
    dtypes = _input_dtypes(input_dtype, len(shapes), dtype)
    diagnostics: list[Diagnostic] = []
    try:
        tracer, output, traced_on, module = _trace(module, shapes, dtypes, device, diagnostics, model,
                                                   input_format == "image_list", training=mode == "train",
                                                   keywords=keywords)
    except TooSmallError as exc:
        fits = _smallest_fitting_size(module, shapes, dtypes, keywords)
        if fits is not None:
            exc.args = (_("{message}; the smallest square input that fits is {size}×{size}").format(
                message=exc, size=fits),)
        raise
    except FeatureMismatchError as exc:
        size = _input_size_for_features(module, shapes, dtypes, exc, keywords)
        if size is not None:
            exc.args = (_("{message}, or feed a {size}×{size} input").format(message=exc, size=size),)
        raise
    except ShapeError as exc:
        if not (mode == "train" and _BATCH_NORM_NEEDS_TWO in str(exc)):
            raise
        if not (natural_input and input_format == "tensor" and all(s[0] == 1 for s in shapes)):
            exc.args = (f"{exc}; in training mode batch norm needs a batch of 2 or more, e.g. "
                        f"{','.join(map(str, (2, *shapes[0][1:])))}",)
            raise
        # The user asked for training mode, not for a batch size: the natural batch of 1 gives a batch
        # norm one value per channel, which PyTorch refuses; batch 2 is the smallest that trains.
        shapes = [(2, *s[1:]) for s in shapes]
        where = f"{exc.layer} (batch norm)" if exc.layer else "a batch norm"
        diagnostics = [Diagnostic("info", TRAIN_BATCH_CODE,
                                  f"traced at batch 2, not the natural batch of 1: in training mode, {where} "
                                  f"would see one value per channel (batch statistics need two or more); "
                                  f"--input sets another shape", layer=exc.layer)]
        try:
            tracer, output, traced_on, module = _trace(module, shapes, dtypes, device, diagnostics, model,
                                                       False, training=True, keywords=keywords)
        except ShapeError as again:  # say why the shapes have a batch of 2 the user never asked for
            again.args = (f"{again} (traced at batch 2 for training mode)",)
            raise
    report = _build_report(module, label, shapes, tracer, output, traced_on, dtype, diagnostics, mode, dtypes,
                           unbatched=input_format == "image_list")
    if keywords.names:
        report = dataclasses.replace(report, input_keywords=list(keywords.names))
    return report


def input_format_of(module: nn.Module) -> str:
    """"image_list" for torchvision's detection models (they take a list of C×H×W images), else "tensor"."""
    import sys

    if "torchvision.models.detection" not in sys.modules:
        return "tensor"
    from torchvision.models.detection.fcos import FCOS
    from torchvision.models.detection.generalized_rcnn import GeneralizedRCNN
    from torchvision.models.detection.retinanet import RetinaNet
    from torchvision.models.detection.ssd import SSD

    return "image_list" if isinstance(module, (GeneralizedRCNN, RetinaNet, FCOS, SSD)) else "tensor"


def _image_list_shapes(shapes, label: str) -> list[tuple[int, ...]]:
    """A detection model's input: one C×H×W image per shape (1×C×H×W is read as one image)."""
    images = []
    for shape in shapes:
        if len(shape) == 4 and shape[0] == 1:
            shape = shape[1:]
        if len(shape) != 3:
            shown = "×".join(map(str, shape))
            raise UsageError(_("{label} is a detection model: it takes a list of 3×H×W images, not a {shown} "
                               "tensor; give one image as 3,H,W (several: join them with ';')").format(
                                 label=label, shown=shown))
        images.append(tuple(shape))
    return images


@dataclasses.dataclass(frozen=True)
class _Keywords:
    """How the trailing inputs are passed: ``names`` (in order) name the last ``len(names)``
    input tensors, which go in by keyword, with ``constants`` (non-tensor keyword values)."""

    names: tuple = ()
    constants: dict = dataclasses.field(default_factory=dict)

    def split(self, inputs):
        """(args, kwargs) for one call from the flat list of input tensors."""
        n = len(inputs) - len(self.names)
        return list(inputs[:n]), {**dict(zip(self.names, inputs[n:])), **self.constants}


def _from_input_data(data, input_shape, input_dtype):
    """(shapes, dtypes, keywords) of example inputs: a tensor, a list/tuple of tensors, a dict
    of keyword arguments or an ``(args, kwargs)`` pair; positional tensors first."""
    if input_shape is not None or input_dtype is not None:
        raise UsageError(_("give input_data, or input_shape and input_dtype, not both"))
    if isinstance(data, dict):
        args, kwargs = [], data
    elif (isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], (list, tuple))
          and isinstance(data[1], dict)):
        args, kwargs = list(data[0]), data[1]
    else:
        args, kwargs = (list(data) if isinstance(data, (list, tuple)) else [data]), {}
    if not all(isinstance(t, torch.Tensor) for t in args) or not all(isinstance(k, str) for k in kwargs):
        raise UsageError(_("input_data takes a tensor, a list/tuple of tensors, a dict of keyword arguments or an "
                           "(args, kwargs) pair"))
    named = {k: v for k, v in kwargs.items() if isinstance(v, torch.Tensor)}
    tensors = args + list(named.values())
    if not tensors:
        raise UsageError(_("input_data holds no tensor"))
    keywords = _Keywords(tuple(named), {k: v for k, v in kwargs.items() if k not in named})
    return [tuple(t.shape) for t in tensors], [t.dtype for t in tensors], keywords


_DTYPE_NAMES = ("float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool")


def parse_dtype(value) -> torch.dtype:
    """``torch.int64`` or ``"int64"`` (also ``"long"``, ``"half"``) -> a torch dtype."""
    if isinstance(value, torch.dtype):
        return value
    aliases = {"float": "float32", "double": "float64", "half": "float16", "long": "int64", "int": "int32"}
    name = aliases.get(str(value).strip(), str(value).strip())
    if name not in _DTYPE_NAMES:
        raise UsageError(_("unknown dtype {value!r}; choose from {DTYPE_NAMES}").format(
                             value=value, DTYPE_NAMES=', '.join(_DTYPE_NAMES)))
    return getattr(torch, name)


def _input_dtypes(input_dtype, count: int, model_dtype: torch.dtype) -> list[torch.dtype]:
    if input_dtype is None:
        return [model_dtype] * count
    values = list(input_dtype) if isinstance(input_dtype, (list, tuple)) else [input_dtype]
    if len(values) == 1:
        values = values * count
    if len(values) != count:
        raise UsageError(_("{n} input dtypes for {count} inputs: give one, or one per input").format(
                             n=len(values), count=count))
    return [parse_dtype(v) for v in values]


def _smallest_fitting_size(module, shapes, dtypes, keywords=None) -> int | None:
    if len(shapes) != 1 or len(shapes[0]) != 4:
        return None
    batch, channels, height, width = shapes[0]

    def fits(size: int) -> bool:
        return passes_size_checks(lambda: _trace_meta(module, [(batch, channels, size, size)], dtypes[:1],
                                                      keywords=keywords))

    return smallest_square_input(fits, max(height, width))


def _input_size_for_features(module, shapes, dtypes, error, keywords=None) -> int | None:
    """The square input size at which the failing Linear receives the features it expects."""
    if len(shapes) != 1 or len(shapes[0]) != 4:
        return None
    batch, channels = shapes[0][:2]

    def received(size: int) -> int | None:
        try:
            _trace_meta(module, [(batch, channels, size, size)], dtypes[:1], keywords=keywords)
        except FeatureMismatchError as exc:
            return exc.received if exc.layer == error.layer else None
        except TooSmallError:
            return 0
        except Exception:  # noqa: BLE001 - any other failure: no suggestion
            return None
        return error.expected  # it ran: that size fits

    low, high = 1, 4096
    while low < high:  # features grow with the input size, so bisect for the first size that is enough
        middle = (low + high) // 2
        got = received(middle)
        if got is None:
            return None
        if got < error.expected:
            low = middle + 1
        else:
            high = middle
    return low if received(low) == error.expected else None


def _model_dtype(module: nn.Module) -> torch.dtype:
    for tensor in module.parameters():
        if tensor.is_floating_point():
            return tensor.dtype
    return torch.get_default_dtype()


def _model_device(module: nn.Module) -> torch.device:
    for tensor in module.parameters():
        return tensor.device
    for tensor in module.buffers():
        return tensor.device
    return torch.device("cpu")


def _post_processing_note(module) -> str:
    """What a detection model's count depends on: two-stage models (R-CNN: proposals, then per-proposal heads)
    and one-stage ones (SSD, RetinaNet, FCOS: heads over the maps, then box decoding and NMS) differ."""
    if getattr(module, "roi_heads", None) is not None:
        return ("how many proposals and detections survive (score threshold, NMS) depends on the weights and "
                "the image: backbone, FPN and RPN/heads over the feature maps are exact; the per-proposal box, "
                "mask and keypoint heads are counted for the proposals this trace kept (a zoo model: random "
                "weights, seed 0, a zero image)")
    return ("how many detections survive (score threshold, NMS) depends on the weights and the image: the "
            "backbone and the heads over the feature maps are exact; decoding the boxes and NMS afterwards are "
            "not multiply-accumulates and are left out (a zoo model: random weights, seed 0, a zero image)")


def _trace(module, shapes, dtypes, device, diagnostics, source, image_list: bool = False, training: bool = False,
           keywords=None):
    """Trace on ``device`` (meta by default); fall back to real tensors where meta cannot run."""
    want_meta = torch.device(device).type == "meta"
    if want_meta:
        try:
            return (*_trace_meta(module, shapes, dtypes, image_list, training, keywords), "meta", module)
        except ShapeError:
            raise
        except Exception as exc:  # noqa: BLE001 - decide below whether it is the meta device's fault
            if not any(h in str(exc) for h in _META_FAILURE_HINTS) and not isinstance(exc, NotImplementedError):
                raise _shape_error(exc, shapes, module) from exc
            reason = plain_meta_reason(str(exc))
        diagnostics.append(Diagnostic(
            "info", "traced-on-cpu",
            f"this model cannot run on the meta device ({reason}); it was traced on the CPU with real weights"))
        device = "cpu"
        if _model_device(module).type == "meta":
            if not isinstance(source, str):
                raise ShapeError(_("the model cannot be traced on the meta device ({reason})").format(reason=reason))
            from cnnscope.sources import load_model

            module = load_model(source, device="cpu", seed=0).module  # seeded: data-dependent counts are repeatable
        if image_list:
            diagnostics.append(Diagnostic("info", "detection-post-processing", _post_processing_note(module)))
    real_device = torch.device(device)
    inputs = [torch.zeros(shape, dtype=dt, device=real_device) for shape, dt in zip(shapes, dtypes)]
    args, kwargs = (keywords or _Keywords()).split(inputs)
    try:
        tracer, output = run_trace(module, args, _image_list_call(module) if image_list else None,
                                   training=training, kwargs=kwargs)
    except ShapeError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _shape_error(exc, shapes, module) from exc
    return tracer, output, real_device.type, module


def _image_list_call(module):
    return lambda *images: module(list(images))


def _trace_meta(module: nn.Module, shapes, dtypes, image_list: bool = False, training: bool = False,
                keywords=None):
    inputs = [torch.empty(shape, dtype=dt, device="meta") for shape, dt in zip(shapes, dtypes)]
    inputs, kwargs = (keywords or _Keywords()).split(inputs)
    if _all_on_meta(module):
        return run_trace(module, inputs, _image_list_call(module) if image_list else None, training=training,
                         kwargs=kwargs)
    # A real module: swap in meta copies of its parameters and buffers for the call only.
    state = {name: torch.empty_like(t, device="meta") for name, t in _named_state(module)}
    originals = dict(_named_state(module))

    def call(*args, **kwargs):
        args = (list(args),) if image_list else args
        return torch.func.functional_call(module, state, args, kwargs, tie_weights=True, strict=False)

    tracer, output = run_trace(module, inputs, call, training=training, kwargs=kwargs)
    # Usage was recorded on the stand-ins: credit it to the real tensors.
    tracer.used_tensors |= {id(originals[name]) for name, t in state.items() if id(t) in tracer.used_tensors}
    return tracer, output


def _all_on_meta(module: nn.Module) -> bool:
    """Whether every parameter and buffer is on meta (read off each module's own dicts: cheaper than
    ``named_parameters``, which also removes duplicates, on models of thousands of modules)."""
    for submodule in module.modules():
        for table in (submodule._parameters, submodule._buffers):
            for tensor in table.values():
                if tensor is not None and tensor.device.type != "meta":
                    return False
    return True


def _named_state(module):
    yield from module.named_parameters()
    yield from module.named_buffers()


def _shape_error(exc: Exception, shapes, module) -> ShapeError:
    tracer: Tracer | None = getattr(exc, "cnnscope_tracer", None)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if tracer is None:
        return ShapeError(_("the forward pass failed: {message}").format(message=message))
    layer, input_shapes = tracer.failing_call()
    where = layer or "(model)"
    received = ", ".join("×".join(map(str, s)) for s in input_shapes) or "no tensors"
    error = ShapeError(f"{where} failed on input {received}: {message}", layer=layer)
    error.partial = tracer
    return error


# -- report assembly ---------------------------------------------------------------------------

def _inclusive(rows: list[Row]) -> list[tuple[int, int, int]]:
    """(macs, other_ops, alloc) of each row including its descendants."""
    totals = [[r.self_macs, r.self_other, r.self_alloc] for r in rows]
    for row in reversed(rows):  # children always come after their parent
        if row.parent is not None:
            for k in range(3):
                totals[row.parent][k] += totals[row.index][k]
    return [tuple(t) for t in totals]


def _inclusive_by_op(rows: list[Row]) -> list[dict]:
    """Each row's MACs by ATen op, including its descendants."""
    totals = [dict(r.self_macs_by_op) for r in rows]
    for row in reversed(rows):
        if row.parent is not None:
            target = totals[row.parent]
            for op, macs in totals[row.index].items():
                target[op] = target.get(op, 0) + macs
    return totals


def _sum_by_op(dicts) -> dict:
    total: dict[str, int] = {}
    for d in dicts:
        for op, macs in d.items():
            total[op] = total.get(op, 0) + macs
    return _by_size(total)


def _by_size(macs_by_op: dict) -> dict:
    """MACs by op, largest first (a copy; most rows have none or one op)."""
    if len(macs_by_op) < 2:
        return dict(macs_by_op)
    return dict(sorted(macs_by_op.items(), key=lambda item: -item[1]))


def layer_records(tracer: Tracer, model: nn.Module, fields: dict | None = None) -> list[LayerRecord]:
    rows = tracer.rows
    fields = fields or {}
    inclusive = _inclusive(rows)
    by_op = _inclusive_by_op(rows)
    counts = param_count.row_params(rows, model)
    records = []
    for row in rows:
        macs, other, _unused = inclusive[row.index]
        params, trainable = counts[row.index]
        records.append(LayerRecord(
            index=row.index, name=row.name, type=row.type, kind=row.kind, depth=row.depth,
            parent=None if row.parent is None else rows[row.parent].name,
            is_leaf=not row.children, call=row.call, input_shapes=row.input_shapes,
            output_shape=row.output_shape, params=params, trainable_params=trainable,
            macs=macs, flops=2 * macs, other_ops=other, output_bytes=row.output_bytes,
            inputs=list(row.inputs), output_from=list(row.output_from) if row.children else [],
            rf=fields.get(row.index), op_kind=None if row.children else row.op_kind,
            macs_by_operator=_by_size(by_op[row.index]), **row.attrs,
        ))
    return records


def _build_report(module, label, shapes, tracer: Tracer, output, traced_on, dtype, diagnostics,
                  mode: str = "eval", input_dtypes=None, unbatched: bool = False) -> ModelReport:
    from cnnscope.analysis.trace import shape_of

    fields, rf_diagnostics = receptive_field.compute(tracer, shapes, unbatched=unbatched)
    layers = layer_records(tracer, module, fields)
    counted = param_count.count(module)
    macs = sum(r.self_macs for r in tracer.rows) + tracer.outside.self_macs
    other = sum(r.self_other for r in tracer.rows) + tracer.outside.self_other
    activation = sum(r.self_alloc for r in tracer.rows) + tracer.outside.self_alloc
    input_dtypes = input_dtypes or [dtype] * len(shapes)
    input_bytes = sum(_numel(s) * torch.empty((), dtype=dt).element_size() for s, dt in zip(shapes, input_dtypes))
    sgd, adam = training_bytes(counted, activation, input_bytes)
    totals = Totals(
        params=counted.params, trainable_params=counted.trainable, frozen_params=counted.params - counted.trainable,
        buffers=counted.buffers, macs=macs, flops=2 * macs, other_ops=other,
        param_bytes=counted.param_bytes, buffer_bytes=counted.buffer_bytes, input_bytes=input_bytes,
        activation_bytes=activation, training_bytes_sgd=sgd, training_bytes_adam=adam, layers=len(layers),
        macs_by_operator=_sum_by_op([r.self_macs_by_op for r in tracer.rows] + [tracer.outside.self_macs_by_op]),
    )
    uncounted = coverage.uncounted_ops(tracer)
    diagnostics = (diagnostics + param_count.unused_diagnostics(tracer, module) + rf_diagnostics
                   + coverage.diagnostics(tracer, module, uncounted))
    return ModelReport(
        model=label, input_shape=list(shapes[0]) if len(shapes) == 1 else [list(s) for s in shapes],
        output_shape=shape_of(output), totals=totals, layers=layers, diagnostics=diagnostics,
        traced_on=traced_on, dtype=str(dtype).replace("torch.", ""), cnnscope_version=__version__,
        torch_version=torch.__version__, uncounted_ops=uncounted, mode=mode,
        input_dtypes=[str(dt).replace("torch.", "") for dt in input_dtypes],
    )


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def partial_report(error: ShapeError, model: nn.Module, label: str) -> list[LayerRecord]:
    """The rows traced before a failure (for "where did the shapes go wrong")."""
    tracer = getattr(error, "partial", None)
    if not isinstance(tracer, Tracer):
        return []
    finished = [r for r in tracer.rows if r.finished]
    return [rec for rec in layer_records(tracer, model) if rec.index in {r.index for r in finished}]


__all__: list[Any] = ["analyze", "normalize_input_shapes", "partial_report"]
