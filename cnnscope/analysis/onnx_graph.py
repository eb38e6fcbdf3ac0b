"""An ONNX graph as a cnnscope report: one row per node, read natively (no conversion to a module).

Each node that computes on data from the input becomes a row in the tracer's shape
(``analysis.trace.Row``), so the receptive fields come from the same engine and rules as a traced
PyTorch model (``analysis.receptive_field``).  Nodes that only compute constants (shapes, folded
weights) make no row, as metadata reads make none in a trace.

Rows are named after the original module paths where the exporter kept them: the dynamo exporter's
``pkg.torch.onnx.name_scopes`` metadata, the legacy exporter's node names (``/layer1/layer1.0/conv1/Conv``
-> ``layer1.0.conv1``), a convolution's or linear layer's weight name (``layer1.0.conv1.weight``).
Module paths give containers (``layer1``, ``layer1.0``) as in the torch report; a graph with other
names gets flat rows named after its nodes.
"""

from __future__ import annotations

import ast
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cnnscope.analysis import onnx_ops
from cnnscope.analysis.onnx_read import DTYPE_NAMES, ELEMENT_BYTES, OnnxFile, load
from cnnscope.report import Diagnostic, LayerRecord, ModelReport, Totals
from cnnscope.i18n import _

_SCOPES = "pkg.torch.onnx.name_scopes"
_CLASSES = "pkg.torch.onnx.class_hierarchy"
_REWRITES = "pkg.onnxscript.rewriter.rule_name"
_BN_BUFFER_SLOTS = (3, 4)  # BatchNormalization(X, scale, B, mean, var): mean and var are buffers
_WEIGHTED = ("Conv", "ConvTranspose", "Gemm", "MatMul")
_WEIGHT_READERS = (*_WEIGHTED, "PRelu", "BatchNormalization", "LayerNormalization", "InstanceNormalization",
                   "GroupNormalization")


@dataclass
class _Node:
    proto: object
    op_type: str
    attrs: dict
    scope: str  # the module path it ran in ("" at the top, or no path known)
    module: str | None  # the module it is the whole of (a leaf module's path), else None
    classes: dict
    call_name: str  # a function row's name in its block: the traced call's (dynamo keeps it) or the op type


def analyze_onnx(path, input_shape=None, *, name: str | None = None) -> ModelReport:
    """The report of an ``.onnx`` file; ``input_shape`` fixes its inputs' symbolic dimensions (default 1)."""
    onnx_file = load(path, _shapes(input_shape))
    return _report(onnx_file, name or Path(path).name)


def _shapes(input_shape) -> list[tuple[int, ...]] | None:
    if input_shape is None:
        return None
    from cnnscope.errors import UsageError

    several = isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple))
    shapes = [tuple(int(v) for v in s) for s in (input_shape if several else [input_shape])]
    if any(not s or any(v < 1 for v in s) for s in shapes):
        raise UsageError(_("input shape {input_shape} must be positive integers").format(input_shape=input_shape))
    return shapes


def _attributes(node) -> dict:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _legacy_path(name: str) -> str | None:
    """``/layer2/layer2.0/downsample/downsample.0/Conv`` -> ``layer2.0.downsample.0``; None if not that form."""
    if not name.startswith("/"):
        return None
    parts = name.split("/")[1:-1]
    path: list[str] = []
    for part in parts:
        if path and part.startswith(path[-1] + "."):  # a Sequential's child repeats its parent's segment
            path[-1] = part
        else:
            path.append(part)
    return ".".join(path)


def _scopes(node) -> tuple[str | None, dict, str | None]:
    """(module path, {path: class name}, the traced call's name) from the dynamo exporter's metadata;
    (None, {}, None) without it."""
    meta = {p.key: p.value for p in node.metadata_props}
    if _SCOPES not in meta:
        return None, {}, None
    try:
        scopes = ast.literal_eval(meta[_SCOPES])
        classes = ast.literal_eval(meta.get(_CLASSES, "[]"))
    except (ValueError, SyntaxError):
        return None, {}, None
    named = dict(zip(scopes, [c.rsplit(".", 1)[-1] for c in classes])) if len(classes) == len(scopes) else {}
    call = re.sub(r"_\d+$", "", str(scopes[-1])) if scopes else None  # add_3 -> add (the graph-wide counter)
    return (scopes[-2] if len(scopes) >= 2 else ""), named, call


def _constants(onnx_file: OnnxFile) -> dict:
    """Small constant values by tensor name (axes, shapes, pads, Concat's inputs): kept in the proto."""
    from onnx import numpy_helper

    values = {}
    for tensor in onnx_file.model.graph.initializer:
        if tensor.data_location != 1 and (tensor.raw_data or tensor.int64_data or tensor.float_data
                                          or tensor.int32_data) and math.prod(tensor.dims) <= 64:
            values[tensor.name] = numpy_helper.to_array(tensor)
    for node in onnx_file.model.graph.node:
        if node.op_type == "Constant" and node.attribute:
            from onnx import helper

            value = helper.get_attribute_value(node.attribute[0])
            if hasattr(value, "dims"):
                values[node.output[0]] = numpy_helper.to_array(value)
            else:
                values[node.output[0]] = value
    return values


def _report(onnx_file: OnnxFile, label: str) -> ModelReport:
    from cnnscope.analysis import receptive_field
    from cnnscope.analysis.memory import training_bytes
    from cnnscope.analysis.trace import Row
    from cnnscope._version import __version__

    graph = onnx_file.model.graph
    inits = onnx_file.initializers
    shapes = onnx_file.shapes
    constant = set(inits)
    values = _constants(onnx_file)
    buffers: set[str] = set()
    for node in graph.node:
        if node.op_type == "BatchNormalization":
            buffers.update(node.input[k] for k in _BN_BUFFER_SLOTS if len(node.input) > k and node.input[k] in inits)
    # parameter "keys": a float initializer of rank >= 1 counts once; a legacy exporter's Identity of one
    # (it de-duplicates equal folded tensors) stands for a tensor of its own, as in the original model
    # A one-element float tensor is a constant (a scale, an epsilon), unless a layer reads it as its weight.
    weights_read = {i for node in graph.node if node.op_type in _WEIGHT_READERS for i in node.input[1:]}
    keys = {n: n for n, t in inits.items() if t.is_float and t.dims and n not in buffers | onnx_file.folded
            and (t.numel > 1 or n in weights_read)}
    sizes = {n: (inits[n].numel, inits[n].nbytes) for n in keys}
    data_nodes = []
    for node in graph.node:
        data_inputs = [i for i in node.input if i and i not in constant]
        if node.op_type in onnx_ops.SHAPE_OPS or not data_inputs:
            constant.update(o for o in node.output if o)
            sources = [keys[i] for i in node.input if i in keys]
            for out in node.output:
                if node.op_type == "Identity" and sources:
                    keys[out] = out
                    sizes[out] = sizes[sources[0]]
                elif len(sources) == 1:
                    keys[out] = sources[0]
            continue
        data_nodes.append(node)

    nodes = _placed(data_nodes, inits)
    producer: dict[str, int] = {n: -1 - k for k, n in enumerate(onnx_file.input_names)}
    rows: list = []
    op_types: list[str] = []  # the record's type, per row
    params: list[int] = []
    seen_keys: set[str] = set()
    readers: dict[str, int] = {}
    stack: list = []
    opened: Counter = Counter()
    fn_counts: Counter = Counter()
    leaf_calls: Counter = Counter()
    uncounted: dict[str, dict] = {}
    macs_by_op: dict[str, int] = {}
    classes: dict[str, str] = {}
    for n in nodes:
        classes.update(n.classes)

    def open_containers(path: str) -> None:
        parts = path.split(".") if path else []
        wanted = ["", *(".".join(parts[:k]) for k in range(1, len(parts) + 1))]  # the model itself, then its blocks
        while stack and (len(stack) > len(wanted) or stack[-1].name != wanted[len(stack) - 1]):
            stack.pop()
        for target in wanted[len(stack):]:
            parent = stack[-1] if stack else None
            kind_name = classes.get(target, "Block" if target else (graph.name or "Graph"))
            row = Row(index=len(rows), name=target, type=kind_name, kind="module",
                      depth=len(stack), parent=None if parent is None else parent.index, call=opened[target],
                      module=None, atomic=False, input_shapes=[], inputs=[], attrs={}, finished=True,
                      op_kind="unknown")
            opened[target] += 1
            if parent is not None:
                parent.children.append(row.index)
            rows.append(row)
            op_types.append(row.type)
            params.append(0)
            stack.append(row)

    for n in nodes:
        proto = n.proto
        op = onnx_ops.info(n.op_type, proto.domain)
        if n.module is not None:
            open_containers(n.module.rpartition(".")[0] if "." in n.module else "")
            row_name, call = n.module, leaf_calls[n.module]
            leaf_calls[n.module] += 1
        else:
            open_containers(n.scope)
            base = n.call_name
            count = fn_counts[(n.scope, base, opened[n.scope] if n.scope else 0)]
            fn_counts[(n.scope, base, opened[n.scope] if n.scope else 0)] += 1
            label_ = base if count == 0 else f"{base}_{count}"
            row_name, call = (f"{n.scope}.{label_}" if n.scope else label_), 0
        parent = stack[-1] if stack else None
        data_in = [i for i in proto.input if i and i not in constant]
        in_shapes = [shapes.get(i) for i in proto.input if i]
        outs = [o for o in proto.output if o]
        out_shapes = [shapes.get(o) for o in outs]
        _check(onnx_file, n, row_name, in_shapes, outs, out_shapes)
        weight_shape = in_shapes[1] if len(in_shapes) > 1 else None
        attrs = onnx_ops.geometry(n.op_type, n.attrs, in_shapes[0] if in_shapes else None,
                                  out_shapes[0] if out_shapes else None, weight_shape)
        row_macs = onnx_ops.macs(n.op_type, n.attrs, in_shapes, out_shapes) if all(
            s is not None for s in in_shapes[:2] + out_shapes[:1]) else 0
        out_bytes = sum(math.prod(s) * ELEMENT_BYTES.get(onnx_file.dtypes.get(o, 1), 4)
                        for o, s in zip(outs, out_shapes) if s is not None)
        index = len(rows)
        if row_macs:
            key = f"onnx.{n.op_type}"
            macs_by_op[key] = macs_by_op.get(key, 0) + row_macs
        elif onnx_ops.is_uncounted(n.op_type, proto.domain):
            entry = uncounted.setdefault(f"onnx.{n.op_type}" if proto.domain in ("", "ai.onnx")
                                         else f"{proto.domain}.{n.op_type}", {"calls": 0, "shapes": [], "rows": []})
            entry["calls"] += 1
            known = [s for s in in_shapes if s is not None]
            if known and known not in entry["shapes"] and len(entry["shapes"]) < 3:
                entry["shapes"].append(known)
            if row_name not in entry["rows"] and len(entry["rows"]) < 5:
                entry["rows"].append(row_name)
        row = Row(
            index=index, name=row_name, type=op.rf_type, kind="module" if n.module else "function",
            depth=len(stack), parent=None if parent is None else parent.index, call=call, module=None, atomic=True,
            input_shapes=[shapes.get(i) or [] for i in data_in],
            inputs=[producer[i] for i in data_in if i in producer],
            attrs=attrs, output_shape=(out_shapes[0] if len(out_shapes) == 1 else out_shapes),
            output_bytes=out_bytes, self_macs=row_macs,
            self_other=onnx_ops.other_ops(op.other, n.attrs, in_shapes, out_shapes),
            self_alloc=0 if op.kind == "reshape" else out_bytes, finished=True,
            call_args=_call_args(n, values, shapes), op_kind=op.kind,
            self_macs_by_op={f"onnx.{n.op_type}": row_macs} if row_macs else {},
        )
        for key in {keys[i] for i in proto.input if i in keys}:
            readers[key] = readers.get(key, 0) + 1
        fresh = {keys[i] for i in proto.input if i in keys} - seen_keys
        seen_keys |= fresh
        params.append(sum(sizes[k][0] for k in fresh))
        if parent is not None:
            parent.children.append(index)
        rows.append(row)
        op_types.append(n.op_type if proto.domain in ("", "ai.onnx") else f"{proto.domain}.{n.op_type}")
        for out in outs:
            producer[out] = index

    _container_outputs(rows, graph, producer)
    input_shapes = [shapes[name] for name in onnx_file.input_names]
    fields, rf_diagnostics = receptive_field.compute(_Rows(rows), input_shapes)
    inclusive = _inclusive(rows, params)
    records = []
    for row in rows:
        macs, other, count = inclusive[row.index]
        records.append(LayerRecord(
            index=row.index, name=row.name, type=op_types[row.index], kind=row.kind, depth=row.depth,
            parent=None if row.parent is None else rows[row.parent].name, is_leaf=not row.children, call=row.call,
            input_shapes=row.input_shapes, output_shape=row.output_shape, params=count, trainable_params=count,
            macs=macs, flops=2 * macs, other_ops=other, output_bytes=row.output_bytes, inputs=list(row.inputs),
            output_from=list(row.output_from) if row.children else [], rf=fields.get(row.index),
            op_kind=None if row.children else row.op_kind,
            macs_by_operator=_by_op(rows, row) if row.children else dict(row.self_macs_by_op), **row.attrs))

    unread = {n for n in set(keys.values()) if n not in seen_keys}
    param_count = sum(sizes[k][0] for k in seen_keys | unread)
    param_bytes = sum(sizes[k][1] for k in seen_keys | unread)
    buffer_count = sum(inits[b].numel for b in buffers)
    buffer_bytes = sum(inits[b].nbytes for b in buffers)
    total_macs = sum(r.self_macs for r in rows)
    activation = sum(r.self_alloc for r in rows)
    input_bytes = sum(math.prod(s) * ELEMENT_BYTES.get(onnx_file.dtypes.get(n, 1), 4)
                      for n, s in zip(onnx_file.input_names, input_shapes))
    sgd, adam = training_bytes(_Counted(param_bytes, buffer_bytes, param_bytes), activation, input_bytes)
    totals = Totals(params=param_count, trainable_params=param_count, frozen_params=0, buffers=buffer_count,
                    macs=total_macs, flops=2 * total_macs, other_ops=sum(r.self_other for r in rows),
                    param_bytes=param_bytes, buffer_bytes=buffer_bytes, input_bytes=input_bytes,
                    activation_bytes=activation, training_bytes_sgd=sgd, training_bytes_adam=adam,
                    layers=len(records), macs_by_operator=dict(sorted(macs_by_op.items(), key=lambda kv: -kv[1])))
    uncounted_ops = sorted(({"op": op, "calls": e["calls"], "shapes": e["shapes"], "layers": e["rows"]}
                            for op, e in uncounted.items()), key=lambda e: (-e["calls"], e["op"]))
    diagnostics = (_file_diagnostics(onnx_file, data_nodes, nodes, inits)
                   + _shared_diagnostics(readers, sizes) + rf_diagnostics + _uncounted_diagnostics(uncounted_ops))
    outputs = [shapes.get(o.name) for o in graph.output]
    float_inits = [t.data_type for t in inits.values() if t.is_float]
    model_dtype = DTYPE_NAMES.get(float_inits[0] if float_inits else 1, "float32")
    return ModelReport(
        model=label, input_shape=list(input_shapes[0]) if len(input_shapes) == 1 else [list(s) for s in input_shapes],
        output_shape=outputs[0] if len(outputs) == 1 else outputs, totals=totals, layers=records,
        diagnostics=diagnostics, traced_on="onnx", dtype=model_dtype, cnnscope_version=__version__,
        torch_version=_torch_version(), uncounted_ops=uncounted_ops,
        input_dtypes=[DTYPE_NAMES.get(onnx_file.dtypes.get(n, 1), "float32") for n in onnx_file.input_names])


def _check(onnx_file: OnnxFile, n: _Node, row_name: str, in_shapes, outs, out_shapes) -> None:
    """What ONNX's shape inference leaves unchecked or unknown, as one line naming the node."""
    from cnnscope.errors import InputError, ShapeError

    node = n.proto.name or row_name
    foreign = n.proto.domain not in ("", "ai.onnx")
    for out, shape in zip(outs, out_shapes):
        if shape is None:
            what = f"{n.proto.domain}.{n.op_type}, an op ONNX does not define" if foreign else n.op_type
            raise InputError(_("{path}: shape inference cannot follow node {node!r} ({what}): the shape of its "
                               "output {out!r} is unknown").format(path=onnx_file.path, node=node, what=what, out=out))
    first = in_shapes[0] if in_shapes else None
    if n.op_type == "Conv" and first is not None and len(in_shapes) > 1 and in_shapes[1] is not None:
        expected = in_shapes[1][1] * int(n.attrs.get("group", 1))
        if len(first) > 1 and first[1] != expected:
            raise ShapeError(_("node {node!r} (Conv, {row_name}) expects {expected} input channels but receives "
                               "{first} (input {str})").format(
                                 node=node, row_name=row_name, expected=expected, first=first[1], str='×'.join(map(str, first))), layer=row_name)
    if n.op_type in ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose") and first is not None \
            and math.prod(first) != math.prod(out_shapes[0]):
        raise ShapeError(_("node {node!r} ({op_type}, {row_name}) cannot turn {str} into {str2}: {prod:,} values "
                           "against {prod2:,}").format(
                             node=node, op_type=n.op_type, row_name=row_name, str='×'.join(map(str, first)), str2='×'.join(map(str, out_shapes[0])), prod=math.prod(first), prod2=math.prod(out_shapes[0])), layer=row_name)


def _torch_version() -> str:
    import sys

    torch = sys.modules.get("torch")
    return getattr(torch, "__version__", "") if torch is not None else ""


@dataclass(frozen=True)
class _Counted:
    param_bytes: int
    buffer_bytes: int
    trainable_bytes: int


class _Rows:
    """What ``receptive_field.compute`` reads of a tracer: its rows."""

    def __init__(self, rows):
        self.rows = rows


def _placed(data_nodes, inits) -> list[_Node]:
    """Each data node with the module path it ran in, and whether it is a whole (leaf) module."""
    placed = []
    for proto in data_nodes:
        scope, classes, call = _scopes(proto)
        if scope is None:
            scope = _legacy_path(proto.name)
        if proto.op_type in _WEIGHTED and len(proto.input) > 1 and proto.input[1].endswith(".weight") \
                and proto.input[1] in inits and scope is not None:
            scope = proto.input[1][: -len(".weight")]  # the layer the weight belongs to (dynamo names BN-fused convs after the BN)
        call = call if call and call.isidentifier() and not call.startswith("_") else proto.op_type.lower()
        placed.append(_Node(proto, proto.op_type, _attributes(proto), scope or "", None, classes, call))
    if all(_scopes(n.proto)[0] is None and _legacy_path(n.proto.name) is None for n in placed):
        for k, n in enumerate(placed):  # no module paths: flat rows named after the nodes
            n.module = n.proto.name or f"{n.op_type.lower()}_{k}"
            n.scope = ""
        return placed
    per_scope: dict[str, set] = {}
    for n in placed:
        per_scope.setdefault(n.scope, set()).add(n.op_type)
    parents = {".".join(n.scope.split(".")[:k]) for n in placed for k in range(1, n.scope.count(".") + 1)}
    for n in placed:
        # one kind of op in a scope with nothing below it: that module's own call(s), as a leaf row
        if n.scope and n.scope not in parents and len(per_scope[n.scope]) == 1:
            n.module = n.scope
    return placed


def _call_args(n: _Node, values: dict, shapes: dict):
    """The recorded call the receptive-field rules read (dims of reductions and concatenations, a
    permutation, pads, a resize mode), in the torch path's argument positions."""
    op, attrs, inputs = n.op_type, n.attrs, list(n.proto.input)

    def value(k):
        return values.get(inputs[k]) if len(inputs) > k and inputs[k] else None

    if op == "Transpose":
        return ((None, list(attrs.get("perm", []))), {})
    if op == "Concat":
        return ((None, int(attrs.get("axis", 0))), {})
    if op in ("Softmax", "LogSoftmax"):
        return ((None, int(attrs.get("axis", -1))), {})
    if op.startswith("Reduce") or op in ("ArgMax", "ArgMin"):
        axes = attrs.get("axes")
        if axes is None and value(1) is not None:
            axes = [int(v) for v in value(1).reshape(-1)]
        if op in ("ArgMax", "ArgMin"):
            axes = [int(attrs.get("axis", 0))]
        keep = bool(attrs.get("keepdims", 1))
        if op in ("ReduceL1", "ReduceL2"):
            return ((None, None, list(axes) if axes else None, keep), {})
        return ((None, list(axes) if axes else None, keep), {})
    if op == "Pad":
        pads = attrs.get("pads")
        if pads is None and value(1) is not None:
            pads = [int(v) for v in value(1).reshape(-1)]
        if pads is None:
            return ()
        half = len(pads) // 2
        torch_pads = []
        for d in reversed(range(half)):  # F.pad's (left, right) pairs, last dim first
            torch_pads += [pads[d], pads[d + half]]
        return ((None, torch_pads), {})
    if op in ("Resize", "Upsample"):
        mode = attrs.get("mode", b"nearest")
        mode = mode.decode() if isinstance(mode, bytes) else str(mode)
        return ((), {"mode": {"linear": "bilinear", "cubic": "bicubic"}.get(mode, mode)})
    return ()


def _container_outputs(rows, graph, producer) -> None:
    """A container's ``output_from``: its descendants whose outputs are read outside it (or leave the graph)."""
    consumers: dict[int, set] = {}
    for row in rows:
        for source in row.inputs:
            consumers.setdefault(source, set()).add(row.index)
    graph_out = {producer[o.name] for o in graph.output if o.name in producer}
    for row in reversed(rows):
        if not row.children:
            continue
        inside = _descendants(rows, row)
        leaves = [i for i in sorted(inside) if not rows[i].children]
        out = [i for i in leaves if i in graph_out or consumers.get(i, set()) - inside]
        row.output_from = out[-1:] if out else leaves[-1:]
        first = min(inside)
        row.input_shapes = rows[first].input_shapes
        row.inputs = [i for i in rows[first].inputs if i not in inside]
        last = rows[row.output_from[0]] if row.output_from else None
        row.output_shape = last.output_shape if last is not None else None
        row.output_bytes = last.output_bytes if last is not None else 0


def _descendants(rows, row) -> set:
    found, todo = set(), list(row.children)
    while todo:
        index = todo.pop()
        found.add(index)
        todo.extend(rows[index].children)
    return found


def _inclusive(rows, params) -> list[tuple[int, int, int]]:
    totals = [[r.self_macs, r.self_other, params[r.index]] for r in rows]
    for row in reversed(rows):
        if row.parent is not None:
            for k in range(3):
                totals[row.parent][k] += totals[row.index][k]
    return [tuple(t) for t in totals]


def _by_op(rows, row) -> dict:
    total: dict[str, int] = {}
    for index in _descendants(rows, row):
        for op, macs in rows[index].self_macs_by_op.items():
            total[op] = total.get(op, 0) + macs
    return dict(sorted(total.items(), key=lambda kv: -kv[1]))


# -- what the file keeps and loses, said out loud -----------------------------------------------------

def _file_diagnostics(onnx_file: OnnxFile, data_nodes, nodes, inits) -> list[Diagnostic]:
    found = [Diagnostic("info", "onnx-symbolic-dims", "; ".join(onnx_file.notes))] if onnx_file.notes else []
    found.append(Diagnostic(
        "info", "onnx-inference-graph",
        "an ONNX file holds the inference graph: dropout (nothing at inference) is left out, and the rows are "
        "the graph's nodes; parameters are the floating-point weights stored in the file"))
    folded = _folded_convs(nodes, inits)
    has_bn = any(n.op_type == "BatchNormalization" for n in data_nodes)
    if folded:
        channels = sum(c for _unused, c, _unused in folded)
        biases = sum(c for _unused, c, has_bias in folded if has_bias)
        names = ", ".join(name for name, _unused, _unused in folded[:3]) + (f" and {len(folded) - 3} more" if len(folded) > 3 else "")
        if biases:
            gained = (f". The folded convolutions hold {biases:,} bias values: if they had no bias of their own (the "
                      f"usual convolution before a batch norm), the original model has {2 * channels - biases:,} "
                      f"more parameters than this file; if they had, {2 * channels:,} more")
        else:
            gained = (f". The exporter dropped the folded biases (all zero): the original model has {2 * channels:,} "
                      "more parameters than this file, and more still if these convolutions had biases of their own")
        found.append(Diagnostic(
            "info", "onnx-folded-batch-norm",
            f"the exporter folded {len(folded)} batch norms into the convolutions before them ({names}): a folded BN's "
            f"2·C parameters (γ, β) and 2·C buffers (running mean and variance) are not in this file, here "
            f"{2 * channels:,} parameters and {2 * channels:,} buffers{gained}"))
    elif not has_bn and any(n.op_type == "Conv" and len(n.proto.input) > 2 and n.proto.input[2] for n in nodes):
        found.append(Diagnostic(
            "info", "onnx-folded-batch-norm",
            "this graph has no batch norm: if the original model had any, the exporter folded it into the "
            "convolutions' weights and biases, and its γ, β and running statistics are not in this file (how many, "
            "the file does not say)"))
    return found


def _folded_convs(nodes, inits) -> list[tuple[str, int, bool]]:
    """(row name, channels, has a bias) of convolutions the file shows a batch norm was folded into: the dynamo
    exporter's rewrite rule says so; the legacy one gives folded weights fresh names (``onnx::Conv_12``)."""
    folded = []
    for n in nodes:
        if n.op_type != "Conv" or len(n.proto.input) < 2:
            continue
        meta = {p.key: p.value for p in n.proto.metadata_props}
        weight = n.proto.input[1]
        if "FuseBatchNorm" in meta.get(_REWRITES, "") or (weight.startswith("onnx::Conv_") and weight in inits
                                                           and len(n.proto.input) > 2):
            channels = inits[weight].dims[0] if weight in inits else 0
            folded.append((n.module or n.scope or n.proto.name, channels,
                           len(n.proto.input) > 2 and bool(n.proto.input[2])))
    return folded


def _shared_diagnostics(readers: dict, sizes: dict) -> list[Diagnostic]:
    shared = [key for key, count in readers.items() if count > 1]
    if not shared:
        return []
    values = sum(sizes[key][0] for key in shared)
    return [Diagnostic(
        "info", "onnx-shared-weights",
        f"{len(shared)} weight tensor{'s are' if len(shared) > 1 else ' is'} read by several nodes ({values:,} values), "
        "each counted once, as stored: tied weights, or equal tensors the exporter stored once (untrained norm "
        "weights of all ones are equal), in which case the original model has more parameters than this file")]


def _uncounted_diagnostics(uncounted: list[dict]) -> list[Diagnostic]:
    if not uncounted:
        return []
    listed = ", ".join(f"{e['op']} ×{e['calls']}" for e in uncounted[:6])
    return [Diagnostic("warning", "uncounted-ops",
                       f"{len(uncounted)} op{'s' if len(uncounted) > 1 else ''} with no MAC formula count"
                       f"{'' if len(uncounted) > 1 else 's'} as 0 MACs: {listed} (unknown ops and multiply-accumulate "
                       "work cnnscope has no ONNX formula for)")]
