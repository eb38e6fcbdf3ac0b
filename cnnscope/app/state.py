"""What the pages share: the chosen model, cached analyses, and the app's safety limits.

Typed text is only ever parsed as a spec (YAML/JSON through safe_load, validated, never
evaluated); ``file.py:Name`` sources are not accepted here.  Sizes are capped so that no
visitor can ask the server for a huge allocation.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cnnscope.errors import CnnscopeError, UsageError
from cnnscope.spec.schema import Limits

MAX_SIDE = 1024
MAX_CHANNELS = 64
MAX_BATCH = 64
MAX_UPLOAD_MB = 200
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


@dataclass(frozen=True)
class Choice:
    """The model the visitor picked: a zoo name, or spec text."""

    kind: str  # "zoo" | "spec"
    value: str
    shape: tuple  # N, C, H, W

    @property
    def label(self) -> str:
        return self.value if self.kind == "zoo" else _spec_name(self.value)


def _spec_name(text: str) -> str:
    try:
        from cnnscope.spec.load import spec_text_to_spec

        return spec_text_to_spec(text, APP_LIMITS).name
    except CnnscopeError:
        return "spec"


@st.cache_data(show_spinner=False)
def zoo_names() -> dict[str, list[str]]:
    from cnnscope.zoo import list_entries

    groups: dict[str, list[str]] = {"tutorial": [], "torchvision": []}
    for entry in list_entries():
        groups.setdefault(entry.group, []).append(entry.name)
    return groups


@st.cache_data(show_spinner=False)
def natural_shape(name: str) -> tuple:
    from cnnscope.zoo import get_entry

    return (1, *get_entry(name).input_shape)


def check_shape(shape: tuple) -> tuple:
    if len(shape) != 4:
        raise UsageError("the input is N,C,H,W (or C,H,W)")
    n, c, h, w = shape
    if n > MAX_BATCH or c > MAX_CHANNELS or max(h, w) > MAX_SIDE:
        raise UsageError(f"inputs are capped at batch {MAX_BATCH}, {MAX_CHANNELS} channels and {MAX_SIDE} pixels "
                         "a side in the app (the command line has no such cap)")
    return shape


def parse_shape(text: str) -> tuple:
    from cnnscope.input_shapes import parse_input_shape

    return check_shape(tuple(parse_input_shape(text)[0]))


def spec_plan(text: str, shape: tuple | None = None):
    from cnnscope.spec.load import spec_text_to_spec
    from cnnscope.spec.plan import make_plan

    spec = spec_text_to_spec(text, APP_LIMITS)
    if shape is not None:  # the sidebar's input (already capped by check_shape) overrides the spec's
        from dataclasses import replace

        spec = replace(spec, input=tuple(check_shape(tuple(shape))[1:]))
    return make_plan(spec)


@st.cache_resource(show_spinner=False, max_entries=32)
def _report(kind: str, value: str, shape: tuple):
    from cnnscope.analysis.analyze import analyze

    if kind == "zoo":
        return analyze(value, [shape])
    from cnnscope.spec.build import build

    plan = spec_plan(value, shape)
    return analyze(build(plan, device="meta"), [shape], name=plan.name)


def report(choice: Choice):
    """The cached ModelReport of the choice (same model and input: no second trace)."""
    return _report(choice.kind, choice.value, choice.shape)


def real_model(choice: Choice, seed: int = 0):
    """The model with real (random) weights on the CPU, for filters, activations and training."""
    import torch

    torch.manual_seed(seed)
    if choice.kind == "zoo":
        from cnnscope.zoo import build_model

        return build_model(choice.value, device="cpu")
    from cnnscope.spec.build import build

    return build(spec_plan(choice.value, choice.shape), device="cpu")


def normalization(choice: Choice):
    if choice.kind != "zoo":
        return None, None
    from cnnscope.zoo import get_entry

    return get_entry(choice.value).normalization or (None, None)


def load_uploaded_weights(model, upload) -> str:
    """Apply an uploaded state_dict (size-capped, weights_only) to ``model``; returns its description."""
    import tempfile
    from pathlib import Path

    from cnnscope.probes.weights import load_weights

    if upload.size > MAX_UPLOAD_MB * 2**20:
        raise UsageError(f"{upload.name} is {upload.size / 2**20:.0f} MB; uploads are capped at {MAX_UPLOAD_MB} MB")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "weights.pt"
        path.write_bytes(upload.getvalue())
        load_weights(model, path, source=upload.name)
    return f"uploaded {upload.name}"
