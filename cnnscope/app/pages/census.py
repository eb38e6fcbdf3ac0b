"""Explorer: a census of models (``cnnscope census``) as a scatter, filters and a table; a click on a point
opens that model's Summary.  It opens the census of every torchvision model shipped with the package, or a
census file the visitor uploads.  The filtering and the marker sizes are ``studies/census/explore.py``."""

from __future__ import annotations

import streamlit as st

from cnnscope import units
from cnnscope.app import plain_text
from cnnscope.app.pages import in_language
from cnnscope.errors import CnnscopeError
from cnnscope.i18n import N_, _, ngettext
from cnnscope.studies.census import explore

ANY = "any"  # the budget sliders' last position: no budget
SUFFIXES = ("parquet", "csv", "json", "html")
# the table's columns: (census column, header); "rf" is the receptive field's larger side
TABLE = (("name", N_("model")), ("group", N_("group")), ("family", N_("family")), ("input", N_("input")),
         ("params", N_("parameters")), ("macs", N_("MACs")), ("rf", N_("RF")), ("acc1", N_("acc@1")),
         ("acc5", N_("acc@5")), ("activation_bytes", N_("activations (MB)")),
         ("training_bytes_adam", N_("training, Adam (MB)")), ("status", N_("status")), ("error", N_("error")))


def render(choice) -> None:
    st.header(_("Model explorer"))
    upload = st.file_uploader(_("Census file"), type=list(SUFFIXES), key="census_upload",
                              help=_("a file written by cnnscope census -o NAME.parquet, .csv, .json or .html; "
                                     "without one, the census of every torchvision model shipped with cnnscope"))
    try:
        rows, source = _census(upload)
    except CnnscopeError as error:
        st.error(plain_text.plain(error))
        return
    st.caption(source)
    _reset_filters_for(source, rows)
    if not rows:
        st.info(_("This census has no rows."))
        return
    by, filters = _filters(rows)
    kept = explore.apply(rows, filters)
    st.caption(_("{shown} of {total} models shown.").format(shown=len(kept), total=len(rows)))
    _problem()
    sizes = dict(zip((r["name"] for r in rows), explore.marker_sizes(rows)))
    from cnnscope.vis.census_chart import census_scatter

    st.plotly_chart(census_scatter(kept, by, sizes), key="census_chart", on_select=_open_clicked,
                    selection_mode="points", width="stretch")
    fields = [f for f in map(explore.rf_size, rows) if f]
    if fields:
        st.caption(_("Marker area: the receptive field at the last spatial feature map (its larger side), from "
                     "{low} to {high} input pixels. A click on a point opens that model's Summary.")
                   .format(low=min(fields), high=max(fields)))
    st.dataframe(table_records(kept), hide_index=True, width="stretch", column_config=_column_config(),
                 key="census_table")
    st.caption(_("Click a column's header to sort by it."))
    names = [r["name"] for r in kept]
    if names:
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        if st.session_state.get("census_open_name") not in names:  # filtered out, or another census's
            st.session_state["census_open_name"] = names[0]
        left.selectbox(_("Model"), names, key="census_open_name")
        right.button(_("Open its Summary"), key="census_open", on_click=_open_picked)


@st.cache_data(show_spinner=False, max_entries=8)
def _read(path: str, stamp: float) -> list[dict]:
    """The census at ``path`` (``stamp``, its modification time, renews the cache when it is regenerated)."""
    from cnnscope.export import census_file

    return census_file.read(path)


def _census(upload) -> tuple[list[dict], str]:
    """(rows, a caption saying where they come from): the upload, else the shipped census."""
    from pathlib import Path

    if upload is None:
        path = explore.shipped_census()
        rows = _read(str(path), path.stat().st_mtime)
        return rows, _("The census of every torchvision model shipped with cnnscope ({n} models, made by cnnscope "
                       "census); upload a census file to explore another.").format(n=len(rows))
    rows = _uploaded(upload.name, upload.getvalue())
    return rows, _("{name}: {n} models").format(name=plain_text.plain(Path(upload.name).name), n=f"{len(rows):,}")


@st.cache_data(show_spinner=False, max_entries=8)
def _uploaded(name: str, data: bytes) -> list[dict]:
    """The rows of an uploaded census file, read from a private copy; messages name the upload."""
    import re
    import tempfile
    from pathlib import Path

    from cnnscope.app.real_models import MAX_UPLOAD_MB
    from cnnscope.errors import UsageError, reworded
    from cnnscope.export import census_file

    if len(data) > MAX_UPLOAD_MB * 2**20:
        raise UsageError(_("{name} is {size} MB; uploads are capped at {cap} MB").format(
            name=name, size=f"{len(data) / 2**20:.0f}", cap=MAX_UPLOAD_MB))
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(name).name) or "census"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / safe
        path.write_bytes(data)
        try:
            return census_file.read(path)
        except CnnscopeError as error:
            raise reworded(error, str(error).replace(str(path), Path(name).name)) from None
        except UnicodeDecodeError:
            raise census_file.not_a_census(Path(name).name) from None


def _filters(rows: list[dict]) -> tuple[str, explore.Filters]:
    """The controls, and the filters they set."""
    columns = st.columns(3)
    by = columns[0].radio(_("Colour by"), ("group", "family"), horizontal=True, key="census_colour",
                          format_func=in_language(_))
    max_macs = _budget(columns[1], _("MAC budget"), [r.get("macs") for r in rows], "census_macs")
    max_params = _budget(columns[2], _("Parameter budget"), [r.get("params") for r in rows], "census_params")
    columns = st.columns(3)
    sizes = explore.input_sizes(rows)
    inputs = columns[0].multiselect(_("Input size"), sizes, key="census_inputs",
                                    format_func=in_language(lambda s: s or _("none")))
    missing = explore.without_accuracy(rows)
    min_acc = columns[1].number_input(
        _("Minimum acc@1 (%)"), min_value=0.0, max_value=100.0, step=0.5, key="census_acc",
        help=ngettext("{n} of {total} models has no published acc@1: a minimum above 0 leaves it out.",
                      "{n} of {total} models have no published acc@1: a minimum above 0 leaves them out.",
                      missing).format(n=missing, total=len(rows)))
    if missing and min_acc > 0:
        columns[1].caption(ngettext("{n} model without a published acc@1 is left out.",
                                    "{n} models without a published acc@1 are left out.", missing).format(n=missing))
    found = explore.statuses(rows)
    statuses = columns[2].multiselect(_("Status"), found, key="census_statuses")
    return by, explore.Filters(max_macs=max_macs, max_params=max_params, inputs=frozenset(inputs),
                               min_acc1=float(min_acc) if min_acc > 0 else None, statuses=frozenset(statuses))


def filter_defaults(rows: list[dict]) -> dict:
    """The filters' open positions for a census, by widget key: every input size and status, no budget."""
    return {"census_macs": ANY, "census_params": ANY, "census_inputs": explore.input_sizes(rows), "census_acc": 0.0,
            "census_statuses": explore.statuses(rows), "census_open_name": rows[0]["name"] if rows else None}


def _reset_filters_for(source: str, rows: list[dict]) -> None:
    """Another census: its filters start open (the last census's input sizes or budgets would hide its rows).
    They are set through the session state, which the browser follows; removing them would not do: the
    browser would go on showing the last census's choices and send them back at the next click."""
    fresh = st.session_state.get("census_source") != source
    st.session_state["census_source"] = source
    for key, value in filter_defaults(rows).items():
        if fresh or key not in st.session_state:  # a widget's state is dropped while its page is not shown
            st.session_state[key] = value


def _budget(column, label: str, values, key: str):
    """A slider over the 1-2-5 steps of ``values``; its last position, "any", sets no budget."""
    steps = explore.budget_steps(values)
    if not steps:
        return None
    picked = column.select_slider(label, options=[*steps, ANY], key=key,
                                  format_func=in_language(lambda v: _("any") if v == ANY else f"≤ {units.si(v)}"))
    return None if picked == ANY else picked


def table_records(rows: list[dict]) -> list[dict]:
    """The table's rows: the census columns it shows, the receptive field's larger side as ``RF``, bytes in MB
    (2^20 bytes, as the other pages)."""
    def cell(row: dict, key: str):
        if key == "rf":
            return explore.rf_size(row)
        value = row.get(key)
        return value / 2**20 if key in ("activation_bytes", "training_bytes_adam") and value is not None else value

    return [{_(header): cell(row, key) for key, header in TABLE} for row in rows]


def _column_config() -> dict:
    figures = {"params": "localized", "macs": "compact", "activation_bytes": "%.1f", "training_bytes_adam": "%.1f",
               "rf": "%d", "acc1": "%.2f", "acc5": "%.2f"}
    return {_(header): st.column_config.NumberColumn(_(header), format=figures[key])
            for key, header in TABLE if key in figures}


def _open_clicked() -> None:
    """The chart's selection callback: open the clicked point's model."""
    name = explore.picked_name(st.session_state.get("census_chart"))
    if name is not None:
        open_summary(name)


def _open_picked() -> None:
    open_summary(st.session_state.get("census_open_name"))


def open_summary(name: str | None) -> None:
    """Show the Summary page with zoo model ``name`` picked in the sidebar (run as a widget's callback, before
    the sidebar's widgets are drawn again).  A name this app's zoo does not have is a one-line message."""
    from cnnscope.app import zoo_picker

    if not name:
        return
    if name not in zoo_picker.picker_names():
        st.session_state["census_problem"] = _("{name} is not in this app's zoo: its Summary cannot open here "
                                               "(a timm:NAME needs timm installed).").format(name=name)
        return
    st.session_state.source = "Zoo"
    st.session_state.zoo_model = name
    st.session_state.page = "Summary"


def _problem() -> None:
    problem = st.session_state.pop("census_problem", None)
    if problem:
        st.warning(plain_text.plain(problem))
