"""The input box: its text as shapes in the model's input form, within the app's caps.

Sizes are capped so that no visitor can ask the server for a huge allocation (the command line has
no such cap).  The analysis traces shapes only (the meta device): a batch of 1,000 costs what a batch
of 1 does, so the batch cap is high.  What the caps protect against is the few models that must be
traced with real tensors (a detector's data-dependent steps) and the pages that run the real model:
the input as a whole stays under MAX_INPUT_VALUES numbers (1 GiB in fp32).
"""

from __future__ import annotations

import math

import streamlit as st

from cnnscope.errors import UsageError
from cnnscope.i18n import N_, _

MAX_SIDE = 1024
MAX_CHANNELS = 64
MAX_BATCH = 1024
MAX_FRAMES = 64  # video clips: T of N,C,T,H,W
MAX_INPUT_VALUES = 2**28  # numbers in the whole input (N·C·H·W): 1 GiB as fp32
CAPS_HELP = N_("The app caps the input at batch {batch}, {channels} channels, {side} pixels a side and "
               "{values} numbers in all (N·C·H·W), so that no visitor can make the server allocate "
               "gigabytes: the analysis itself traces shapes only, so a large batch costs nothing, but a few models "
               "must run on real tensors.")

# How a model takes its input, as the sidebar asks for it (from the zoo entry's input format):
#   "image"     one N,C,H,W batch (tutorial, classification, segmentation, timm, specs)
#   "detection" a list of images: one 3,H,W image here (torchvision detection)
#   "video"     one N,C,T,H,W batch of clips (torchvision video)
#   "flow"      two N,C,H,W batches, the frames of a pair (torchvision optical flow)
INPUT_LABELS = {"image": N_("Input N,C,H,W"), "detection": N_("Input 3,H,W (one image)"),
                "video": N_("Input N,C,T,H,W"), "flow": N_("Input N,C,H,W;N,C,H,W (two frames)")}
INPUT_HELP = {"image": N_("N = batch, C = channels, H×W = height×width; three numbers are C,H,W and get a batch of 1."),
              "detection": N_("a detection model takes a list of images; here one C,H,W image (1,C,H,W reads as one)."),
              "video": N_("a batch of N clips of C channels and T frames of H×W (T up to {frames} here)."),
              "flow": N_("the two frames of a pair, joined with ';' (three numbers each are C,H,W).")}


def input_help(form: str) -> str:
    """The input box's help for ``form``, then the caps, in the visitor's language."""
    caps = _(CAPS_HELP).format(batch=f"{MAX_BATCH:,}", channels=MAX_CHANNELS, side=MAX_SIDE,
                               values=f"{MAX_INPUT_VALUES:,}")
    return _(INPUT_HELP[form]).format(frames=MAX_FRAMES) + " " + caps


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
            raise UsageError(_("this model takes one input: N,C,H,W (or C,H,W)"))
        return (check_shape(shapes[0]),)
    if form == "detection":
        if len(shapes) != 1 or len(shapes[0]) != 4 or shapes[0][0] != 1:
            raise UsageError(_("a detection model takes one image here: 3,H,W (or 1,3,H,W)"))
        return (check_shape(shapes[0])[1:],)
    if form == "video":
        if len(shapes) != 1 or len(shapes[0]) != 5:
            raise UsageError(_("a video model takes one batch of clips: N,C,T,H,W, e.g. 1,3,16,112,112"))
        n, c, t, h, w = shapes[0]
        if n > MAX_BATCH or c > MAX_CHANNELS or t > MAX_FRAMES or max(h, w) > MAX_SIDE:
            raise UsageError(_("video inputs are capped at batch {batch}, {channels} channels, {frames} frames and "
                               "{side} pixels a side in the app (the command line has no such cap)").format(
                batch=MAX_BATCH, channels=MAX_CHANNELS, frames=MAX_FRAMES, side=MAX_SIDE))
        return (_check_values(shapes[0]),)
    if form == "flow":
        if len(shapes) != 2 or any(len(s) != 4 for s in shapes):
            raise UsageError(_("an optical-flow model takes two frames: N,C,H,W;N,C,H,W (or C,H,W;C,H,W)"))
        return tuple(check_shape(s) for s in shapes)
    raise UsageError(_("unknown input form {form}").format(form=repr(form)))


def check_shape(shape: tuple) -> tuple:
    if len(shape) != 4:
        raise UsageError(_("the input is N,C,H,W (or C,H,W)"))
    n, c, h, w = shape
    if n > MAX_BATCH or c > MAX_CHANNELS or max(h, w) > MAX_SIDE:
        raise UsageError(_("inputs are capped at batch {batch}, {channels} channels and {side} pixels a side in the "
                           "app (the command line has no such cap)").format(
            batch=MAX_BATCH, channels=MAX_CHANNELS, side=MAX_SIDE))
    return _check_values(shape)


def _check_values(shape: tuple) -> tuple:
    """The whole input within MAX_INPUT_VALUES numbers; the message says the largest batch that fits."""
    values = math.prod(shape)
    if values > MAX_INPUT_VALUES:
        fits = MAX_INPUT_VALUES // math.prod(shape[1:])
        raise UsageError(_("this input holds {values} numbers; the app caps an input at {cap} (1 GiB as fp32): use "
                           "a batch of at most {fits} at this size (the command line has no such cap)").format(
            values=f"{values:,}", cap=f"{MAX_INPUT_VALUES:,}", fits=f"{fits:,}"))
    return shape


def parse_shape(text: str) -> tuple:
    """A spec's input box: one N,C,H,W (or C,H,W) within the caps."""
    from cnnscope.input_shapes import parse_input_shape

    return check_shape(tuple(parse_input_shape(text)[0]))
