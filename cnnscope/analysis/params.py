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
    result = []
    for row in rows:
        if row.module is None or row.call > 0:
            result.append((0, 0))
            continue
        tensors = list(row.module.parameters())
        if not row.children:
            tensors = [p for p in tensors if id(p) not in seen]
            seen.update(id(p) for p in tensors)
        result.append((sum(p.numel() for p in tensors), sum(p.numel() for p in tensors if p.requires_grad)))
    return result


def unused_diagnostics(rows, model: nn.Module) -> list[Diagnostic]:
    """Parameters of modules the forward pass never called (e.g. auxiliary training heads)."""
    called = {id(r.module) for r in rows if r.module is not None}
    atomic_called = [r.module for r in rows if r.module is not None and not r.children]
    covered = {id(p) for m in atomic_called for p in m.parameters()}
    unused: dict[str, int] = {}
    for name, module in model.named_modules():
        if id(module) in called:
            continue
        own = [p for p in module.parameters(recurse=False) if id(p) not in covered]
        if own:
            top = _outermost_uncalled(name, model, called)
            unused[top] = unused.get(top, 0) + sum(p.numel() for p in own)
    if not unused:
        return []
    listed = ", ".join(f"{name} ({n:,})" for name, n in list(unused.items())[:5])
    total = sum(unused.values())
    return [Diagnostic(
        "info", "unused-parameters",
        f"{total:,} parameters belong to modules this forward pass never calls: {listed}. "
        "They are included in the totals (e.g. auxiliary heads that run only in training).")]


def _outermost_uncalled(name: str, model: nn.Module, called: set[int]) -> str:
    parts = name.split(".")
    modules = dict(model.named_modules())
    for k in range(1, len(parts) + 1):
        prefix = ".".join(parts[:k])
        if id(modules[prefix]) not in called:
            return prefix
    return name
