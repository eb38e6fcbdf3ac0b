"""Parameter counting: shared tensors once, trainable and frozen apart, buffers separate."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from cnnscope.report import Diagnostic


@dataclass(frozen=True)
class ParamCount:
    params: int
    trainable: int
    buffers: int
    param_bytes: int
    buffer_bytes: int
    trainable_bytes: int


def count(model: nn.Module) -> ParamCount:
    """Unique parameter tensors (``parameters()`` already skips tied duplicates)."""
    params = list(model.parameters())
    buffers = list(model.buffers())
    trainable = [p for p in params if p.requires_grad]
    return ParamCount(
        params=sum(p.numel() for p in params),
        trainable=sum(p.numel() for p in trainable),
        buffers=sum(b.numel() for b in buffers),
        param_bytes=sum(p.numel() * p.element_size() for p in params),
        buffer_bytes=sum(b.numel() * b.element_size() for b in buffers),
        trainable_bytes=sum(p.numel() * p.element_size() for p in trainable),
    )


def row_params(rows, model: nn.Module) -> list[tuple[int, int]]:
    """(params, trainable) per row.

    A module's first call carries the parameters of its subtree; later calls carry 0, and a
    tensor tied into several modules is counted at the first of them in execution order, so
    the leaf rows add up to the parameters the forward pass uses.
    """
    seen: set[int] = set()
    subtrees: dict[int, tuple] | None = {} if _walks_as_nn_module(model) else None
    result = []
    for row in rows:
        if row.module is None or row.call > 0:
            result.append((0, 0))
            continue
        if row.children and subtrees is not None:
            _found, total, trainable = _subtree(row.module, subtrees)
            result.append((total, trainable))
            continue
        # Each tensor once per row (``parameters()`` semantics), read from the memo when the classes allow.
        found = (list(_subtree(row.module, subtrees)[0].values()) if subtrees is not None
                 else list(row.module.parameters()))
        if row.children:
            tensors = found
        else:
            tensors = [p for p in found if id(p) not in seen]
            seen.update(id(p) for p in tensors)
        result.append(_sizes(tensors))
    return result


def _sizes(tensors) -> tuple[int, int]:
    """(elements, trainable elements) of ``tensors``."""
    total = trainable = 0
    for tensor in tensors:
        n = tensor.numel()
        total += n
        if tensor.requires_grad:
            trainable += n
    return total, trainable


_WALK = ("parameters", "named_parameters", "_named_members", "named_modules")


def _walks_as_nn_module(model: nn.Module) -> bool:
    """Whether no class in ``model`` overrides how ``parameters()`` finds tensors."""
    classes = {type(m) for m in model.modules()}
    return all(getattr(cls, name) is getattr(nn.Module, name) for cls in classes for name in _WALK)


def _subtree(module: nn.Module, memo: dict[int, tuple]) -> tuple[dict, int, int]:
    """(``{id: parameter}`` of ``module.parameters()``, their elements, their trainable elements), built
    from the children's so that a container row does not walk or sum its whole subtree again
    (``memo``: per module id).  The children's sums add up unless a tensor is shared inside the
    subtree; then it is summed afresh, each tensor once."""
    entry = memo.get(id(module))
    if entry is None:
        found: dict = {}
        total = trainable = parts = 0
        for child in module._modules.values():
            if child is not None:
                child_found, child_total, child_trainable = _subtree(child, memo)
                found.update(child_found)
                total, trainable, parts = total + child_total, trainable + child_trainable, parts + len(child_found)
        own = [p for p in module._parameters.values() if p is not None]
        found.update((id(p), p) for p in own)
        own_total, own_trainable = _sizes(own)
        total, trainable, parts = total + own_total, trainable + own_trainable, parts + len(own)
        if len(found) != parts:
            total, trainable = _sizes(found.values())
        entry = memo[id(module)] = (found, total, trainable)
    return entry


def unused_diagnostics(tracer, model: nn.Module) -> list[Diagnostic]:
    """Parameters no operation of the forward pass read (e.g. auxiliary heads that run only in
    training).  Usage is seen at the kernel level, so weights a parent passes to a functional
    op without calling their module (attention projections) count as used."""
    unused: dict[str, int] = {}
    for name, parameter in model.named_parameters():
        if id(parameter) not in tracer.used_tensors:
            owner = name.rsplit(".", 1)[0] if "." in name else ""
            top = _outermost_unused(owner, model, tracer.used_tensors) if owner else name
            unused[top] = unused.get(top, 0) + parameter.numel()
    if not unused:
        return []
    listed = ", ".join(f"{name} ({n:,})" for name, n in list(unused.items())[:5])
    more = f" and {len(unused) - 5} more" if len(unused) > 5 else ""
    total = sum(unused.values())
    return [Diagnostic(
        "info", "unused-parameters",
        f"{total:,} parameters are never used by this forward pass: {listed}{more}. "
        "They are included in the totals (e.g. auxiliary heads that run only in training).")]


def _outermost_unused(name: str, model: nn.Module, used: set[int]) -> str:
    """The highest module on the path to ``name`` none of whose parameters were used."""
    modules = dict(model.named_modules())
    parts = name.split(".")
    for k in range(1, len(parts) + 1):
        prefix = ".".join(parts[:k])
        if not any(id(p) in used for p in modules[prefix].parameters()):
            return prefix
    return name
