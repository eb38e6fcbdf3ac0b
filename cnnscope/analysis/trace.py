"""One forward pass that records every module call and every functional op on activations.

Three recorders work together during a single forward pass:

* module hooks (per module, removed afterwards) open and close a row for each module call;
* a ``TorchFunctionMode`` opens a row for each torch-level call (``F.max_pool2d``, ``+``,
  ``torch.cat``, ``x.view``) made directly in the body of a non-atomic module's ``forward``
  on a tensor derived from the model input;
* a ``TorchDispatchMode`` sees every ATen kernel and charges its MACs, cheap ops and new
  allocations to the innermost open row, so composite Python code is counted through the
  kernels it lowers to.

Data flow is recorded too: each row lists the rows whose outputs it consumed, which is what
receptive fields and diagrams are computed from (never hook order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten, tree_map

from cnnscope.analysis import costs
from cnnscope.analysis.calls import sanitize
from cnnscope.analysis import ops
from cnnscope.errors import ShapeError

# Torch-level calls that never make a row: metadata reads and copies that keep the values.
_METADATA = frozenset({
    "__get__", "__set__", "size", "dim", "numel", "stride", "storage_offset", "data_ptr",
    "element_size", "is_contiguous", "is_floating_point", "is_complex", "get_device",
    "__len__", "__bool__", "item", "tolist", "__format__", "__repr__", "__hash__",
    "_assert", "ndimension", "nelement", "has_names", "__reduce_ex__", "__deepcopy__",
})
_PASSTHROUGH = frozenset({
    "contiguous", "clone", "detach", "to", "type", "float", "double", "half", "bfloat16",
    "cpu", "cuda", "requires_grad_", "detach_", "type_as", "__iter__",
})
# What a torch-level call on activations does to the trace: nothing, pass its input's producer on, or a row.
_SKIP, _KEEP_VALUES, _ROW = "skip", "keep values", "row"
_ARITHMETIC = {"add", "sub", "mul", "div", "truediv", "floordiv", "matmul", "pow", "and", "or", "neg"}


_OP_NAMES: dict = {}  # func -> op_name(func): torch-level callables are few and long-lived


def op_name(func) -> str:
    """A readable name for a torch-level function: ``__iadd__`` -> ``add``, ``_max_pool2d`` -> ``max_pool2d``."""
    try:
        return _OP_NAMES[func]
    except KeyError:
        name = _OP_NAMES[func] = _op_name(func)
        return name
    except TypeError:  # an unhashable callable
        return _op_name(func)


def _op_name(func) -> str:
    name = getattr(func, "__name__", None) or type(func).__name__
    name = getattr(func, "_opname", name)  # an ATen overload (a .pt2's graph): add_.Tensor -> add_
    if name.startswith("__") and name.endswith("__") and name not in _METADATA:
        core = name[2:-2]
        if core[:1] in ("i", "r") and core[1:] in _ARITHMETIC:
            core = core[1:]
        return core
    name = name.lstrip("_")
    if name.endswith("_") and not name.endswith("__"):
        name = name[:-1]  # in-place variant: same op
    return name


def is_atomic(module: nn.Module) -> bool:
    """A built-in torch layer without children: its internal calls are its implementation."""
    return type(module).__module__.startswith("torch.") and next(module.children(), None) is None


_SCALARS = frozenset({int, float, bool, str, type(None), torch.dtype, torch.device})
_CONTAINERS = frozenset({tuple, list, dict})


def _tensors(obj) -> list[torch.Tensor]:
    """The tensors among ``obj``'s pytree leaves, in ``tree_flatten``'s order.

    Called on the arguments and results of every op: plain tuples, lists and dicts are walked
    here, and only other containers (named tuples, ``OrderedDict``, registered dataclasses) go
    through ``tree_flatten``, which costs several times more per call."""
    if isinstance(obj, torch.Tensor):
        return [obj]
    found: list[torch.Tensor] = []
    if type(obj) is tuple:  # the arguments of every call: walked here without a call per element
        for value in obj:
            if isinstance(value, torch.Tensor):
                found.append(value)
            elif type(value) not in _SCALARS:
                _collect(value, found)
    else:
        _collect(obj, found)
    return found


def _collect(obj, found: list) -> None:
    kind = type(obj)
    if kind in _SCALARS:
        return
    if isinstance(obj, torch.Tensor):
        found.append(obj)
    elif kind in _CONTAINERS:
        for value in (obj.values() if kind is dict else obj):
            _collect(value, found)
    else:
        leaves, _ = tree_flatten(obj)
        found.extend(x for x in leaves if isinstance(x, torch.Tensor))


def _shapes_of(tensors: list[torch.Tensor]) -> Any:
    if len(tensors) == 1:
        return list(tensors[0].shape)
    return [list(t.shape) for t in tensors] or None


def shape_of(output) -> Any:
    """A shape for one tensor, a list of shapes for several, None for none."""
    return _shapes_of(_tensors(output))


@dataclass
class Call:
    """A torch-level call as it was made: ``name`` as ``op_name`` gives it, the real arguments."""

    name: str
    args: tuple
    kwargs: dict


@dataclass(slots=True)
class Row:
    """A row while tracing (mutable); analysis turns it into a frozen LayerRecord."""

    index: int
    name: str
    type: str
    kind: str
    depth: int
    parent: int | None
    call: int
    module: nn.Module | None
    atomic: bool
    input_shapes: list
    inputs: list[int]
    attrs: dict
    output_shape: Any = None
    output_bytes: int = 0
    self_macs: int = 0
    self_other: int = 0
    self_alloc: int = 0
    children: list[int] = field(default_factory=list)
    finished: bool = False
    call_args: tuple = ()  # function rows: arguments with tensors replaced by their shapes
    op_kind: str = "unknown"  # the kind in analysis/ops (meaningful for leaf rows)
    self_macs_by_op: dict = field(default_factory=dict)  # ATen op name -> MACs charged to this row
    formula: Any = None  # a user's MAC formula for this module: its count replaces the ops' inside it
    output_from: list[int] = field(default_factory=list)  # rows that produced this row's outputs


class _Frame:
    """Costs of a functional call in progress (it becomes a row only if it returns a tensor)."""

    __slots__ = ("self_macs", "self_other", "self_alloc", "self_macs_by_op")

    def __init__(self):
        self.self_macs = 0
        self.self_other = 0
        self.self_alloc = 0
        self.self_macs_by_op: dict = {}


def _absorb(row: Row, frame: _Frame) -> None:
    """Charge a call that made no row (it returned no tensor) to the row it ran in."""
    row.self_macs += frame.self_macs
    row.self_other += frame.self_other
    row.self_alloc += frame.self_alloc
    for op, macs in frame.self_macs_by_op.items():
        row.self_macs_by_op[op] = row.self_macs_by_op.get(op, 0) + macs


class Tracer:
    """Holds the rows and the producer map of one forward pass."""

    def __init__(self, model: nn.Module, capture: frozenset[str] = frozenset()):
        self.model = model
        self.capture = capture  # row names whose first output is copied as it is produced
        self.captured: dict[str, torch.Tensor] = {}
        # For the same rows, the torch-level calls that computed them, with their real arguments
        # (``probes.unit`` re-does one output unit's arithmetic from them): a function row's own
        # call, or the calls an atomic module's forward made (``F.pad`` then ``F.conv2d``).
        self.calls: dict[str, list[Call]] = {}
        self.names = {m: n for n, m in model.named_modules()}
        self.rows: list[Row] = []
        self.stack: list[Row | _Frame] = []
        self._rows_open: list[Row] = []  # the Rows of ``stack``, innermost last
        self._formulas_open = 0  # open rows with a module formula (their ops are not charged MACs)
        self._per_type: dict[type, tuple] = {}  # module class -> (kind, geometry, check, formula)
        self._atomic: dict[int, bool] = {}  # id(module) -> is_atomic(module)
        self._per_function: dict = {}  # torch-level callable -> (name, role, kind, geometry, check, in place)
        self._per_op: dict = {}  # ATen overload -> costs.op_costs(overload)
        self._quiet: list = []  # (atomic row, the DisableTorchFunction context entered for it), innermost last
        self.producer: dict[int, int] = {}
        self._keep: list[torch.Tensor] = []  # keeps ids unique while the trace runs
        self._calls: dict[int, int] = {}
        self._fn_counts: dict[tuple[int, str], int] = {}
        self.outside = _Frame()  # costs made outside every module (should stay zero)
        self.used_tensors: set[int] = set()  # ids of every tensor an ATen op read (finds unused parameters)
        self.uncounted: dict[str, dict] = {}  # ATen ops doing MAC work with no formula: calls, shapes, rows

    # -- helpers ---------------------------------------------------------------------------
    def _mark(self, tensors, index: int) -> None:
        producer = self.producer
        for t in tensors:
            producer[id(t)] = index
        self._keep.extend(tensors)
        if self.capture:
            self._capture(index, tensors)

    def _capture(self, index: int, tensors) -> None:
        if not self.capture:
            return
        # A copy, because a later in-place op (ReLU(inplace=True) after ``out += x``) would
        # overwrite the very tensor object; clone() stays on the autograd graph.  A module called
        # several times keeps its last call's output: the one the network goes on with.
        name = self.rows[index].name if 0 <= index < len(self.rows) else None
        if name in self.capture and tensors:
            self.captured[name] = tensors[0].clone()

    def _record_call(self, name: str, func, args, kwargs) -> None:
        # Activations are copied (a later in-place op would change them); weights and buffers only
        # detached: they do not change during a forward pass, and copying VGG's 400 MB fc6 would hurt.
        def keep(value):
            if not isinstance(value, torch.Tensor):
                return value
            return value.detach().clone() if id(value) in self.producer else value.detach()

        self.calls.setdefault(name, []).append(
            Call(op_name(func), tree_map(keep, args), tree_map(keep, kwargs or {})))

    def sources(self, tensors) -> list[int]:
        return [self.producer[id(t)] for t in tensors if id(t) in self.producer]

    def innermost_row(self) -> Row | None:
        return self._rows_open[-1] if self._rows_open else None

    def _module_rules(self, module) -> tuple:
        """(kind, module_attrs rule, check_module rule, MAC formula) of a module's class, looked up once
        per trace: the registries walk the class's MRO, and a network calls few classes many times."""
        cls = type(module)
        rules = self._per_type.get(cls)
        if rules is None:
            kind = ops.module_kind(module)
            rules = self._per_type[cls] = (kind, ops.get_rule("module_attrs", kind),
                                           ops.get_rule("check_module", kind), costs.module_formula(module))
        return rules

    def mark_inputs(self, inputs) -> None:
        """Number the model's input tensors: ``inputs[k]`` is produced by ``-1 - k`` (positional
        arguments first, then keyword tensors, as ``run_trace`` passes them)."""
        for k, t in enumerate(inputs):
            self.producer[id(t)] = -1 - k
            self._keep.append(t)

    # -- module rows -----------------------------------------------------------------------
    # The hooks' own tensor reads (``t.shape``, ``numel()``, a captured ``clone()``) are bookkeeping,
    # not the model's calls: torch-level recording is off while they run, which also spares a
    # round trip through ``_FunctionRecorder`` for each of them.  The dispatcher still sees the clone.
    #
    # An atomic module's own torch calls are its implementation, never rows (unless the row is captured):
    # torch-level recording stays off from its pre-hook to its post-hook, which spares the mode's round
    # trip for each of them.  The dispatcher still charges their costs to the row.
    def pre_hook(self, module, args, kwargs):
        with torch._C.DisableTorchFunction():
            row = self._open_row(module, args, kwargs)
        if row.atomic and not (self.calls and row.name in self.calls):
            quiet = torch._C.DisableTorchFunction()
            quiet.__enter__()
            self._quiet.append((row, quiet))

    def post_hook(self, module, args, kwargs, output):
        if self._quiet and self._quiet[-1][0] is self.stack[-1]:
            self._quiet.pop()[1].__exit__(None, None, None)
        with torch._C.DisableTorchFunction():
            self._close_row(module, args, output)

    def release(self) -> None:
        """Turn torch-level recording back on where a forward failed inside an atomic module."""
        while self._quiet:
            self._quiet.pop()[1].__exit__(None, None, None)

    def _open_row(self, module, args, kwargs):
        parent = self.innermost_row()
        tensors = _tensors(args)
        if kwargs:
            tensors += _tensors(kwargs)
        name = self.names.get(module, type(module).__name__)
        call = self._calls.get(id(module), 0)
        self._calls[id(module)] = call + 1
        kind, geometry, check, formula = self._module_rules(module)
        atomic = self._atomic.get(id(module))
        if atomic is None:
            atomic = self._atomic[id(module)] = is_atomic(module)
        row = Row(
            index=len(self.rows), name=name, type=type(module).__name__, kind="module",
            depth=0 if parent is None else parent.depth + 1,
            parent=None if parent is None else parent.index, call=call, module=module,
            atomic=atomic, input_shapes=[list(t.shape) for t in tensors],
            inputs=self.sources(tensors), attrs=geometry(module) if geometry else {}, op_kind=kind,
        )
        row.formula = formula
        if formula is not None:
            self._formulas_open += 1
        if self.capture and (name in self.capture or parent is not None and parent.name in self.capture):
            self.calls[name] = []  # a module called again: its last call is the one kept
        if parent is not None:
            parent.children.append(row.index)
        self.rows.append(row)
        self.stack.append(row)
        self._rows_open.append(row)
        if check is not None and tensors:
            check(self, row, module, tensors)
        return row

    def _close_row(self, module, args, output):
        row = self.stack.pop()
        assert isinstance(row, Row) and row.module is module, "unbalanced module hooks"
        self._rows_open.pop()
        outputs = _tensors(output)
        row.output_shape = _shapes_of(outputs)
        row.output_bytes = sum(t.numel() * t.element_size() for t in outputs)
        row.finished = True
        row.output_from = self.sources(outputs)
        if row.formula is not None:
            self._formulas_open -= 1
            macs = int(row.formula(module, args, output))
            row.self_macs += macs
            key = f"formula:{type(module).__name__}"
            row.self_macs_by_op[key] = row.self_macs_by_op.get(key, 0) + macs
        if not row.children:
            self._mark(outputs, row.index)
        else:
            self._capture(row.index, outputs)

    # -- functional rows -------------------------------------------------------------------
    def call_function(self, func, args, kwargs):
        parent = self._rows_open[-1] if self._rows_open else None
        if parent is None:
            return func(*args, **kwargs)
        if parent.atomic:  # its own calls are its implementation: recorded only for a captured row
            if self.calls and parent.name in self.calls and self.stack[-1] is parent:
                self._record_call(parent.name, func, args, kwargs)
            return func(*args, **kwargs)
        if self.stack[-1] is not parent:  # inside a functional call: its own internals
            return func(*args, **kwargs)
        info = self._function_info(func)
        name, role, kind, geometry, check, in_place = info
        if role is _SKIP:
            return func(*args, **kwargs)
        tensors = _tensors(args)
        if kwargs:
            tensors += _tensors(kwargs)
        sources = self.sources(tensors)
        if not sources:  # parameters, buffers, constants: not on the data path
            return func(*args, **kwargs)
        if role is _KEEP_VALUES:
            out = func(*args, **kwargs)
            self._mark(_tensors(out), sources[0])
            return out
        frame = _Frame()
        attrs = geometry(name, args, kwargs) if geometry else {}
        if check is not None and tensors:
            check(f"{parent.name}.{name}" if parent.name else name, name, attrs, (args, kwargs), tensors)
        if self.capture:  # the row's name, known before the call (the count is committed after it)
            key = (parent.index if parent.module is None else id(parent.module), parent.call, name)
            count = self._fn_counts.get(key, 0)
            label = name if count == 0 else f"{name}_{count}"
            row_name = f"{parent.name}.{label}" if parent.name else label
            if row_name in self.capture or parent.name in self.capture:
                self.calls[row_name] = []
                self._record_call(row_name, func, args, kwargs)
        self.stack.append(frame)
        pending = (name, tensors, sources)
        self.pending = pending
        out = func(*args, **kwargs)
        self.stack.pop()
        outputs = _tensors(out)
        if not outputs:
            _absorb(parent, frame)
            return out
        # Counted per call of the parent, so a block's second call repeats its first call's names.
        key = (parent.index if parent.module is None else id(parent.module), parent.call, name)
        count = self._fn_counts.get(key, 0)
        self._fn_counts[key] = count + 1
        label = name if count == 0 else f"{name}_{count}"
        row = Row(
            index=len(self.rows), name=f"{parent.name}.{label}" if parent.name else label,
            type=name, kind="function", depth=parent.depth + 1, parent=parent.index, call=parent.call,
            module=None, atomic=True, input_shapes=[list(t.shape) for t in tensors],
            inputs=sources, attrs=attrs, op_kind=kind,
            output_shape=_shapes_of(outputs),
            output_bytes=sum(t.numel() * t.element_size() for t in outputs),
            self_macs=frame.self_macs, self_other=frame.self_other, self_alloc=frame.self_alloc,
            self_macs_by_op=frame.self_macs_by_op, finished=True, call_args=(sanitize(args), sanitize(kwargs)),
        )
        parent.children.append(row.index)
        self.rows.append(row)
        self._mark(outputs, row.index)
        if in_place:
            self._mark_written_base(args, row.index)
        return out

    def _function_info(self, func) -> tuple:
        """(name, role, kind, geometry rule, check rule, in place) of a torch-level callable, looked up once per trace."""
        try:
            return self._per_function[func]
        except KeyError:
            pass
        except TypeError:  # an unhashable callable
            return self._describe_function(func)
        info = self._per_function[func] = self._describe_function(func)
        return info

    @staticmethod
    def _describe_function(func) -> tuple:
        name = op_name(func)
        role = _SKIP if name in _METADATA else _KEEP_VALUES if name in _PASSTHROUGH else _ROW
        kind = ops.function_kind(name)
        raw = getattr(func, "__name__", "")
        in_place = raw.endswith("_") and not raw.endswith("__") or raw.startswith("__i")
        return (name, role, kind, ops.get_rule("function_attrs", kind), ops.get_rule("check_function", kind),
                in_place)

    def _mark_written_base(self, args, index: int) -> None:
        """An in-place op on a view (``batch[:, :h, :w].copy_(image)``, torchvision's detection
        transform) writes into the view's base: later reads of the base come from this row."""
        target = args[0] if args else None
        if isinstance(target, torch.Tensor) and target._base is not None:
            self.producer[id(target._base)] = index
            self._keep.append(target._base)

    def failing_call(self) -> tuple[str, list]:
        """Name and input shapes of the innermost call in progress (after an exception)."""
        if self.stack and isinstance(self.stack[-1], _Frame):
            parent = self.innermost_row()
            name, tensors, _ = self.pending
            prefix = f"{parent.name}." if parent and parent.name else ""
            return f"{prefix}{name}", [list(t.shape) for t in tensors]
        row = self.innermost_row()
        if row is None:
            return "", []
        return row.name, row.input_shapes

    # -- costs from the dispatcher ---------------------------------------------------------
    def charge(self, func, args, kwargs, out) -> None:
        used = self.used_tensors
        for value in args:
            if isinstance(value, torch.Tensor):
                used.add(id(value))
            elif isinstance(value, (list, tuple)):
                used.update(id(v) for v in value if isinstance(v, torch.Tensor))
        try:
            name, mac_rule, other_rule, pointwise, fresh, uncounted = self._per_op[func]
        except KeyError:
            name, mac_rule, other_rule, pointwise, fresh, uncounted = self._per_op[func] = costs.op_costs(func)
        frame = self.stack[-1] if self.stack else self.outside
        if not self._formulas_open:  # inside a module with its own formula, the ops' MACs are not charged
            if mac_rule is not None:
                macs = int(mac_rule(args, kwargs, out))
                if macs:
                    frame.self_macs_by_op[name] = frame.self_macs_by_op.get(name, 0) + macs
                    frame.self_macs += macs
            elif uncounted:
                self._note_uncounted(func, args)
        frame.self_other += costs.other_ops_by(other_rule, pointwise, args, kwargs, out)
        frame.self_alloc += costs.new_bytes(fresh, out)

    def _note_uncounted(self, func, args) -> None:
        entry = self.uncounted.setdefault(costs.op_name(func), {"calls": 0, "shapes": [], "rows": []})
        entry["calls"] += 1
        shapes = [list(a.shape) for a in args if isinstance(a, torch.Tensor)]
        if shapes and shapes not in entry["shapes"] and len(entry["shapes"]) < 3:
            entry["shapes"].append(shapes)
        row = self.innermost_row()
        name = row.name if row is not None else ""
        if name not in entry["rows"] and len(entry["rows"]) < 5:
            entry["rows"].append(name)


class _FunctionRecorder(TorchFunctionMode):
    def __init__(self, tracer: Tracer):
        super().__init__()
        self.tracer = tracer

    def __torch_function__(self, func, types, args=(), kwargs=None):
        return self.tracer.call_function(func, args, kwargs or {})


class _CostRecorder(TorchDispatchMode):
    def __init__(self, tracer: Tracer):
        super().__init__()
        self.tracer = tracer

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        self.tracer.charge(func, args, kwargs, out)
        return out


def run_trace(model: nn.Module, inputs: list[torch.Tensor], call=None, grad: bool = False,
              capture: frozenset[str] = frozenset(), training: bool = False,
              kwargs: dict | None = None) -> tuple[Tracer, Any]:
    """Run ``call(*inputs, **kwargs)`` (default ``model(...)``) with every recorder attached, in eval
    mode, or in training mode with ``training`` (dropout and batch statistics active, auxiliary
    heads called).

    Model inputs are numbered positional first, then the tensor values of ``kwargs`` in their
    order: producer ``-1 - k`` is input ``k`` of that sequence (non-tensor keyword values are
    passed through as constants).

    Hooks are removed, training flags restored and, after a training-mode pass, real buffers
    (BatchNorm's running statistics) put back, whatever happens.  On failure the
    exception propagates with ``exc.cnnscope_tracer`` set, so callers can report the rows
    traced so far and the failing call.
    """
    tracer = Tracer(model, frozenset(capture))
    kwargs = kwargs or {}
    tracer.mark_inputs(list(inputs) + [v for v in kwargs.values() if isinstance(v, torch.Tensor)])
    handles = []
    modules = list(model.modules())  # walked once: the walk itself costs, on models of thousands
    flags = {m: m.training for m in modules}
    attributes = _tensor_attributes(modules)
    buffers = ({name: b.detach().clone() for name, b in model.named_buffers() if b.device.type != "meta"}
               if training else {})
    try:
        for module in modules:
            handles.append(module.register_forward_pre_hook(tracer.pre_hook, with_kwargs=True))
            handles.append(module.register_forward_hook(tracer.post_hook, with_kwargs=True))
        model.train(training)
        with torch.set_grad_enabled(grad), _CostRecorder(tracer), _FunctionRecorder(tracer):
            output = (call or model)(*inputs, **kwargs)
    except Exception as exc:  # re-raised with the partial trace attached
        exc.cnnscope_tracer = tracer
        if isinstance(exc, ShapeError):
            exc.partial = tracer
        raise
    finally:
        tracer.release()
        for handle in handles:
            handle.remove()
        for module, flag in flags.items():
            module.training = flag
        _restore_tensor_attributes(modules, attributes)
        if buffers:
            with torch.no_grad():
                for name, buffer in model.named_buffers():
                    if name in buffers:
                        buffer.copy_(buffers[name])
    return tracer, output


# nn.Module's own bookkeeping (parameters, buffers, children, hooks, the training flag): never touched
# here, and never a plain attribute holding tensors, so the walks below skip them without a look.
_MODULE_INTERNALS = frozenset(vars(nn.Module()))
_PLAIN = frozenset({bool, int, float, str, type(None)})


def _plain_attributes(module: nn.Module):
    """(name, value) of a module's own attributes that may hold tensors."""
    attributes = module.__dict__
    keys = attributes.keys() - _MODULE_INTERNALS  # a set operation in C: most modules have none left
    return [(key, attributes[key]) for key in keys if type(attributes[key]) not in _PLAIN]


def _holds_tensors(value) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, torch.Tensor) for v in value)
    if isinstance(value, dict):
        return any(isinstance(v, torch.Tensor) for v in value.values())
    return False


def _tensor_attributes(modules: list[nn.Module]) -> dict:
    """Every plain attribute (not a parameter or buffer) that holds tensors, with a copy of its
    contents: a forward may rebind or refill them (torchvision's ``AnchorGenerator.cell_anchors``
    is a list of tensors that its forward replaces with copies on the input's device)."""
    saved = {}
    for module in modules:
        for key, value in _plain_attributes(module):
            if _holds_tensors(value):
                saved[(module, key)] = (value, dict(value) if isinstance(value, dict) else
                                        list(value) if isinstance(value, list) else None)
    return saved


def _restore_tensor_attributes(modules: list[nn.Module], saved: dict) -> None:
    """Put back what ``_tensor_attributes`` saw, and drop tensor attributes the forward added."""
    for module in modules:
        for key in [k for k, v in _plain_attributes(module) if (module, k) not in saved and _holds_tensors(v)]:
            del module.__dict__[key]
    for (module, key), (value, contents) in saved.items():
        if isinstance(value, dict):
            value.clear()
            value.update(contents)
        elif isinstance(value, list):
            value[:] = contents
        module.__dict__[key] = value
