"""What a trace did not count, said out loud: ATen ops that did multiply-accumulate work with no
formula (counted as 0 MACs), and modules the forward never called."""

from __future__ import annotations

from torch import nn

from cnnscope.report import Diagnostic


def uncounted_ops(tracer) -> list[dict]:
    """``[{"op", "calls", "shapes", "layers"}]``, most-called first."""
    entries = [{"op": op, "calls": e["calls"], "shapes": e["shapes"], "layers": e["rows"]}
               for op, e in tracer.uncounted.items()]
    return sorted(entries, key=lambda e: (-e["calls"], e["op"]))


def diagnostics(tracer, model: nn.Module, uncounted: list[dict]) -> list[Diagnostic]:
    found = []
    if uncounted:
        listed = ", ".join(f"{e['op']} ×{e['calls']}" for e in uncounted[:6])
        found.append(Diagnostic("warning", "uncounted-ops",
                                f"{len(uncounted)} op{'s' if len(uncounted) > 1 else ''} did multiply-accumulate work with no "
                                f"formula and count{'' if len(uncounted) > 1 else 's'} as 0 MACs: {listed}; "
                                "add one with cnnscope.register_formula"))
    never = uncalled_modules(tracer, model)
    if never:
        shown = ", ".join(never[:8]) + (f" and {len(never) - 8} more" if len(never) > 8 else "")
        found.append(Diagnostic("info", "uncalled-modules", f"modules never called in this forward: {shown}"))
    return found


def uncalled_modules(tracer, model: nn.Module) -> list[str]:
    """The outermost submodules with no row.  A module whose parameters a parent used directly
    (``F.multi_head_attention_forward`` reading ``out_proj.weight``) was counted, so it is not listed."""
    called = {id(row.module) for row in tracer.rows if row.module is not None}
    never: list[str] = []
    for name, module in model.named_modules():
        if not name or id(module) in called or any(name.startswith(f"{n}.") for n in never):
            continue
        parameters = list(module.parameters())
        if parameters and all(id(p) in tracer.used_tensors for p in parameters):
            continue
        never.append(name)
    return never
