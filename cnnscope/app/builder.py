"""The spec builder, at the top of the main page when "Model from" is Spec.

New and templates to start from, the full-width text box, a form that adds a layer (each type with its own
fields and defaults) where the visitor chooses, moving and deleting layers, Undo, and the spec reference.
When the spec does not describe a network the section opens and, below it, the layers planned up to the
failing one stay on the page with one line saying what failed there and the fix (``spec_errors``).

The text is only ever parsed as a spec (``spec_text``, ``spec_edit``), never run.
"""

from __future__ import annotations

import functools

import streamlit as st

from cnnscope.app import plain_text, spec_edit, spec_errors
from cnnscope.app.pages import in_language
from cnnscope.i18n import N_, _, language, use_language
from cnnscope.spec.schema import BLOCKS, LAYERS, REQUIRED

TEXT_LABEL = N_("Spec (YAML, JSON or one line)")
MAX_UNDO = 20


def render(valid: bool):
    """Draw the section (open when the spec is not ``valid`` or the visitor has worked on it); returns the
    container under the text box where ``show_problem`` writes."""
    text = st.session_state.spec_text
    with st.expander(_("Spec: build or edit the network"), expanded=not valid or st.session_state.get("spec_touched", False)):
        starts = st.container(horizontal=True)
        for label, (key, start) in spec_edit.STARTS.items():
            starts.button(_(label), key=key, on_click=_replace, args=(start,))
        history = st.session_state.get("spec_history", [])
        starts.button(_("Undo"), key="spec_undo", disabled=not history, on_click=_undo)
        # a caption, not tooltips: a tooltip on these top buttons covered the section's header
        st.caption(_("New: an empty spec (name, input, no layers) to build with Add a layer; a template replaces "
                     "the text; Undo brings back the text before the last button."))
        st.text_area(_(TEXT_LABEL), key="spec_text", height=320, on_change=_touched,
                     help=_("The Reference tab below lists every layer type and its settings.  One layer a line, "
                            "starting with '- '; settings in braces: - conv: {out: 16, kernel: 3}.  JSON and the "
                            "one-line form (in1x28x28,c5-6p2,tanh,ap2,flat,fc10) work too.  Typed text is parsed "
                            "as a spec, never run as code."))
        slot = st.container()  # beside the editor: the partial table and the line (the section is open then)
        add, edit, reference = st.tabs([_("Add a layer"), _("Move or delete"), _("Reference")])
        try:
            names, reason = spec_edit.labels(text), None
        except spec_edit.NotEditable as error:
            names, reason = [], str(error)
        with add:
            _add_form(text, names, reason)
        with edit:
            _edit_form(names, reason)
        with reference:
            st.markdown(reference_text(language()))
    return slot


def show_problem(slot, text: str, error, shape=None) -> str | None:
    """The rows planned up to the failing layer and the one line about it, in ``slot``; returns the line
    (None for a spec with no layers yet: a state to build from, not a mistake)."""
    problem = spec_errors.problem(text, error, shape)
    line = problem.line[:1].upper() + problem.line[1:]
    with slot:
        if problem.empty:
            st.info(plain_text.plain(line))
        elif problem.rows:
            st.markdown(_("**The layers up to the mistake**"))
        if problem.rows and not (problem.empty and len(problem.rows) == 1):
            import pandas as pd

            st.dataframe(pd.DataFrame(problem.rows, columns=[_("Layer"), _("Type"), _("Output"), _("Params")]),
                         hide_index=True)
        elif problem.empty and problem.rows:
            st.caption(_("Input {shape} (channels×height×width).").format(shape=problem.rows[0][2]))
        if not problem.empty:
            st.error(plain_text.plain(line))
    return None if problem.empty else line


# -- the form -------------------------------------------------------------------------------------

AT_THE_END = -1


def _add_form(text: str, names: list[str], reason: str | None) -> None:
    top = st.columns(2)
    kind = top[0].selectbox(_("Layer type"), list(spec_edit.FIELDS), key="form_kind",
                            help=_("each type has its own fields and defaults"))
    settings = {}
    kept = st.session_state.setdefault("form_kept", {})
    fields = spec_edit.FIELDS[kind]
    for column, (field, label, low, high, default) in zip(st.columns(len(fields)) if fields else [], fields):
        key = f"form_{kind}_{field}"  # one key per type: a pool never inherits a conv's kernel
        if key not in st.session_state and key in kept:
            st.session_state[key] = kept[key]  # Streamlit forgets a hidden widget: bring back what was typed
        if isinstance(default, float):
            value = column.slider(_(label), low, high, None if key in st.session_state else default, step=0.05, key=key)
        else:
            value = column.number_input(_(label), low, high, None if key in st.session_state else default, step=1,
                                        key=key)
            value = None if value is None else int(value)
        settings[field] = kept[key] = default if value is None else value  # a cleared box: the default
    places = [AT_THE_END, *range(len(names))]
    marker = (kind, len(names))
    if st.session_state.get("form_where_for") != marker or st.session_state.get("form_where") not in places:
        # a new type or a new list: the sensible place again (conv and pools before flatten, the rest at the end)
        default = spec_edit.default_place(text, kind) if reason is None else None
        st.session_state.form_where = AT_THE_END if default is None else default
        st.session_state.form_where_for = marker
    where = top[1].selectbox(_("Where"), places, key="form_where",
                             format_func=in_language(lambda k: _("at the end") if k == AT_THE_END
                                                     else _("before {layer}").format(layer=names[k])),
                             help=_("layers that need a map (conv, pools) go before flatten unless you choose"))
    st.button(_("Add"), key="form_add", type="primary", disabled=reason is not None, on_click=_edit,
              args=(spec_edit.insert, spec_edit.form_item(kind, settings), None if where == AT_THE_END else where))
    if reason is not None:
        st.caption(plain_text.plain(reason[:1].upper() + reason[1:]))
    else:
        st.caption(_("The buttons rewrite the spec as tidy YAML (comments are dropped); Undo brings the text back."))


def _edit_form(names: list[str], reason: str | None) -> None:
    if reason is not None:
        st.caption(plain_text.plain(reason[:1].upper() + reason[1:]))
        return
    if not names:
        st.caption(_("No layers yet: add the first one in the Add a layer tab."))
        return
    # The options are the labels themselves, so the box can never show one layer's label while holding
    # another's index; after a text change it keeps the position (the callbacks choose after Move/Delete).
    if st.session_state.get("edit_layer") not in names:
        st.session_state.edit_layer = names[min(_position(st.session_state.get("edit_layer")), len(names) - 1)]
    index = names.index(st.selectbox(_("Layer"), names, key="edit_layer",
                                     help=_("the number is the layer's name in the summary table")))
    buttons = st.container(horizontal=True)
    buttons.button(_("Move up"), key="edit_up", disabled=index == 0, on_click=_move, args=(index, -1))
    buttons.button(_("Move down"), key="edit_down", disabled=index == len(names) - 1, on_click=_move, args=(index, 1))
    buttons.button(_("Delete"), key="edit_delete", on_click=_delete, args=(index,))


def _position(label) -> int:
    """The index at the front of a Layer box label (``2 · avgpool ...``); 0 for none."""
    head = str(label).split(" · ", 1)[0] if label is not None else ""
    return int(head) if head.isdigit() else 0


# -- callbacks (they run before the rerun, so the text box shows the new text) ---------------------

def _touched() -> None:
    st.session_state.spec_touched = True


def _set(text: str) -> None:
    history = st.session_state.setdefault("spec_history", [])
    history.append(st.session_state.spec_text)
    del history[:-MAX_UNDO]
    st.session_state.spec_text = text
    st.session_state.spec_touched = True


def _replace(text: str) -> None:
    _set(text)


def _edit(operation, *args) -> None:
    try:
        _set(operation(st.session_state.spec_text, *args))
    except spec_edit.NotEditable:
        pass  # the buttons are disabled then; the text changed in between: the next run says why


def _move(index: int, step: int) -> None:
    _edit(spec_edit.move, index, step)
    _select(index + step)  # the moved layer stays selected, under its new number


def _delete(index: int) -> None:
    _edit(spec_edit.delete, index)
    _select(index)  # the layer now at that place (or the last)


def _select(index: int) -> None:
    """Point the Layer box at position ``index`` of the new text, with that layer's current label."""
    try:
        names = spec_edit.labels(st.session_state.spec_text)
    except spec_edit.NotEditable:
        return
    if names:
        st.session_state.edit_layer = names[max(0, min(index, len(names) - 1))]


def _undo() -> None:
    history = st.session_state.get("spec_history", [])
    if history:
        st.session_state.spec_text = history.pop()


# -- the reference (docs/spec.md is not served by the app: the essentials, from the schema itself) --

def _default(key: str, value) -> str:
    if value is REQUIRED:
        return _("required")
    if value is None:  # absent unless given: linear's in is inferred, a pool's stride is its kernel
        return {"in": _("inferred"), "stride": _("= kernel")}.get(key, "—")
    if isinstance(value, tuple) and len(set(value)) == 1:
        value = value[0]
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


@functools.lru_cache(maxsize=None)
def reference_text(lang: str) -> str:
    """The Reference tab in ``lang`` (the argument keys the cache)."""
    with use_language(lang):
        return _reference()


def _reference() -> str:
    rows = []
    for kind, schema in LAYERS.items():
        settings = ", ".join(f"`{key}` ({_default(key, default)})" for key, (_unused, default) in schema.items()) or "—"
        rows.append(f"| `{kind}` | {settings} |")
    return "\n".join([
        _("A spec is `name`, `input: [channels, height, width]` and `layers`, one layer a line starting with `- ` "
          "(a dash and a space), all lined up, indented with spaces:"),
        "",
        "```yaml\nname: my_net\ninput: [1, 28, 28]\nlayers:\n  - conv: {out: 6, kernel: 5}\n  - relu\n"
        "  - maxpool: {kernel: 2, stride: 2}\n  - flatten\n  - linear: {out: 10}\n```",
        "",
        _("Settings go in braces after the type and a colon; a type alone takes its defaults.  `in_channels` and "
          "`in_features` are inferred.  `kernel`, `stride`, `padding` take a number or `[h, w]`; a pool's stride "
          "defaults to its kernel.  A conv's or pool's output side is floor((n + 2·padding − dilation·(kernel−1) − 1) "
          "/ stride) + 1, n being the side of the map it gets (the Summary page's Shape arithmetic tab shows each)."),
        "",
        _("| type | settings (default) |"),
        "|---|---|",
        *rows,
        "",
        _("Blocks ({blocks}): `repeat: {{times: 2, layers: [...]}}` repeats layers; "
          "`residual: {{layers: [...], shortcut: [...]}}` adds the shortcut's output (the input itself when "
          "there is none) to the layers'; `concat: {{branches: [[...], [...]]}}` joins branches on channels.  "
          "The Tiny ResNet template shows a residual block written out.").format(blocks=", ".join(f"`{block}`" for block in BLOCKS)),
        "",
        _("One line works too: `in1x28x28,c5-6,relu,mp2,c5-16,relu,mp2,flat,fc10` (c5-6: conv 5×5 to 6 channels, "
          "mp2: max-pool 2, fc10: linear to 10)."),
    ])

