"""Filters and feature maps of the chosen model, on random or uploaded weights."""

from __future__ import annotations

import streamlit as st

from cnnscope.app import model_choice, plain_text, real_models
from cnnscope.app.pages.images import pick_image


def render(choice) -> None:
    from cnnscope.probes.activations import drawable_convs

    report = model_choice.report(choice)
    st.header(f"Filters and feature maps of {plain_text.plain(report.model)}")
    upload = st.file_uploader("Weights (.pt state_dict or cnnscope checkpoint; loaded with weights_only=True)",
                              type=["pt", "pth"], key="vis_weights")
    # built once per (model, input, weights source) and kept: a click on this page builds nothing
    model, origin, lock = real_models.view_model(choice, upload)
    weights = real_models.weights_key(upload) or "random"
    convs = drawable_convs(model)
    maps_reason = _why_no_maps(choice)
    if maps_reason and not convs:  # nothing to draw on this page (video: 3-D kernels, one N,C,T,H,W input)
        kernels = " (its convolutions have 3-D kernels)" if _has_convs(model) else ""
        st.info(f"Filters and feature maps need an N,C,H,W image model with 1-D or 2-D convolutions; "
                f"{choice.takes()}{kernels}. The Summary page lists every layer's output shape.")
        return
    trained = st.session_state.get("trained_model")
    if trained is not None and trained[0] == choice and st.checkbox("Use the model trained on the Train page",
                                                                       value=True, key="vis_trained"):
        import threading
        import uuid

        model, origin = trained[1], "trained on the Train page"
        if not hasattr(model, "_cnnscope_view_token"):  # this run's model, not one that reused its id()
            model._cnnscope_view_token = uuid.uuid4().hex
        weights = ("trained", model._cnnscope_view_token)
        lock = st.session_state.setdefault("vis_trained_lock", threading.Lock())
        model.eval()
        convs = drawable_convs(model)
    filters_tab, maps_tab = st.tabs(["Filters", "Feature maps"])
    with filters_tab:
        if not convs:
            st.info("Filters are drawn for 1-D and 2-D convolutions; this model's have 3-D kernels."
                    if _has_convs(model) else "This model has no convolution layer.")
        else:
            from cnnscope.probes.activations import conv_weight
            from cnnscope.vis.filters import filter_grid

            layer = st.selectbox("Conv layer", convs, key="filters_layer")
            shared = st.checkbox("One shared scale", key="filters_shared")
            name, weight = conv_weight(model, layer)
            out, inp, kh, kw = weight.shape
            st.image(filter_grid(weight, f"{name} · {out} filters {kh}×{kw}×{inp} · weights: {origin}", shared))
    with maps_tab:
        if maps_reason:
            st.info(maps_reason)
            return
        names = [r.name for r in report.layers if r.name]
        default = names.index(convs[0]) if convs and convs[0] in names else 0
        layer = st.selectbox("Layer (any row, functional ones included)", names, index=default, key="maps_layer")
        top = st.slider("Most active channels", 1, 64, 16, key="maps_top")
        image, label = pick_image("maps")
        picture = _feature_picture(choice, weights, layer, real_models.image_key(image), label, top, origin,
                                   _model=model, _image=image, _lock=lock)
        st.image(picture)


@st.cache_resource(show_spinner="computing the feature maps", max_entries=64)
def _feature_picture(choice, weights, layer: str, image_key: str, label: str, top: int, origin: str, *,
                     _model, _image, _lock):
    """The feature-map grid of one (model, weights, layer, image, top): computed once, then shown again."""
    import torch

    from cnnscope.probes.activations import capture
    from cnnscope.vis.feature_maps import feature_grid
    from cnnscope.vis.images import to_input

    channels, height, width = choice.shape[-3:]  # detection: one C,H,W image, fed as a batch of 1
    mean, std = model_choice.normalization(choice)
    if choice.form == "detection":
        mean, std = None, None  # the model's own transform normalises (and resizes) the image
    inputs, _ = to_input(_image, channels, (height, width), mean, std)
    with _lock, torch.no_grad():
        activation = first_output(_model, inputs, layer) if choice.is_image else None
        if activation is None:  # a functional row, a detection model ...: the traced pass
            activation = capture(_model, inputs, layer)[0]
    shape = "×".join(map(str, activation.shape))
    return feature_grid(activation, f"{layer} · {shape} · {label} · weights: {origin}", top=top)


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
    return f"Feature maps need one N,C,H,W image; {choice.takes()}."


def _has_convs(model) -> bool:
    from cnnscope.analysis import ops

    return any(ops.is_conv_module(m) for m in model.modules())
