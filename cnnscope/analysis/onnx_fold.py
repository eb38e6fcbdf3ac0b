"""Fold the shape arithmetic an exporter leaves in a graph (``Shape -> Gather -> Add -> Div -> Slice``, the
legacy exporter's ``torch.chunk``) into constants, where ONNX's shape inference stops: its data propagation
does not cover every op (``Div``).  With every input's shape fixed, a ``Shape`` is a constant, and so is
all arithmetic on it; the folded values go back into the graph as small initializers and inference runs
again.  Only integer shape arithmetic is evaluated (numpy); nothing else in the graph is run."""

from __future__ import annotations

import numpy as np


def _shape(node, arrays, shapes, attrs):
    shape = shapes.get(node.input[0])
    if shape is None:
        return None
    start, end = attrs.get("start", 0), attrs.get("end", None)
    return np.array(shape[start:end], dtype=np.int64)


def _slice(node, arrays, shapes, attrs):
    data, starts, ends = arrays[0], arrays[1], arrays[2]
    axes = arrays[3] if len(arrays) > 3 and arrays[3] is not None else range(len(starts))
    steps = arrays[4] if len(arrays) > 4 and arrays[4] is not None else [1] * len(starts)
    index = [slice(None)] * data.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        index[int(a)] = slice(int(s), int(e), int(st))
    return data[tuple(index)]


def _axes(arrays, attrs):
    return tuple(int(a) for a in (arrays[1] if len(arrays) > 1 and arrays[1] is not None else attrs.get("axes", [])))


def _reshape(data, shape):
    shape = [int(d) if d != 0 else data.shape[k] for k, d in enumerate(shape)]
    return data.reshape(shape)


def _div(a, b):
    return (a // b) if np.issubdtype(np.result_type(a, b), np.integer) else a / b


_OPS = {
    "Gather": lambda n, v, s, at: np.take(v[0], v[1], axis=at.get("axis", 0)),
    "Unsqueeze": lambda n, v, s, at: np.expand_dims(v[0], _axes(v, at)),
    "Squeeze": lambda n, v, s, at: np.squeeze(v[0], _axes(v, at) or None),
    "Concat": lambda n, v, s, at: np.concatenate([np.atleast_1d(x) for x in v], axis=at.get("axis", 0)),
    "Add": lambda n, v, s, at: v[0] + v[1], "Sub": lambda n, v, s, at: v[0] - v[1],
    "Mul": lambda n, v, s, at: v[0] * v[1], "Div": lambda n, v, s, at: _div(v[0], v[1]),
    "Neg": lambda n, v, s, at: -v[0], "Abs": lambda n, v, s, at: np.abs(v[0]),
    "Floor": lambda n, v, s, at: np.floor(v[0]), "Ceil": lambda n, v, s, at: np.ceil(v[0]),
    "Max": lambda n, v, s, at: np.maximum.reduce(v), "Min": lambda n, v, s, at: np.minimum.reduce(v),
    "Equal": lambda n, v, s, at: v[0] == v[1], "Where": lambda n, v, s, at: np.where(v[0], v[1], v[2]),
    "Identity": lambda n, v, s, at: v[0], "Slice": _slice, "Reshape": lambda n, v, s, at: _reshape(v[0], v[1]),
    "Range": lambda n, v, s, at: np.arange(v[0], v[1], v[2]),
    "ConstantOfShape": lambda n, v, s, at: np.full([int(d) for d in v[0]], _value(at.get("value"))),
    "Cast": lambda n, v, s, at: v[0].astype(_np_type(at["to"])),
}


def _value(tensor):
    from onnx import numpy_helper

    return numpy_helper.to_array(tensor).reshape(-1)[0] if tensor is not None else np.float32(0)


def _np_type(to: int):
    from onnx import helper

    return helper.tensor_dtype_to_np_dtype(to)


def fold(model, shapes: dict, known: dict) -> int:
    """Replace the shape-arithmetic nodes of ``model`` (in place) whose values follow from ``shapes``
    (inferred static shapes) and ``known`` (small constant values) by initializers; returns how many."""
    from onnx import helper, numpy_helper

    values = dict(known)
    folded = []
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx") or len(node.output) != 1:
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Shape":
            result = _shape(node, None, shapes, attrs)
        elif node.op_type in _OPS and node.input and all(not i or i in values for i in node.input):
            try:
                result = _OPS[node.op_type](node, [values.get(i) for i in node.input], shapes, attrs)
            except Exception:  # noqa: BLE001 - anything numpy cannot do is left to the graph
                result = None
        else:
            result = None
        if result is None or np.size(result) > 1024:
            continue
        values[node.output[0]] = np.asarray(result)
        folded.append(node)
    if not folded:
        return 0
    gone = {id(node) for node in folded}
    keep = [node for node in model.graph.node if id(node) not in gone]
    del model.graph.node[:]
    model.graph.node.extend(keep)
    for node in folded:
        model.graph.initializer.append(numpy_helper.from_array(values[node.output[0]], node.output[0]))
    return len(folded)
