"""What the pages share: the chosen model, cached analyses, and the app's safety limits.

Typed text is only ever parsed as a spec (YAML/JSON through safe_load, validated, never
evaluated); ``file.py:Name`` sources are not accepted here.  Sizes are capped so that no
visitor can ask the server for a huge allocation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import streamlit as st

from cnnscope.errors import CnnscopeError, UsageError, reworded
from cnnscope.spec.schema import Limits

MAX_SIDE = 1024
MAX_CHANNELS = 64
MAX_BATCH = 64
MAX_FRAMES = 64  # video clips: T of N,C,T,H,W
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


# How a model takes its input, as the sidebar asks for it (from the zoo entry's input format):
#   "image"     one N,C,H,W batch (tutorial, classification, segmentation, timm, specs)
#   "detection" a list of images: one 3,H,W image here (torchvision detection)
#   "video"     one N,C,T,H,W batch of clips (torchvision video)
#   "flow"      two N,C,H,W batches, the frames of a pair (torchvision optical flow)
INPUT_LABELS = {"image": "Input N,C,H,W", "detection": "Input 3,H,W (one image)", "video": "Input N,C,T,H,W",
                "flow": "Input N,C,H,W;N,C,H,W (two frames)"}
INPUT_HELP = {"image": "three numbers are C,H,W and get a batch of 1",
              "detection": "a detection model takes a list of images; here one C,H,W image (1,C,H,W reads as one)",
              "video": f"a batch of clips of T frames (T up to {MAX_FRAMES} here)",
              "flow": "the two frames of a pair, joined with ';' (three numbers each are C,H,W)"}
TAKES = {"detection": "is a detection model: it takes a list of 3×H×W images",
         "video": "takes N,C,T,H,W video clips", "flow": "takes a pair of N,C,H,W frames (optical flow)"}

# The sidebar's model list, in this order of the zoo's groups (then timm's names, when installed).
PICKER_GROUPS = ("tutorial", "torchvision", "segmentation", "detection", "video", "optical_flow")
GROUP_TAGS = {"tutorial": "tutorial", "segmentation": "segmentation", "detection": "detection", "video": "video",
              "optical_flow": "optical flow"}


# Streamlit draws headers, captions and alert boxes as Markdown: text a visitor chose (a spec's name, a
# link's ?model=, an upload's file name, an error quoting either) could otherwise carry links, remote
# images or colour directives into another visitor's page through a shared link.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&])")


def plain(text) -> str:
    """``text`` with every Markdown special character escaped: it shows exactly as written."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


@dataclass(frozen=True)
class Choice:
    """The model the visitor picked: a zoo name, or spec text, and its input."""

    kind: str  # "zoo" | "spec"
    value: str
    shape: tuple  # the first input: N,C,H,W; detection: C,H,W (one image); video: N,C,T,H,W
    form: str = "image"  # see INPUT_LABELS
    extra: tuple = ()  # further inputs (optical flow: the second frame)

    @property
    def label(self) -> str:
        return self.value if self.kind == "zoo" else _spec_name(self.value)

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
        return f"{plain(self.label)} {TAKES.get(self.form, 'takes ' + '×'.join(map(str, self.shape)) + ' inputs')}"


def _spec_name(text: str) -> str:
    try:
        return spec_from_text(text).name
    except CnnscopeError:
        return "spec"


def is_one_line_spec(text: str) -> bool:
    """``in1x28x28,c5-6p2,tanh,ap2,flat,fc10`` (the README's form): one line, no YAML mapping or JSON."""
    line = text.strip()
    return bool(line) and "\n" not in line and ":" not in line and not line.startswith(("{", "[", "-", "#"))


def spec_from_text(text: str):
    """The spec box's text (YAML, JSON or the one-line form) as a validated Spec, within the app's limits."""
    from cnnscope.spec.load import spec_text_to_spec

    if is_one_line_spec(text):
        from cnnscope.errors import SpecError
        from cnnscope.spec.compact import parse
        from cnnscope.spec.schema import validate

        data = parse(text.strip(), name="spec")
        if "input" not in data:
            raise SpecError("a one-line spec needs an input: start it with in<C>x<H>x<W>, e.g. in1x28x28,c5-6p2,...")
        return validate(data, APP_LIMITS)
    return spec_text_to_spec(text, APP_LIMITS)


@st.cache_data(show_spinner=False)
def zoo_names() -> dict[str, list[str]]:
    from cnnscope.zoo import list_entries

    groups: dict[str, list[str]] = {"tutorial": [], "torchvision": []}
    for entry in list_entries():
        groups.setdefault(entry.group, []).append(entry.name)
    return groups


@st.cache_data(show_spinner=False)
def picker_names() -> list[str]:
    """Every zoo name the app offers, grouped: tutorial, classification, segmentation, detection,
    video, optical flow, then ``timm:NAME`` when timm is installed."""
    groups = zoo_names()
    names = [name for group in PICKER_GROUPS for name in groups.get(group, [])]
    names += [name for group, members in groups.items() if group not in PICKER_GROUPS for name in members]
    return names + _timm_names()


def _timm_names() -> list[str]:
    """Every ``timm:NAME`` when timm is installed (from the cached name list), else none."""
    from cnnscope.zoo import prefix_entries
    from cnnscope.zoo.timm_models import installed

    return [entry.name for entry in prefix_entries("timm")] if installed() else []


@st.cache_data(show_spinner=False)
def _tags() -> dict[str, str]:
    return {name: GROUP_TAGS[group] for group, names in zoo_names().items() if group in GROUP_TAGS for name in names}


def picker_label(name: str) -> str:
    """``r3d_18 · video`` (classification and timm names as they are), so that typing a group finds it."""
    tag = _tags().get(name)
    return f"{name} · {tag}" if tag else name


@st.cache_data(show_spinner=False)
def natural_input(name: str) -> tuple[str, tuple]:
    """(input form, the input shapes ``analyze`` uses by default) of a zoo model."""
    from cnnscope.zoo import get_entry

    entry = get_entry(name)
    return _form(entry.input_format, entry.input_shape), tuple(tuple(s) for s in entry.natural_inputs())


def entry_group(name: str) -> str:
    from cnnscope.zoo import get_entry

    return get_entry(name).group


def _form(input_format: str, input_shape: tuple) -> str:
    if input_format == "image_list":
        return "detection"
    if input_format == "image_pair":
        return "flow"
    return "video" if len(input_shape) == 4 else "image"


def natural_choice(name: str) -> "Choice":
    form, shapes = natural_input(name)
    return Choice("zoo", name, shapes[0], form, shapes[1:])


def shape_text(shapes) -> str:
    """The input box's text: ``1,3,224,224``; ``3,320,320``; two joined with ``;``."""
    return ";".join(",".join(map(str, shape)) for shape in shapes)


def zoo_choice(name: str, text: str) -> "Choice":
    """The visitor's input for zoo model ``name``, parsed in that model's form and capped."""
    form, _ = natural_input(name)
    shapes = parse_inputs(form, text)
    return Choice("zoo", name, shapes[0], form, shapes[1:])


def parse_inputs(form: str, text: str) -> tuple:
    """The input box's text as shapes in ``form`` (see INPUT_LABELS), within the app's caps."""
    from cnnscope.input_shapes import parse_input_shape

    shapes = parse_input_shape(text)  # three numbers are C,H,W: a batch of 1 is added
    if form == "image":
        if len(shapes) != 1:
            raise UsageError("this model takes one input: N,C,H,W (or C,H,W)")
        return (check_shape(shapes[0]),)
    if form == "detection":
        if len(shapes) != 1 or len(shapes[0]) != 4 or shapes[0][0] != 1:
            raise UsageError("a detection model takes one image here: 3,H,W (or 1,3,H,W)")
        return (check_shape(shapes[0])[1:],)
    if form == "video":
        if len(shapes) != 1 or len(shapes[0]) != 5:
            raise UsageError("a video model takes one batch of clips: N,C,T,H,W, e.g. 1,3,16,112,112")
        n, c, t, h, w = shapes[0]
        if n > MAX_BATCH or c > MAX_CHANNELS or t > MAX_FRAMES or max(h, w) > MAX_SIDE:
            raise UsageError(f"video inputs are capped at batch {MAX_BATCH}, {MAX_CHANNELS} channels, {MAX_FRAMES} "
                             f"frames and {MAX_SIDE} pixels a side in the app (the command line has no such cap)")
        return (shapes[0],)
    if form == "flow":
        if len(shapes) != 2 or any(len(s) != 4 for s in shapes):
            raise UsageError("an optical-flow model takes two frames: N,C,H,W;N,C,H,W (or C,H,W;C,H,W)")
        return tuple(check_shape(s) for s in shapes)
    raise UsageError(f"unknown input form {form!r}")


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
    from cnnscope.spec.plan import make_plan

    spec = spec_from_text(text)
    if shape is not None:  # the sidebar's input (already capped by check_shape) overrides the spec's
        from dataclasses import replace

        spec = replace(spec, input=tuple(check_shape(tuple(shape))[1:]))
    return make_plan(spec)


@st.cache_resource(show_spinner=False, max_entries=32)
def _report(kind: str, value: str, shapes: tuple):
    """(report, None) or (None, the CnnscopeError): a bad input is not traced again on the next rerun
    either (detection models trace on the CPU, for seconds)."""
    from cnnscope.analysis.analyze import analyze

    try:
        if kind == "zoo":
            return analyze(value, [list(s) for s in shapes]), None
        from cnnscope.spec.build import build

        plan = spec_plan(value, shapes[0])
        return analyze(build(plan, device="meta"), [shapes[0]], name=plan.name), None
    except CnnscopeError as error:
        return None, error


def report(choice: Choice):
    """The cached ModelReport of the choice (same model and input: no second trace)."""
    with st.spinner(f"analysing {choice.label}"):
        result, error = _report(choice.kind, choice.value, choice.shapes)
    if error is not None:
        raise error.with_traceback(None)
    return result


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
    check_upload_size(upload)
    return _apply_weights(model, upload.name, upload.getvalue())


def check_upload_size(upload) -> None:
    if upload.size > MAX_UPLOAD_MB * 2**20:
        raise UsageError(f"{upload.name} is {upload.size / 2**20:.0f} MB; uploads are capped at {MAX_UPLOAD_MB} MB")


def _apply_weights(model, name: str, data: bytes) -> str:
    """Load the bytes of the uploaded file ``name``; messages name the upload, not the server's temporary file."""
    import tempfile
    from pathlib import Path

    from cnnscope.probes.weights import load_weights

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "weights.pt"
        path.write_bytes(data)
        try:
            load_weights(model, path, source=name)
        except CnnscopeError as error:
            message = str(error).replace(str(path), name).replace(folder, "")
            raise reworded(error, message).with_traceback(None) from None
    return f"uploaded {name}"


# -- the Filters & feature maps page: one model per (model, weights) and one picture per view --------------

BUILDS = {"count": 0}  # how many real models the page built (tests: a second click builds none)


def weights_key(upload) -> tuple | None:
    """(name, size, digest) of an uploaded weights file (size-capped first); None: random weights."""
    if upload is None:
        return None
    import hashlib

    check_upload_size(upload)
    data = upload.getvalue()
    return upload.name, len(data), hashlib.sha256(data).hexdigest()


def view_model(choice: Choice, upload=None):
    """(model, origin, lock): the model with real weights for the views, built once per (model, input,
    weights source) and kept (st.cache_resource).  ``lock`` serialises forward passes with hooks."""
    key = weights_key(upload)
    return _view_model(choice, key, upload.getvalue() if upload is not None else None)


@st.cache_resource(show_spinner="building the model with real weights", max_entries=4)
def _view_model(choice: Choice, key: tuple | None, _data: bytes | None):
    import threading

    BUILDS["count"] += 1
    model = real_model(choice)
    origin = "random initialisation (seed 0)"
    if key is not None:
        origin = _apply_weights(model, key[0], _data)
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)  # shared between sessions: the views only read it
    return model, origin, threading.Lock()


def image_key(image) -> str:
    """A digest of the picture's pixels: the same image gives the same cached feature maps."""
    import hashlib

    return hashlib.sha256(image.tobytes()).hexdigest()[:32] + f"{image.size}{image.mode}"
