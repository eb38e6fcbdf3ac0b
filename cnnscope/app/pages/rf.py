"""Receptive field: the recurrence table, and one unit's field on an image, theoretical beside effective."""

from __future__ import annotations

import streamlit as st

from cnnscope import units
from cnnscope.app import model_choice, plain_text, pretrained, real_models, responsive
from cnnscope.app.pages.images import DIGIT_DATASETS, pick_image
from cnnscope.i18n import N_, _, language, ngettext


def render(choice) -> None:
    from cnnscope.export import rf_table
    from cnnscope.studies.explain import RF_FORMULA, RF_LEGEND

    report = model_choice.report(choice)
    st.header(_("Receptive fields of {model}").format(model=plain_text.plain(report.model)))
    responsive.style()
    every = rf_table.rf_rows(report)
    shown, before, after = rf_table.focus(every)
    hidden = len(before) + len(after)
    rows = every if hidden and st.checkbox(_("Show every row ({hidden} hidden)").format(hidden=hidden), key="rf_every",
                                           help=hidden_text(before, after)) else shown
    if hidden and rows is shown:
        st.caption(plain_text.plain(hidden_text(before, after)))
    columns = table_columns(rf_table.COLUMNS)
    cells = [dict(zip(columns, rf_table.cells(r))) for r in rows]
    help = dict(zip(columns, (_(rf_table.HELP[c]) for c in rf_table.COLUMNS)))
    recurrence = table_columns(("Recurrence",))[0]
    wide, narrow = responsive.wide_and_narrow("rf")
    # the recurrence's working is too long for a table cell: the table leaves it out and the block below
    # shows every row's in full, wrapped
    with wide:
        st.dataframe([{k: v for k, v in row.items() if k != recurrence} for row in cells], hide_index=True,
                     width="stretch", height=min(38 * (len(rows) + 1), 420),
                     column_config={c: st.column_config.Column(help=help[c]) for c in columns if c != recurrence})
    with narrow:
        keys = table_columns(NARROW_COLUMNS)
        st.html(responsive.compact_html(cells, keys, help, tuple(keys[1:])))
        st.caption(_("A narrow screen shows the key columns; a wider window shows kernel, stride, padding and "
                     "dilation too."))
    st.caption(_("Size, jump and start are in input pixels: the field's side, the step between neighbouring units' "
                 "fields, and where the first unit's field begins (its top or left edge; negative where it "
                 "reaches into the padding)."))
    with st.expander(_("Recurrence, row by row"), expanded=len(rows) <= 40):
        st.caption(plain_text.plain(_(RF_LEGEND)))
        st.code(_(RF_FORMULA) + "\n\n" + recurrence_text(cells), language=None, wrap_lines=True)
    if not choice.is_image:
        st.info(_("The field on a photo needs an N,C,H,W image model; {takes}. The table above is its "
                  "receptive field, row by row.").format(takes=choice.takes()))
        return
    local = list(dict.fromkeys(r.name for r in report.layers if r.name and r.rf and not r.rf.is_global))
    if not local:
        st.info(_("No layer of this model has a local receptive field."))
        return
    st.subheader(_("One unit on an image"))
    # the Filters page's weights choice (random seed 0, pretrained, a file, a Train run): the effective field
    # is a gradient through these weights; each model is built once and shared (read-only, eval mode)
    weights = pretrained.pick_weights(choice, "rf")
    if weights is None:  # pretrained weights chosen but not downloaded (yet)
        return
    default = last_convolution(report) or report.last_feature_map().name
    view = (report.model, units.shape(report.input_shape))
    if st.session_state.get("rf_layer_view") != view or st.session_state.get("rf_layer") not in local:
        st.session_state["rf_layer"] = default  # a new model or input opens on its last convolution
        st.session_state["rf_layer_view"] = view
    left, right = st.columns([1, 2])
    with left:
        layer = st.selectbox(_("Layer"), local, key="rf_layer",
                             help=_("the row whose unit is traced; it opens on the last convolution"))
        row = report.layer(layer)
        grid = row.output_shape[2:] if isinstance(row.output_shape[0], int) else row.output_shape[0][2:]
        centre = ((grid[0] - 1) // 2, (grid[-1] - 1) // 2)
        unit_view = (*view, layer, tuple(grid))
        if st.session_state.get("rf_unit_view") != unit_view or "rf_y" not in st.session_state \
                or "rf_x" not in st.session_state:
            # another layer (or model): the unit starts again at the centre of its map
            st.session_state["rf_y"], st.session_state["rf_x"] = centre
            st.session_state["rf_unit_view"] = unit_view
        y = st.number_input(_("Unit row"), 0, grid[0] - 1, key="rf_y",
                            help=ngettext("0 to {last}: the map is {n} row", "0 to {last}: the map is {n} rows",
                                          grid[0]).format(last=grid[0] - 1, n=grid[0]))
        x = st.number_input(_("Unit column"), 0, grid[-1] - 1, key="rf_x",
                            help=ngettext("0 to {last}: the map is {n} column", "0 to {last}: the map is {n} columns",
                                          grid[-1]).format(last=grid[-1] - 1, n=grid[-1]))
        st.caption(plain_text.plain(_("{layer}: map {grid}, unit ({y}, {x})").format(
            layer=layer, grid="×".join(map(str, grid)), y=int(y), x=int(x))))
        image, label = pick_image("rf", digit_first=weights.dataset in DIGIT_DATASETS)
        note = squash_note(image.size, choice.shape[-2:])
        if note:
            st.caption(note)
        effective = st.checkbox(_("Effective field"), value=True, key="rf_erf",
                                help=_("the gradient of the unit with respect to the input, through the weights "
                                       "chosen above, and the squares that hold 50/90/99 % of it"))
    with right:
        model, origin, lock = weights.model, weights.origin, weights.lock
        with st.spinner(_("tracing the unit's field")):
            picture, line = _unit_picture(choice, layer, (int(y), int(x)), real_models.image_key(image), effective,
                                          origin, weights.key, language(), _report=report, _model=model, _image=image,
                                          _lock=lock)
        st.image(picture, caption=_("{image} — {field} · weights: {origin}").format(image=label, field=line,
                                                                                   origin=origin))


IN_PIXELS = ("Size", "Jump", "Start")
# the headers with their unit, as the page shows them (rf_table.COLUMNS's English names are the keys)
PIXEL_HEADERS = {"Size": N_("Size (input pixels)"), "Jump": N_("Jump (input pixels)"),
                 "Start": N_("Start (input pixels)")}
NARROW_COLUMNS = ("Layer", "Size", "Jump", "Start")  # a phone's columns, by priority


def last_convolution(report) -> str | None:
    """The name of the last convolution whose field is still local (where a CNN's features are read, before
    global pooling), or None when the model has none."""
    rows = [r for r in report.layers if r.name and r.op_kind in ("conv", "transposed_conv")
            and r.rf is not None and not r.rf.is_global]
    return rows[-1].name if rows else None


def hidden_text(before, after) -> str:
    """What the focused table leaves out, and why (rf_table.focus)."""
    parts = []
    if before:
        parts.append(ngettext("{n} row before the first convolution or pooling (the input's preparation: "
                              "{first} … {last})",
                              "{n} rows before the first convolution or pooling (the input's preparation: "
                              "{first} … {last})", len(before)).format(
            n=len(before), first=before[0].name or before[0].type, last=before[-1].name or before[-1].type))
    if after:
        parts.append(ngettext("{n} row from {first} on, where the receptive field is no longer tracked (the Summary "
                              "page's Diagnostics tab says why)",
                              "{n} rows from {first} on, where the receptive field is no longer tracked (the Summary "
                              "page's Diagnostics tab says why)", len(after)).format(
            n=len(after), first=after[0].name or after[0].type))
    # Translators: {parts} is one or two of the row counts above, joined with "; "
    return _("Hidden: {parts}. Tick Show every row to list them.").format(parts=_("; ").join(parts)) if parts else ""


def table_columns(columns) -> list[str]:
    """The rf table's headers in the visitor's language, with the unit on Size, Jump and Start:
    ``Size (input pixels)``."""
    return [_(PIXEL_HEADERS[c]) if c in PIXEL_HEADERS else _(c) for c in columns]


def recurrence_text(cells: list[dict]) -> str:
    """``layer (Type): r = 14 + (2−1)·1·2 = 16, ...`` for every row that has a recurrence."""
    layer, kind, recurrence = table_columns(("Layer", "Type", "Recurrence"))
    width = max((len(row[layer]) for row in cells), default=0)
    return "\n".join(f"{row[layer]:<{width}}  {row[kind]}: {row[recurrence]}" for row in cells
                     if row.get(recurrence)) or _("no row has a recurrence")


def squash_note(image_size, input_size) -> str | None:
    """A note when the picture's shape differs from the model's input, which stretches it."""
    width, height = image_size
    in_height, in_width = input_size
    if abs(width / height - in_width / in_height) < 0.01:
        return None
    return _("The image is {width}×{height}; it is resized to the model's input {in_width}×{in_height} without "
             "keeping its proportions, so it looks stretched.").format(width=width, height=height, in_width=in_width,
                                                                      in_height=in_height)


@st.cache_resource(show_spinner=False, max_entries=64)
def _unit_picture(choice, layer: str, unit: tuple, image_key: str, effective: bool, origin: str, weights_key,
                  lang: str, *, _report, _model, _image, _lock):
    """The overlay of one (model, weights, layer, unit, image, effective, language) view: traced once, then shown
    again (a rerun with the same view, e.g. opening the recurrence block, costs nothing)."""
    from cnnscope.probes.effective_field import probe
    from cnnscope.vis import rf_overlay
    from cnnscope.vis.images import to_input

    _batch, channels, height, width = choice.shape
    mean, std = model_choice.normalization(choice)
    inputs, picture = to_input(_image, channels, (height, width), mean, std)
    # the gradient is taken w.r.t. the input only (the shared weights keep requires_grad False); the
    # trace hooks the shared model and puts its train/eval flags back, so one pass at a time
    with _lock:
        field = probe(_model, _report, layer, inputs, unit, empirical=effective)
    size = "×".join(str(v) for v in field.size)
    canvas = rf_overlay.draw(picture, field.box, field.gradient, field.squares,
                             _("{model} · {layer} · unit {row},{column} · field {size}").format(
                                 model=_report.model, layer=layer, row=unit[0], column=unit[1], size=size),
                             field.centre)
    line = _("theoretical field {size}").format(size=size)
    if field.squares:
        line = _("theoretical field {size} · effective squares {squares}").format(
            size=size, squares=", ".join(f"{k} {v}" for k, v in field.squares.items()))
    return canvas, line
