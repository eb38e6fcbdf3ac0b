"""The input box: its text as shapes in the model's input form, within the app's caps.

Sizes are capped so that no visitor can ask the server for a huge allocation (the command line has
no such cap).
"""

from __future__ import annotations

import streamlit as st

from cnnscope.errors import UsageError

MAX_SIDE = 1024
MAX_CHANNELS = 64
MAX_BATCH = 64
MAX_FRAMES = 64  # video clips: T of N,C,T,H,W

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


@st.cache_data(show_spinner=False)
def natural_input(name: str) -> tuple[str, tuple]:
    """(input form, the input shapes ``analyze`` uses by default) of a zoo model."""
    from cnnscope.zoo import get_entry

    entry = get_entry(name)
    return _form(entry.input_format, entry.input_shape), tuple(tuple(s) for s in entry.natural_inputs())


def _form(input_format: str, input_shape: tuple) -> str:
    if input_format == "image_list":
        return "detection"
    if input_format == "image_pair":
        return "flow"
    return "video" if len(input_shape) == 4 else "image"


def shape_text(shapes) -> str:
    """The input box's text: ``1,3,224,224``; ``3,320,320``; two joined with ``;``."""
    return ";".join(",".join(map(str, shape)) for shape in shapes)


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
    """A spec's input box: one N,C,H,W (or C,H,W) within the caps."""
    from cnnscope.input_shapes import parse_input_shape

    return check_shape(tuple(parse_input_shape(text)[0]))
