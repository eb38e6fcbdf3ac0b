"""Read an ``.onnx`` file without its weights, check it, and give every tensor a static shape.

The weights are never read: the file is memory-mapped and its protobuf walked field by field
(the wire format is public and stable), copying everything except the payload of large
initializers into a small buffer that ``onnx`` parses.  An initializer keeps its ``dims`` and
``data_type`` -- all the analysis needs for parameters and bytes -- so a 550 MB VGG-16 costs a
few kilobytes of memory, and weights are never copied at all, let alone twice.  Weights stored as
external data are not read either: their files are checked to exist and be large enough.

Shape inference is ONNX's own (``onnx.shape_inference``), with symbolic dimensions (the batch)
fixed first: to the shape the caller gives, or to 1.
"""

from __future__ import annotations

import math
import mmap
import os
from dataclasses import dataclass, field
from pathlib import Path

from cnnscope.errors import InputError, UsageError
from cnnscope.i18n import _, ngettext

# TensorProto fields (onnx/onnx.proto3): dims=1, data_type=2, payloads, data_location=14.
_PAYLOAD_FIELDS = frozenset({4, 5, 6, 7, 9, 10, 11})  # float/int32/string/int64/raw/double/uint64 data
_MODEL_GRAPH, _GRAPH_INITIALIZER = 7, 5
_KEEP_BELOW = 4096  # payloads smaller than this stay: shape tensors that shape inference reads

# TensorProto.DataType -> bytes per element (strings and unknown types: 0, not counted in bytes).
ELEMENT_BYTES = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16,
                 16: 2, 17: 1, 18: 1, 19: 1, 20: 1, 21: 1, 22: 1, 23: 1}
FLOAT_TYPES = frozenset({1, 10, 11, 16, 17, 18, 19, 20, 23})
DTYPE_NAMES = {1: "float32", 2: "uint8", 3: "int8", 5: "int16", 6: "int32", 7: "int64", 9: "bool", 10: "float16",
               11: "float64", 16: "bfloat16"}


@dataclass(frozen=True)
class Initializer:
    name: str
    dims: tuple[int, ...]
    data_type: int

    @property
    def numel(self) -> int:
        return math.prod(self.dims)

    @property
    def nbytes(self) -> int:
        return self.numel * ELEMENT_BYTES.get(self.data_type, 0)

    @property
    def is_float(self) -> bool:
        return self.data_type in FLOAT_TYPES


@dataclass
class OnnxFile:
    """An inferred model: the proto (weights left out), static shapes and dtypes of every tensor,
    the initializers by name, and what was fixed on the way (``notes``)."""

    path: Path
    model: object  # onnx.ModelProto, with shapes inferred
    shapes: dict[str, list[int] | None]
    dtypes: dict[str, int]
    initializers: dict[str, Initializer]
    input_names: list[str]
    notes: list[str] = field(default_factory=list)
    folded: set[str] = field(default_factory=set)  # shape arithmetic folded into constants: never parameters


class _Truncated(Exception):
    pass


def _varint(buf, pos: int, end: int) -> tuple[int, int]:
    result, shift = 0, 0
    while True:
        if pos >= end:
            raise _Truncated
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("a malformed varint")


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _fields(buf, start: int, end: int):
    """(field number, wire type, field start, payload start, payload end) of each field in [start, end)."""
    pos = start
    while pos < end:
        begin = pos
        tag, pos = _varint(buf, pos, end)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise ValueError("field number 0")
        if wire == 0:
            _unused, after = _varint(buf, pos, end)
            yield number, wire, begin, pos, after
            pos = after
        elif wire == 1 or wire == 5:
            after = pos + (8 if wire == 1 else 4)
            if after > end:
                raise _Truncated
            yield number, wire, begin, pos, after
            pos = after
        elif wire == 2:
            length, pos = _varint(buf, pos, end)
            if pos + length > end:
                raise _Truncated
            yield number, wire, begin, pos, pos + length
            pos += length
        else:
            raise ValueError(f"wire type {wire}")


def _length_field(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | 2) + _encode_varint(len(payload)) + payload


def _without_weights(buf, start: int, end: int, depth: int = 0) -> bytes:
    """The ModelProto (depth 0), GraphProto (1) or TensorProto (2) in [start, end) with large
    initializer payloads left out; every other byte is copied as it is."""
    out = bytearray()
    for number, wire, begin, payload, after in _fields(buf, start, end):
        if depth == 0 and number == _MODEL_GRAPH and wire == 2:
            out += _length_field(number, _without_weights(buf, payload, after, 1))
        elif depth == 1 and number == _GRAPH_INITIALIZER and wire == 2:
            out += _length_field(number, _tensor_header(buf, payload, after))
        else:
            out += buf[begin:after]
    return bytes(out)


def _tensor_header(buf, start: int, end: int) -> bytes:
    fields = list(_fields(buf, start, end))
    payload = sum(after - p for number, _unused, _unused, p, after in fields if number in _PAYLOAD_FIELDS)
    if payload < _KEEP_BELOW:
        return bytes(buf[start:end])
    return b"".join(bytes(buf[begin:after]) for number, _unused, begin, _unused, after in fields if number not in _PAYLOAD_FIELDS)


def read_model(path: Path):
    """The ModelProto of ``path`` with large weights left out; one-line errors for bad files."""
    try:
        import onnx
    except ImportError:
        raise UsageError(_("{path}: reading .onnx files needs the onnx package: pip install 'cnnscope[onnx]'").format(
                             path=path)) from None

    if path.is_dir():
        raise InputError(_("{path}: is a folder, not an ONNX file").format(path=path))
    if not path.is_file():
        raise InputError(_("{path}: no such ONNX file").format(path=path))
    size = path.stat().st_size
    if size == 0:
        raise InputError(_("{path}: an empty file, not an ONNX model").format(path=path))
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        try:
            small = _without_weights(buf, 0, size)
        except _Truncated:
            raise InputError(_("{path}: truncated: the file ends inside a record (an interrupted download or copy?)").format(
                                 path=path)) from None
        except ValueError:
            raise InputError(_("{path}: not an ONNX model (not a protobuf ModelProto)").format(path=path)) from None
    try:
        model = onnx.ModelProto.FromString(small)
    except Exception:  # noqa: BLE001 - protobuf's DecodeError and friends: the file is not a model
        raise InputError(_("{path}: not an ONNX model (not a protobuf ModelProto)").format(path=path)) from None
    if not model.HasField("graph") or not model.graph.node or model.ir_version <= 0:
        raise InputError(_("{path}: not an ONNX model: a protobuf without a graph of nodes (another kind of ONNX "
                           "message, such as a saved tensor?)").format(path=path))
    return model


def check_external_data(model, path: Path) -> None:
    """Every initializer stored outside the file: its data file exists and is large enough."""
    folder = path.parent
    for tensor in model.graph.initializer:
        if tensor.data_location != 1:  # TensorProto.EXTERNAL
            continue
        info = {entry.key: entry.value for entry in tensor.external_data}
        location = info.get("location", "")
        target = folder / location
        if not location or not target.is_file():
            raise InputError(_("{path}: the weights of {name!r} are stored in {target}, which does not exist (copy "
                               "it beside the .onnx file)").format(path=path, name=tensor.name, target=target))
        needed = int(info.get("offset", 0) or 0) + int(
            info.get("length") or math.prod(tensor.dims) * ELEMENT_BYTES.get(tensor.data_type, 0))
        have = target.stat().st_size
        if have < needed:
            raise InputError(_("{path}: {target} is truncated: {name!r} needs bytes up to {needed:,}, the file has "
                               "{have:,}").format(path=path, target=target, name=tensor.name, needed=needed, have=have))


def _graph_inputs(model) -> list:
    initializers = {t.name for t in model.graph.initializer}
    return [value for value in model.graph.input if value.name not in initializers]


def fix_input_shapes(model, input_shapes: list[tuple[int, ...]] | None, path: Path) -> list[str]:
    """Give every graph input a static shape; returns notes on the dimensions fixed to 1."""
    inputs = _graph_inputs(model)
    notes = []
    if input_shapes is not None and len(input_shapes) != len(inputs):
        raise UsageError(ngettext("{name} takes {n} input ({names}), not {given}",
                                  "{name} takes {n} inputs ({names}), not {given}", len(inputs)).format(
                             name=path.name, n=len(inputs), names=", ".join(v.name for v in inputs),
                             given=len(input_shapes)))
    for k, value in enumerate(inputs):
        dims = value.type.tensor_type.shape.dim
        if input_shapes is not None:
            wanted = input_shapes[k]
            if len(dims) and len(wanted) != len(dims):
                have = "×".join(d.dim_param or str(d.dim_value) for d in dims)
                raise UsageError(_("{name}: input {name2!r} has {n} dimensions ({have}), not {n2} ({str})").format(
                                     name=path.name, name2=value.name, n=len(dims), have=have, n2=len(wanted), str='×'.join(map(str, wanted))))
            fixed = [d for d, w in zip(dims, wanted) if d.dim_value and d.dim_value != w]
            if fixed:
                have = "×".join(d.dim_param or str(d.dim_value) for d in dims)
                raise UsageError(_("{name}: input {name2!r} is fixed at {have} in the file; only its symbolic "
                                   "dimensions can change ({str} asked)").format(
                                     name=path.name, name2=value.name, have=have, str='×'.join(map(str, wanted))))
            value.type.tensor_type.shape.ClearField("dim")
            for w in wanted:
                value.type.tensor_type.shape.dim.add().dim_value = int(w)
            continue
        for d in dims:
            if not d.dim_value:
                label = d.dim_param or "unnamed"
                notes.append(f"{value.name}: symbolic dimension {label!r} set to 1 (--input sets another)")
                d.Clear()
                d.dim_value = 1
    return notes


def infer(model, path: Path):
    """ONNX shape inference, strict where every op is ONNX's own; a failure names the node."""
    from onnx import shape_inference

    custom = any(node.domain not in ("", "ai.onnx") for node in model.graph.node)
    try:
        return shape_inference.infer_shapes(model, check_type=False, strict_mode=not custom, data_prop=True)
    except Exception as error:  # noqa: BLE001 - onnx raises InferenceError and plain RuntimeErrors
        message = " ".join(str(error).split())
        raise InputError(_("{path}: shape inference cannot follow the graph: {message}").format(
                             path=path, message=message)) from None


def _shape(value) -> list[int] | None:
    tensor = value.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
    return None if any(d is None for d in dims) else dims


def _static(inferred) -> tuple[dict, dict]:
    shapes: dict[str, list[int] | None] = {}
    dtypes: dict[str, int] = {}
    graph = inferred.graph
    for value in [*graph.input, *graph.value_info, *graph.output]:
        shapes[value.name] = _shape(value)
        dtypes[value.name] = value.type.tensor_type.elem_type
    for tensor in graph.initializer:
        shapes[tensor.name] = list(tensor.dims)
    return shapes, dtypes


def _small_values(model) -> dict:
    """Values of the small constants (kept in the proto): initializers and Constant nodes."""
    from onnx import helper, numpy_helper

    values = {}
    for tensor in model.graph.initializer:
        if tensor.data_location != 1 and math.prod(tensor.dims) <= 1024 and (
                tensor.raw_data or tensor.int64_data or tensor.int32_data or tensor.float_data or not tensor.dims):
            values[tensor.name] = numpy_helper.to_array(tensor)
    for node in model.graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            values[node.output[0]] = numpy_helper.to_array(helper.get_attribute_value(node.attribute[0]))
    return values


def load(path: str | os.PathLike, input_shapes: list[tuple[int, ...]] | None = None) -> OnnxFile:
    """Read, check and shape-infer ``path``; see the module docstring."""
    path = Path(path)
    model = read_model(path)
    check_external_data(model, path)
    notes = fix_input_shapes(model, input_shapes, path)
    inferred = infer(model, path)
    shapes, dtypes = _static(inferred)
    stored = {t.name for t in model.graph.initializer}
    for _unused in range(8):  # shape arithmetic inference could not follow: fold it, infer again
        if all(shapes.get(o) is not None for node in inferred.graph.node for o in node.output if o):
            break
        from cnnscope.analysis.onnx_fold import fold

        if not fold(model, shapes, _small_values(model)):
            break
        inferred = infer(model, path)
        shapes, dtypes = _static(inferred)
    graph = inferred.graph
    initializers = {t.name: Initializer(t.name, tuple(t.dims), t.data_type) for t in graph.initializer}
    for init in initializers.values():
        shapes[init.name] = list(init.dims)
        dtypes[init.name] = init.data_type
    return OnnxFile(path, inferred, shapes, dtypes, initializers, [v.name for v in _graph_inputs(inferred)], notes,
                    set(initializers) - stored)
