"""Plan -> nn.Module (the same structure the generated code builds, so state_dicts match)."""

from __future__ import annotations

from torch import nn

from cnnscope.spec.blocks import Concat, Residual, SpecModel
from cnnscope.spec.plan import Call, ConcatPlan, Plan, ResidualPlan, Seq


def to_module(item) -> nn.Module:
    if isinstance(item, Call):
        return getattr(nn, item.cls)(*item.args, **dict(item.kwargs))
    if isinstance(item, Seq):
        return nn.Sequential(*(to_module(i) for i in item.items))
    if isinstance(item, ResidualPlan):
        return Residual(to_module(item.body), to_module(item.shortcut) if item.shortcut else None)
    if isinstance(item, ConcatPlan):
        return Concat(*(to_module(b) for b in item.branches))
    raise TypeError(item)  # pragma: no cover


def build(plan: Plan, device="cpu") -> SpecModel:
    import torch

    with torch.device(device):
        return SpecModel(*(to_module(i) for i in plan.root.items), name=plan.name, input_shape=plan.input)


def build_from_spec(source: str, device="cpu", input_shape=None, limits=None):
    """``(module, plan)`` for a spec file or one-line spec."""
    from cnnscope.spec.load import load_spec
    from cnnscope.spec.plan import make_plan

    plan = make_plan(load_spec(source, limits, input_shape))
    return build(plan, device=device), plan
