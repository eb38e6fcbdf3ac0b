"""Filters and feature maps of the chosen model, on random, pretrained, uploaded or trained weights, with
the input image and the model's top-5 prediction beside the maps."""

from __future__ import annotations

import streamlit as st

from cnnscope.app import model_choice, plain_text, pretrained, real_models
from cnnscope.app.pages.images import DIGIT_DATASETS, pick_image
from cnnscope.i18n import _, language
from cnnscope.probes.prediction import class_names


APP_FILTERS, APP_GREY_FILTERS = 64, 16  # how many filters the page draws: a phone scrolls, not forever
TOP_CLASSES = 5


def render(choice) -> None:
    from cnnscope.probes.activations import drawable_convs

    report = model_choice.report(choice)
    st.header(_("Filters and feature maps of {model}").format(model=plain_text.plain(report.model)))
    # built once per (model, input, weights source) and kept: a click on this page builds nothing
    weights = pretrained.pick_weights(choice, "vis")
    if weights is None:  # pretrained weights chosen but not downloaded (yet)
        return
    model, origin, lock = weights.model, weights.origin, weights.lock
    convs = drawable_convs(model)
    maps_reason = _why_no_maps(choice)
    if maps_reason and not convs:  # nothing to draw on this page (video: 3-D kernels, one N,C,T,H,W input)
        text = (_("Filters and feature maps need an N,C,H,W image model with 1-D or 2-D convolutions; {takes} (its "
                  "convolutions have 3-D kernels). The Summary page lists every layer's output shape.")
                if _has_convs(model) else
                _("Filters and feature maps need an N,C,H,W image model with 1-D or 2-D convolutions; {takes}. The "
                  "Summary page lists every layer's output shape."))
        st.info(text.format(takes=choice.takes()))
        return
    filters_tab, maps_tab = st.tabs([_("Filters"), _("Feature maps")])
    with filters_tab:
        if not convs:
            st.info(_("Filters are drawn for 1-D and 2-D convolutions; this model's have 3-D kernels.")
                    if _has_convs(model) else _("This model has no convolution layer."))
        else:
            from cnnscope.probes.activations import conv_weight
            from cnnscope.vis.filters import filter_grid

            layer = st.selectbox(_("Conv layer"), convs, key="filters_layer")
            shared = st.checkbox(_("One shared scale"), key="filters_shared",
                                 help=_("on: one colour scale for every filter, so strong and weak filters can be "
                                        "compared; off: each filter stretched from its own lowest to highest weight"))
            name, weight = conv_weight(model, layer)
            out, inp, kh, kw = weight.shape
            cap = APP_FILTERS if inp in (1, 3) else APP_GREY_FILTERS
            title = _("{layer} · {n} filters {kh}×{kw}×{inp} · weights: {origin}").format(
                layer=name, n=out, kh=kh, kw=kw, inp=inp, origin=origin)
            st.image(filter_grid(weight, title, shared,
                                 max_filters=cap))
    with maps_tab:
        if maps_reason:
            st.info(maps_reason)
            return
        names = [r.name for r in report.layers if r.name]
        default = names.index(convs[0]) if convs and convs[0] in names else 0
        layer = st.selectbox(_("Layer (any row, functional ones included)"), names, index=default, key="maps_layer")
        top = st.slider(_("Most active channels"), 1, 64, 16, key="maps_top")
        image, label = pick_image("maps", digit_first=weights.dataset in DIGIT_DATASETS)
        key = real_models.image_key(image)
        with st.spinner(_("running the model on the image")):
            seen, logits = _prediction(choice, weights.key, key, _model=model, _image=image, _lock=lock,
                                       _normalization=weights.normalization)
        classes = tuple(class_names(len(logits), weights.classes, weights.dataset)) if logits is not None else None
        left, right = st.columns([1, 2])
        with left:
            channels, height, width = choice.shape[-3:]
            caption = (_("the input as the model sees it: {width}×{height}, grey") if channels == 1 else
                       _("the input as the model sees it: {width}×{height}")).format(width=width, height=height)
            st.image(seen, caption=caption, width=min(224, max(112, width)))
            show_prediction(logits, classes, weights.key)
        with right:
            with st.spinner(_("computing the feature maps")):
                picture = _feature_picture(choice, weights.key, layer, key, label, top, origin, output_names=classes,
                                           lang=language(), _model=model, _image=image, _lock=lock, _logits=logits,
                                           _normalization=weights.normalization)
            st.image(picture)


def show_prediction(logits, classes, weights_key) -> None:
    """The top-5 classes with their softmax probabilities, or why there are none."""
    if logits is None:
        st.caption(_("No class prediction: this model's output is not one score per class."))
        return
    from cnnscope.probes.prediction import top_k

    guesses = top_k(logits, TOP_CLASSES, classes)
    lines = [f"{n}. **{plain_text.plain(g.name)}** — {g.probability * 100:.1f} %" for n, g in enumerate(guesses, 1)]
    st.markdown(_("**Prediction** (top 5)") + "\n\n" + "\n".join(lines),
                help=_("softmax of the model's output for this image: exp(z_k) / Σ exp(z_j) over all {n} classes; "
                       "the percentages of every class add up to 100").format(n=len(logits)))
    if weights_key == "random":
        st.caption(_("Random weights: these probabilities are noise, not knowledge."))


def model_inputs(choice, image, normalization: tuple | None = None):
    """(the model's input tensor for ``image``, the resized picture it was made from).  ``normalization``:
    the (mean, std) a Train page run fed its model with, which its weights expect; else the zoo's."""
    from cnnscope.vis.images import to_input

    channels, height, width = choice.shape[-3:]  # detection: one C,H,W image, fed as a batch of 1
    mean, std = normalization or model_choice.normalization(choice)
    if choice.form == "detection":
        mean, std = None, None  # the model's own transform normalises (and resizes) the image
    return to_input(image, channels, (height, width), mean, std)


@st.cache_resource(show_spinner=False, max_entries=64)  # the spinner is the caller's, in the visitor's language
def _prediction(choice, weights, image_key: str, *, _model, _image, _lock, _normalization=None):
    """(the picture as the model sees it, the first image's logits or None): one full forward pass per
    (model, weights, image)."""
    import torch

    from cnnscope.probes.prediction import class_logits

    inputs, resized = model_inputs(choice, _image, _normalization)  # keyed by ``weights``, which fix it
    seen = resized.convert("L") if choice.shape[-3] == 1 else resized
    if not choice.is_image:
        return seen, None
    with _lock, torch.no_grad():
        output = _model(inputs)
    return seen, class_logits(output)


@st.cache_resource(show_spinner=False, max_entries=64)
def _feature_picture(choice, weights, layer: str, image_key: str, label: str, top: int, origin: str,
                     output_names: tuple | None = None, lang: str = "", *, _model, _image, _lock, _logits=None,
                     _normalization=None):
    """The feature-map grid of one (model, weights, layer, image, top, language): computed once, then shown again.
    A 1-D output is a bar chart, labelled with ``output_names`` when it is the model's output itself."""
    import numpy as np
    import torch

    from cnnscope.probes.activations import capture
    from cnnscope.vis import feature_maps

    inputs = model_inputs(choice, _image, _normalization)[0]
    with _lock, torch.no_grad():
        activation = first_output(_model, inputs, layer) if choice.is_image else None
        if activation is None:  # a functional row, a detection model ...: the traced pass
            activation = capture(_model, inputs, layer)[0]
    shape = "×".join(map(str, activation.shape))
    title = _("{layer} · {shape} · {image} · weights: {origin}").format(layer=layer, shape=shape, image=label,
                                                                         origin=origin)
    if activation.ndim == 1:
        is_output = _logits is not None and activation.shape == _logits.shape and np.allclose(activation, _logits,
                                                                                                atol=1e-5)
        return feature_maps.value_bars(activation, title, names=output_names if is_output else None, top=top)
    return feature_maps.feature_grid(activation, title, top=top)


class _Stop(Exception):
    """Raised by the hook once the layer's output is in hand: the rest of the network need not run."""


def first_output(model, inputs, layer: str):
    """The first output of the module called ``layer`` for the first image, as numpy, from a plain
    forward pass that stops right after that module (vgg16's first conv: milliseconds, not a whole
    traced pass); None when ``layer`` is not a module or gave no tensor (the caller traces instead)."""
    import torch

    module = dict(model.named_modules()).get(layer) if layer else None
    if module is None:
        return None
    seen = {}

    def hook(_module, _inputs, output):
        if torch.is_tensor(output):
            seen["output"] = output
            raise _Stop

    handle = module.register_forward_hook(hook)
    try:
        model(inputs)
    except _Stop:
        pass
    finally:
        handle.remove()
    output = seen.get("output")
    return None if output is None else output[0].detach().float().cpu().numpy()


def _why_no_maps(choice) -> str | None:
    """Feature maps are drawn for one image: N,C,H,W models, and detection models (one C,H,W image)."""
    if choice.is_image or choice.form == "detection":
        return None
    return _("Feature maps need one N,C,H,W image; {takes}.").format(takes=choice.takes())


def _has_convs(model) -> bool:
    from cnnscope.analysis import ops

    return any(ops.is_conv_module(m) for m in model.modules())
