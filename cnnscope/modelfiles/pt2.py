"""A ``.pt2`` (``torch.export.save``) as an ``nn.Module`` with the original module paths and weights.

The program is read by ``pt2_archive`` (nothing unpickled, nothing from the file run), its module
tree restored by ``torch.export.unflatten``, and each ``torch.nn`` leaf rebuilt as that layer
(``pt2_layers``), so the analysis sees ``layer1.0.conv1`` as a ``Conv2d`` with its kernel, stride and
padding, exactly as in the original model.  Other modules keep their recorded class name (``BasicBlock``)
as the type of an ``InterpreterModule`` subclass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from torch import nn
from cnnscope.i18n import _

_IDENTIFIER = re.compile(r"[A-Za-z_]\w{0,80}")


@dataclass
class Pt2Model:
    module: nn.Module
    input_shapes: list[tuple[int, ...]]  # with the batch; a symbolic size is 1 (the batch) or its example's
    notes: list[str] = field(default_factory=list)


def load_pt2(path: str | Path) -> Pt2Model:
    """The model in ``path`` on the CPU with the file's weights, and the shapes it was exported with."""
    import torch

    from cnnscope.errors import InputError
    from cnnscope.modelfiles.pt2_archive import read_exported_program

    program = read_exported_program(path)
    shapes = _input_shapes(program)
    try:
        module = torch.export.unflatten(program)
    except Exception as exc:  # noqa: BLE001 - torch refuses some programs (e.g. preserved calls it cannot restore)
        text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise InputError(_("{path}: torch cannot restore the module tree of this program ({text})").format(
                             path=path, text=text)) from None
    types = _recorded_types(program)
    kept = _rebuild_layers(module, types)
    _name_classes(module, types)
    notes = [f"{kept} of its modules are run as recorded ATen calls (not torch.nn layers)"] if kept else []
    return Pt2Model(module.eval(), shapes, notes)


def _input_shapes(program) -> list[tuple[int, ...]]:
    """The user inputs' shapes from the program's placeholders: a symbolic first size (the batch) is 1,
    another symbolic size takes the example input's value (or 1 without one)."""
    import torch

    from cnnscope.errors import InputError

    user_inputs = [spec.arg.name for spec in program.graph_signature.input_specs
                   if spec.kind == torch.export.graph_signature.InputKind.USER_INPUT]
    placeholders = {node.name: node for node in program.graph.nodes if node.op == "placeholder"}
    examples = [t for t in torch.utils._pytree.tree_leaves(program.example_inputs or ())
                if isinstance(t, torch.Tensor)]
    shapes = []
    for position, name in enumerate(user_inputs):
        value = placeholders[name].meta.get("val")
        if not isinstance(value, torch.Tensor):
            raise InputError(_("{name!r} is an input of type {name2}: cnnscope analyses models whose inputs are "
                               "tensors").format(name=name, name2=type(value).__name__))
        example = examples[position] if position < len(examples) else None
        shape = []
        for axis, size in enumerate(value.shape):
            if isinstance(size, int):
                shape.append(size)
            elif axis == 0 or example is None:
                shape.append(1)
            else:
                shape.append(int(example.shape[axis]))
        shapes.append(tuple(shape))
    return shapes


def _recorded_types(program) -> dict[str, str]:
    """Module path -> the class ``torch.export`` recorded for it (``torch.nn.modules.conv.Conv2d``)."""
    types: dict[str, str] = {}
    for node in program.graph.nodes:
        for path, type_name in (node.meta.get("nn_module_stack") or {}).values():
            key = _plain_path(path)
            types.setdefault(key, type_name if isinstance(type_name, str) else getattr(type_name, "__qualname__", ""))
    return types


def _plain_path(path: str) -> str:
    """``L['self'].layer1[0]``-style paths as ``layer1.0``; plain paths unchanged."""
    path = re.sub(r"^L\['self'\]\.?|^L__self__\.?", "", path)
    return re.sub(r"\[(\d+)\]", r".\1", path).replace("._modules['", ".").replace("']", "").strip(".")


def _rebuild_layers(module: nn.Module, types: dict[str, str]) -> int:
    """Replace each unflattened torch.nn leaf by the layer itself; returns how many leaves with
    parameters or calls could not be (they run as recorded, and are counted all the same)."""
    from torch.export.unflatten import InterpreterModule

    from cnnscope.modelfiles.pt2_layers import rebuilt_layer

    kept = 0
    for path, leaf in list(module.named_modules()):
        if not path or not isinstance(leaf, InterpreterModule) or next(leaf.children(), None) is not None:
            continue
        type_name = types.get(path.split("@")[0], "")
        layer = rebuilt_layer(type_name, leaf) if type_name.startswith("torch.nn.") else None
        if layer is None:
            kept += type_name.startswith("torch.nn.")
            continue
        parent_path, _unused, child = path.rpartition(".")
        module.get_submodule(parent_path).register_module(child, layer)
    return kept


_CLASSES: dict[str, type] = {}


def _name_classes(module: nn.Module, types: dict[str, str]) -> None:
    """Each remaining unflattened module takes its recorded class name (``BasicBlock``): a subclass
    made here under that name, never the class itself (nothing is imported from the file)."""
    from torch.export.unflatten import InterpreterModule, UnflattenedModule

    for path, child in module.named_modules():
        if type(child) not in (InterpreterModule, UnflattenedModule):
            continue
        name = types.get(path.split("@")[0], "").rpartition(".")[2]
        if not _IDENTIFIER.fullmatch(name):
            continue
        key = f"{type(child).__name__}:{name}"
        if key not in _CLASSES:
            _CLASSES[key] = type(name, (type(child),), {"__module__": __name__,
                                                        "__doc__": f"{name}, as recorded in a .pt2"})
        child.__class__ = _CLASSES[key]
