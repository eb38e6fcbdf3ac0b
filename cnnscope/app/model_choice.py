"""The model the visitor picked (a zoo name, or spec text, and its input) and its cached analysis."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from cnnscope.app.input_caps import natural_input, parse_inputs
from cnnscope.app.plain_text import plain
from cnnscope.app.spec_text import spec_model, spec_name
from cnnscope.errors import CnnscopeError
from cnnscope.i18n import N_, _, language

# whole sentences with the model's name in them (no sentence built from fragments)
TAKES = {"detection": N_("{name} is a detection model: it takes a list of 3×H×W images"),
         "video": N_("{name} takes N,C,T,H,W video clips"), "flow": N_("{name} takes a pair of N,C,H,W frames (optical flow)")}


@dataclass(frozen=True)
class Choice:
    """The model the visitor picked: a zoo name, or spec text, and its input."""

    kind: str  # "zoo" | "spec" | "file" (an uploaded .onnx/.pt2, saved under its digest: app.model_file)
    value: str
    shape: tuple  # the first input: N,C,H,W; detection: C,H,W (one image); video: N,C,T,H,W
    form: str = "image"  # see input_caps.INPUT_LABELS
    extra: tuple = ()  # further inputs (optical flow: the second frame)

    @property
    def label(self) -> str:
        if self.kind == "file":
            from pathlib import Path

            return Path(self.value).name
        return self.value if self.kind == "zoo" else spec_name(self.value)

    @property
    def shapes(self) -> tuple:
        """Every input, as ``analyze`` takes them."""
        return (self.shape, *self.extra)

    @property
    def is_image(self) -> bool:
        """One N,C,H,W image batch: what the photo, feature-map and training views feed."""
        return self.form == "image" and len(self.shape) == 4

    def takes(self) -> str:
        """``r3d_18 takes N,C,T,H,W video clips``: why an image view cannot serve this model."""
        if self.form in TAKES:
            return _(TAKES[self.form]).format(name=plain(self.label))
        return _("{name} takes {shape} inputs").format(name=plain(self.label), shape="×".join(map(str, self.shape)))


def natural_choice(name: str) -> Choice:
    form, shapes = natural_input(name)
    return Choice("zoo", name, shapes[0], form, shapes[1:])


def zoo_choice(name: str, text: str) -> Choice:
    """The visitor's input for zoo model ``name``, parsed in that model's form and capped."""
    form, _unused = natural_input(name)
    shapes = parse_inputs(form, text)
    return Choice("zoo", name, shapes[0], form, shapes[1:])


@st.cache_resource(show_spinner=False, max_entries=32)
def _report(kind: str, value: str, shapes: tuple, lang: str = "en"):
    """(report, None) or (None, the CnnscopeError): a bad input is not traced again on the next rerun
    either (detection models trace on the CPU, for seconds).  The key is everything the report depends
    on: the kind, the zoo name or spec text, the inputs (the spec limits are constants) and the language
    (diagnostics and errors are written in it)."""
    from cnnscope.analysis.analyze import analyze

    try:
        if kind == "file":  # at the file's own input (shapes is empty); the path holds the content's digest
            from cnnscope.app.upload_names import named_after_upload

            with named_after_upload(value):
                return analyze(value), None
        if kind == "zoo":
            return analyze(value, [list(s) for s in shapes]), None
        loaded = spec_model(value, shapes[0])
        return analyze(loaded.module, [shapes[0]], name=loaded.name), None
    except CnnscopeError as error:
        return None, error


def report(choice: Choice):
    """The cached ModelReport of the choice (same model and input: no second trace)."""
    if choice.kind == "file":
        return file_report(choice.value)
    with st.spinner(_("analysing {name}").format(name=choice.label)):
        result, error = _report(choice.kind, choice.value, choice.shapes, language())
    if error is not None:
        raise error.with_traceback(None)
    return result


def file_report(path: str):
    """The cached ModelReport of a saved upload (``app.model_file``), at the input it was exported with."""
    from pathlib import Path

    with st.spinner(_("analysing {name}").format(name=plain(Path(path).name))):
        result, error = _report("file", path, (), language())
    if error is not None:
        raise error.with_traceback(None)
    return result


def normalization(choice: Choice):
    """(mean, std) a zoo model's images are normalised with; (None, None) for specs and unknown ones."""
    if choice.kind != "zoo":
        return None, None
    from cnnscope.zoo import get_entry

    return get_entry(choice.value).normalization or (None, None)
