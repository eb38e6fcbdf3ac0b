"""Explain a unit: pick a row and a channel, click a cell of its feature map, and see how that one number
was computed from the real inputs and weights (``cnnscope.probes.unit``), then follow it forward.

The model, weights and image are chosen as on the Filters & feature maps page (the same helpers).  Each
(model, weights, image, row) is run once and kept (``capture``); a click only redoes the unit's arithmetic
(``explain_captured``) and draws.
"""

from __future__ import annotations

import streamlit as st

from cnnscope.app import explain_figures as figures
from cnnscope.app import explain_panel as panel
from cnnscope.app import model_choice, pretrained, real_models
from cnnscope.app.pages.images import DIGIT_DATASETS, pick_image
from cnnscope.app.plain_text import plain
from cnnscope.errors import CnnscopeError
from cnnscope.i18n import N_, _

KEY = "explain"
AXES = {1: ("c",), 2: ("c", "x"), 3: ("c", "y", "x")}  # the unit's number boxes per output rank
LABELS = {"c": N_("C (channel)"), "y": N_("Y (row)"), "x": N_("X (column)")}
FOLLOWED_ROWS = 3  # how many rows "what the next rows make of it" explains before a weighted row


def render(choice) -> None:
    report = model_choice.report(choice)
    st.header(_("Explain a unit of {model}").format(model=plain(report.model)))
    if not choice.is_image:
        st.info(_("Explaining a unit needs one N,C,H,W image; {takes}. "
                  "`cnnscope explain` takes such a model's own input tensor.").format(takes=choice.takes()))
        return
    weights = pretrained.pick_weights(choice, KEY)
    if weights is None:  # pretrained weights chosen but not downloaded (yet)
        return
    sentence = weights_sentence(weights)
    if sentence:
        st.caption(sentence)
    image, label = pick_image(KEY, digit_first=weights.dataset in DIGIT_DATASETS)
    rows = explained_rows(report)
    if not rows:
        st.info(_("This model has no row with a tensor output to explain."))
        return
    layer = _pick_layer(rows)
    from cnnscope.app.pages.visuals import model_inputs  # the input exactly as the feature maps page makes it

    inputs, resized = model_inputs(choice, image, weights.normalization)
    context = {"choice": choice, "weights": weights, "image_key": real_models.image_key(image), "inputs": inputs}
    try:
        captured = captured_row(context, layer)
    except CnnscopeError as error:
        st.error(plain(error))
        return
    output = captured.output.detach()[0].double().cpu().numpy()
    names = _class_names(output, weights)
    unit = _pick_unit(output.shape, layer, names)
    if unit is None:
        return
    from cnnscope.probes.unit import explain_captured

    try:
        e = explain_captured(captured, unit, top=panel.ALL_NUMBERS, names=names)
    except CnnscopeError as error:  # a unit outside the map, typed into the number boxes: the map, and why
        _draw_map(output, None, layer, label, weights.origin, names)
        st.error(plain(str(error).replace("--unit ", "unit ")))
        return
    left, right = st.columns(2)  # stacked on a phone
    with left:
        _draw_map(output, unit, layer, label, weights.origin, names)
    with right:
        panel.show_numbers(e)
        panel.show_formula(e)
    panel.show_arithmetic(e, resized, KEY)
    _next_rows(context, captured, e, names)


def weights_sentence(weights) -> str:
    if weights.key == "random":
        return _("weights: {origin}: the numbers are real arithmetic on untrained weights "
                 "(train the model on the Train page, or upload weights, to explain what it learned)").format(
            origin=weights.origin)
    if isinstance(weights.key, tuple) and weights.key[:1] == ("trained",):
        return ""  # the weights picker above already says which run and epoch
    return _("weights: {origin}").format(origin=plain(weights.origin))


def explained_rows(report) -> list[tuple[str, tuple, str, str]]:
    """(name, output shape without the batch axis, type, op kind) of every row with one tensor output:
    spatial rows (C×H×W) first in model order, then the others (C×L, then vectors)."""
    found = []
    for row in report.layers:
        shape = row.output_shape
        if not row.name or not shape or not all(isinstance(n, int) for n in shape) or len(shape) not in (2, 3, 4):
            continue
        found.append((row.name, tuple(shape[1:]), row.type, row.op_kind))
    return sorted(found, key=lambda r: -len(r[1]))  # stable: model order within each rank


def _pick_layer(rows) -> str:
    names = [row[0] for row in rows]
    shapes = {row[0]: row[1] for row in rows}
    types = {row[0]: row[2] for row in rows}
    changed = st.session_state.get(f"{KEY}_shapes") != shapes  # another model or input (or the first visit)
    st.session_state[f"{KEY}_shapes"] = shapes
    if st.session_state.get(f"{KEY}_layer") not in names:  # a new model: its first convolution
        st.session_state[f"{KEY}_layer"] = next((row[0] for row in rows if row[3] == "conv"), names[0])
        changed = True
    if changed:  # the steps back belong to the other model; the unit moves inside this one's map
        st.session_state[f"{KEY}_history"] = []
        _fit_unit()
    return st.selectbox(_("Layer (rows with a spatial output first)"), names, key=f"{KEY}_layer", on_change=_fit_unit,
                        format_func=lambda n: f"{n} · {types[n]} · {'×'.join(map(str, shapes[n]))}")


def _fit_unit() -> None:
    """After a change of row: keep the unit's numbers inside the new row's output."""
    shape = st.session_state.get(f"{KEY}_shapes", {}).get(st.session_state.get(f"{KEY}_layer"))
    if shape is None:
        return
    for axis, size in zip(AXES[len(shape)], shape):
        st.session_state[f"{KEY}_{axis}"] = min(int(st.session_state.get(f"{KEY}_{axis}", size // 2)), size - 1)


def _pick_unit(shape: tuple, layer: str, names) -> tuple[int, ...] | None:
    """The unit's number boxes (C, Y, X; C, X; or one output), kept in step with clicks on the map."""
    axes = AXES.get(len(shape))
    if axes is None:
        st.info(_("{layer}'s output is {shape}: the page draws 1-D and 2-D maps; "
                  "`cnnscope explain` takes any unit.").format(layer=layer, shape="×".join(map(str, shape))))
        return None
    for axis in axes:
        st.session_state.setdefault(f"{KEY}_{axis}", 0)
    boxes = st.columns(len(axes))
    unit = []
    for box, axis, size in zip(boxes, axes, shape):
        label = _(LABELS[axis]) if len(shape) > 1 else (_("output (class)") if names else _("output"))
        with box:
            unit.append(int(st.number_input(_("{label}, 0..{last}").format(label=label, last=size - 1), min_value=0, step=1, key=f"{KEY}_{axis}")))
    return tuple(unit)


def _clicked_cell() -> None:
    """A click on the feature map: the clicked cell's row and column become the unit's Y and X."""
    points = _points(f"{KEY}_map")
    if points:
        st.session_state[f"{KEY}_y"] = int(round(points[0]["y"]))
        st.session_state[f"{KEY}_x"] = int(round(points[0]["x"]))


def _clicked_bar() -> None:
    points = _points(f"{KEY}_bars")
    if points:
        st.session_state[f"{KEY}_c"] = int(round(points[0]["x"]))


def _clicked_row() -> None:
    """A click on a C×L map (channels down, positions across)."""
    points = _points(f"{KEY}_map")
    if points:
        st.session_state[f"{KEY}_c"] = int(round(points[0]["y"]))
        st.session_state[f"{KEY}_x"] = int(round(points[0]["x"]))


def _points(key: str) -> list:
    event = st.session_state.get(key)
    try:
        return list(event["selection"]["points"]) if event else []
    except (KeyError, TypeError):
        return []


def _draw_map(output, unit, layer: str, label: str, origin: str, names) -> None:
    if output.ndim == 3:
        channel = min(unit[0], output.shape[0] - 1) if unit else int(st.session_state.get(f"{KEY}_c", 0))
        channel = min(channel, output.shape[0] - 1)
        figure = figures.feature_map(output[channel], _("layer {layer}, channel {channel}: click a cell").format(
                                         layer=layer, channel=channel),
                                     unit[1:] if unit else None)
        st.plotly_chart(figure, key=f"{KEY}_map", on_select=_clicked_cell, selection_mode=("points",), width="stretch",
                        config=figures.CONFIG)
    elif output.ndim == 2:
        figure = figures.feature_map(output, _("layer {layer}: click a cell").format(layer=layer), unit, _("X (position)"),
                                     _("C (channel)"))
        st.plotly_chart(figure, key=f"{KEY}_map", on_select=_clicked_row, selection_mode=("points",), width="stretch",
                        config=figures.CONFIG)
    else:
        figure = figures.value_bars(output, _("layer {layer}: click a bar").format(layer=layer), unit[0] if unit else None,
                                    names)
        st.plotly_chart(figure, key=f"{KEY}_bars", on_select=_clicked_bar, selection_mode=("points",), width="stretch",
                        config=figures.CONFIG)
    st.caption(_("Layer {layer}'s output {shape} for {image}; weights: {origin}. Click a cell (or type its numbers "
                 "above) to explain that unit.").format(layer=plain(layer), shape="×".join(map(str, output.shape)),
                                                         image=plain(label), origin=plain(origin)))


def _class_names(output, weights):
    """Class names for a vector that may be the logits (the weights' categories or the training data set)."""
    if output.ndim != 1:
        return None
    from cnnscope.probes.prediction import class_names

    names = class_names(len(output), weights.classes, weights.dataset)
    return None if names[0] in ("class 0", _("class {k}").format(k=0)) else names


@st.cache_resource(show_spinner=False, max_entries=24)  # the spinner is the caller's, in the visitor's language
def _captured(choice, weights_key, image_key: str, layer: str, *, _model, _inputs, _lock):
    """One traced forward pass per (model, weights, image, row), kept: clicks reuse it."""
    from cnnscope.probes.unit import capture

    with _lock:
        return capture(_model, _inputs, layer)


def captured_row(context: dict, layer: str):
    weights = context["weights"]
    with st.spinner(_("running the model once for this row")):
        return _captured(context["choice"], weights.key, context["image_key"], layer, _model=weights.model,
                         _inputs=context["inputs"], _lock=weights.lock)


def _next_rows(context: dict, captured, e, names) -> None:
    """What the next rows make of this value (element-wise rows and pools, explained in turn), and the
    steps forward and back."""
    from cnnscope.app.explain_chain import next_rows
    from cnnscope.probes.unit.forward import consumer

    st.subheader(_("What the next rows make of it"))
    weights = context["weights"]
    chain = next_rows(weights.model, context["inputs"], captured, e.unit, lambda name: captured_row(context, name),
                      names, FOLLOWED_ROWS, weights.lock)
    for step in chain.steps:
        st.markdown(_("**{layer}** ({kind}, {op}): unit {unit} = {value}").format(
            layer=plain(step.layer), kind=panel.kind_name(step.kind), op=step.op, unit=panel.unit_text(step.unit),
            value=panel.number(step.value)))
        st.code("\n".join(step.formula), language=None, wrap_lines=True)
        st.caption(panel.legend(step))
    if chain.stop is not None:
        st.caption(_("Then {layer} ({type}) mixes it with other units: "
                     "“Follow forward” goes to its most active unit that reads this position.").format(
            layer=plain(chain.stop.name), type=chain.stop.type))
    elif chain.end:
        st.caption(_("…and that is the model's output.") if chain.steps else
                   _("This is the model's last row: its value is the model's output."))
    history = st.session_state.setdefault(f"{KEY}_history", [])
    back, forward = st.columns(2)
    back.button(_("← Back"), key=f"{KEY}_back", disabled=not history, on_click=_back,
                help=_("to the unit you followed forward from"))
    forward.button(_("Follow forward →"), key=f"{KEY}_follow", disabled=consumer(captured) is None, on_click=_follow,
                   args=(weights.model, context["inputs"], captured, e.unit, lambda name: captured_row(context, name)),
                   help=_("explain the unit of the next row that this value goes on to"))


def _go(layer: str, unit) -> None:
    st.session_state[f"{KEY}_layer"] = layer
    shape = st.session_state.get(f"{KEY}_shapes", {}).get(layer, ())
    for axis, value in zip(AXES.get(len(shape), ()), unit):
        st.session_state[f"{KEY}_{axis}"] = int(value)


def _follow(model, inputs, captured, unit, capture) -> None:
    from cnnscope.probes.unit import follow

    # No lock here: the only forward pass follow may need (a conv or linear row next) goes through the
    # page's cache, which takes the model's lock itself, and the capture is then ready for the next visit.
    target = follow(model, inputs, captured, unit, capture=capture)
    if target is None or target[0] not in st.session_state.get(f"{KEY}_shapes", {}):
        return
    st.session_state.setdefault(f"{KEY}_history", []).append((captured.layer, tuple(unit)))
    _go(*target)


def _back() -> None:
    history = st.session_state.get(f"{KEY}_history")
    if history:
        _go(*history.pop())
