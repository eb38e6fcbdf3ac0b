"""The registry behind ``analysis.ops``: kinds, what belongs to each, and per-kind rules.

Modelled on ``torch/utils/flop_counter.py``'s ``register_flop_formula``: flat dicts, and every
registration raises on a duplicate, so a module type or function name can never belong to two
kinds and a kind can never have two rules for one aspect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

# What a rule is for.  Each aspect is one consumer of the vocabulary:
ASPECTS = {
    "module_attrs": "module -> geometry dict (kernel_size, stride, padding, dilation, groups, ceil_mode)",
    "function_attrs": "(name, args, kwargs) -> geometry dict of a functional call",
    "check_module": "(tracer, row, module, tensors) -> None, raising ShapeError before a bad call runs",
    "check_function": "(row name, function name, geometry, (args, kwargs), tensors) -> None, for functional calls",
    "rf": "(engine, row, field) -> the row's field state from its input's Field",
    "rf_tokens": "(engine, row) -> the row's state when its input's spatial axes are folded into tokens",
    "rf_merge": "(engine, row, states) -> the state of a row that combines inputs from several rows "
                "(always used for the merge kind; for others only when several data paths meet)",
    "explain": "(LayerRecord) -> lines of shape arithmetic for a student",
}


@dataclass(frozen=True)
class OpKind:
    name: str
    summary: str  # one line, shown in the docs and the app


KINDS: dict[str, OpKind] = {}
_MODULE_TYPES: dict[type, str] = {}
_MODULE_TYPE_NAMES: dict[str, str] = {}  # classes of other libraries (timm, torchvision), by name
_FUNCTIONS: dict[str, str] = {}
_RULES: dict[tuple[str, str], Callable] = {}


def register_kind(name: str, summary: str, *, modules=(), module_names=(), functions=()) -> OpKind:
    """Declare a kind and what belongs to it; anything already claimed raises ValueError."""
    if name in KINDS:
        raise ValueError(f"op kind {name!r} is already registered")
    for cls in modules:
        if cls in _MODULE_TYPES:
            raise ValueError(f"{cls.__name__} already belongs to op kind {_MODULE_TYPES[cls]!r}")
    for type_name in module_names:
        if type_name in _MODULE_TYPE_NAMES:
            raise ValueError(f"{type_name} already belongs to op kind {_MODULE_TYPE_NAMES[type_name]!r}")
    for function in functions:
        if function in _FUNCTIONS:
            raise ValueError(f"function {function!r} already belongs to op kind {_FUNCTIONS[function]!r}")
    kind = OpKind(name, summary)
    KINDS[name] = kind
    _MODULE_TYPES.update(dict.fromkeys(modules, name))
    _MODULE_TYPE_NAMES.update(dict.fromkeys(module_names, name))
    _FUNCTIONS.update(dict.fromkeys(functions, name))
    return kind


def rule(aspect: str, *kinds: str):
    """Decorator: ``fn`` is the ``aspect`` rule of each of ``kinds`` (duplicates raise)."""
    if aspect not in ASPECTS:
        raise ValueError(f"unknown rule aspect {aspect!r}; known: {', '.join(ASPECTS)}")

    def register(fn: Callable) -> Callable:
        for kind in kinds:
            if kind not in KINDS:
                raise ValueError(f"op kind {kind!r} is not registered")
            if (aspect, kind) in _RULES:
                raise ValueError(f"op kind {kind!r} already has a {aspect!r} rule")
            _RULES[(aspect, kind)] = fn
        return fn

    return register


def get_rule(aspect: str, kind: str | None) -> Callable | None:
    return _RULES.get((aspect, kind)) if kind is not None else None


def module_kind(module) -> str:
    """The kind of a module, by the most specific registered class in its MRO (so subclasses,
    timm's ``Conv2dSame`` or a user's ``MyConv(nn.Conv2d)``, share their base's kind)."""
    for cls in type(module).__mro__:
        if cls in _MODULE_TYPES:
            return _MODULE_TYPES[cls]
        if cls.__name__ in _MODULE_TYPE_NAMES:
            return _MODULE_TYPE_NAMES[cls.__name__]
    return "unknown"


def function_kind(name: str) -> str:
    return _FUNCTIONS.get(name, "unknown")


def members(kind: str) -> dict[str, list[str]]:
    """What belongs to ``kind`` (for docs and tests)."""
    return {
        "modules": sorted(c.__name__ for c, k in _MODULE_TYPES.items() if k == kind)
        + sorted(n for n, k in _MODULE_TYPE_NAMES.items() if k == kind),
        "functions": sorted(f for f, k in _FUNCTIONS.items() if k == kind),
    }
