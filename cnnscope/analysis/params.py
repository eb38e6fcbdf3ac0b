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
    subtrees: dict[int, dict] | None = {} if _walks_as_nn_module(model) else None
    result = []
    for row in rows:
        if row.module is None or row.call > 0:
            result.append((0, 0))
            continue
        # Each tensor once per row (``parameters()`` semantics), read from the memo when the classes allow.
        found = (list(_subtree_parameters(row.module, subtrees).values()) if subtrees is not None
                 else list(row.module.parameters()))
        if row.children:
            tensors = found
        else:
            tensors = [p for p in found if id(p) not in seen]
            seen.update(id(p) for p in tensors)
        result.append((sum(p.numel() for p in tensors), sum(p.numel() for p in tensors if p.requires_grad)))
    return result


_WALK = ("parameters", "named_parameters", "_named_members", "named_modules")


def _walks_as_nn_module(model: nn.Module) -> bool:
    """Whether no class in ``model`` overrides how ``parameters()`` finds tensors."""
    classes = {type(m) for m in model.modules()}
    return all(getattr(cls, name) is getattr(nn.Module, name) for cls in classes for name in _WALK)


def _subtree_parameters(module: nn.Module, memo: dict[int, dict]) -> dict:
    """``{id: parameter}`` of ``module.parameters()`` (each tensor once), built from the children's
    so that a container row does not walk its whole subtree again (``memo``: per module id)."""
    found = memo.get(id(module))
    if found is None:
        found = {}
        for child in module._modules.values():
            if child is not None:
                found.update(_subtree_parameters(child, memo))
        found.update((id(p), p) for p in module._parameters.values() if p is not None)
        memo[id(module)] = found
    return found


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
