"""The spec box: its text as a plan or a model, within the app's limits.

Typed text is only ever parsed as a spec (YAML/JSON through safe_load, or the one-line form;
validated, never evaluated), through ``sources.load_model``'s TEXT kind: it is never read as a
path, and ``file.py:Name`` is not accepted in the app.
"""

from __future__ import annotations

from cnnscope.app.input_caps import MAX_SIDE, check_shape
from cnnscope.errors import CnnscopeError
from cnnscope.spec.schema import Limits

# Specs typed in the app get a tighter budget than the command line.
APP_LIMITS = Limits(max_layers=500, max_params=300_000_000, max_activation_bytes=2 * 2**30, max_input_size=MAX_SIDE)

DEFAULT_SPEC = """name: tiny_vgg
input: [3, 32, 32]
layers:
  - conv: {out: 32, kernel: 3, padding: 1}
  - relu
  - maxpool: {kernel: 2}
  - repeat:
      times: 2
      layers:
        - conv: {out: 64, kernel: 3, padding: 1}
        - batchnorm
        - relu
  - maxpool: {kernel: 2}
  - adaptiveavgpool: {size: 1}
  - flatten
  - linear: {out: 10}
"""


def spec_plan(text: str, shape: tuple | None = None):
    """The plan of the spec box's text; ``shape`` (N,C,H,W, capped here) overrides the spec's input."""
    from cnnscope.sources import TEXT, read_spec
    from cnnscope.spec.plan import make_plan

    return make_plan(read_spec(text, _chw(shape), kind=TEXT, limits=APP_LIMITS))


def plan_data(data: dict, shape: tuple | None = None):
    """The plan of spec data (from ``spec_edit.spec_data``), within the app's limits: the builder plans
    the layers before a failing one this way."""
    from dataclasses import replace

    from cnnscope.spec.plan import make_plan
    from cnnscope.spec.schema import validate

    spec = validate(data, APP_LIMITS)
    return make_plan(spec if shape is None else replace(spec, input=_chw(shape)))


def spec_model(text: str, shape: tuple, device: str = "meta", seed: int | None = 0):
    """The ``LoadedModel`` of the spec box's text at input ``shape`` (N,C,H,W, capped here)."""
    from cnnscope.sources import TEXT, load_model

    return load_model(text, device, _chw(shape), seed=seed, kinds=(TEXT,), limits=APP_LIMITS)


def spec_name(text: str) -> str:
    """The spec's name, or "spec" while the text is not a valid spec."""
    from cnnscope.sources import TEXT, read_spec

    try:
        return read_spec(text, kind=TEXT, limits=APP_LIMITS).name
    except CnnscopeError:
        return "spec"


def _chw(shape: tuple | None) -> tuple | None:
    """The sidebar's input (already capped by check_shape, checked again here) as the spec's C,H,W."""
    return None if shape is None else tuple(check_shape(tuple(shape))[1:])
