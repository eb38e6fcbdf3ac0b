"""Specs: architectures written as data (YAML/JSON or one line), built without evaluating text."""

from __future__ import annotations


def build_from_spec(source: str, device="cpu", input_shape=None, limits=None):
    """``(module, plan)`` for a spec file or one-line spec."""
    from cnnscope.spec.build import build
    from cnnscope.spec.load import load_spec
    from cnnscope.spec.plan import make_plan

    plan = make_plan(load_spec(source, limits, input_shape))
    return build(plan, device=device), plan


def generate_code(source: str, input_shape=None, limits=None) -> str:
    from cnnscope.spec.codegen import generate
    from cnnscope.spec.load import load_spec
    from cnnscope.spec.plan import make_plan

    return generate(make_plan(load_spec(source, limits, input_shape)))
