"""Summary: totals, the layer table, charts, shape arithmetic, diagnostics and the diagram."""

from __future__ import annotations

import streamlit as st

from cnnscope import units
from cnnscope.analysis.memory import PRECISIONS, adam_parts
from cnnscope.app import model_choice, plain_text, responsive
from cnnscope.app.pages import in_language
from cnnscope.export.summary_rows import COLUMNS, DEFAULT_COLUMNS, headers, row_cells
from cnnscope.i18n import N_, _
from cnnscope.studies import explain


DIAGRAM_HEIGHT = 820  # px: the interactive diagram's page (title, toolbar, 70% of it drawing)
PRIORITY = ("name", "output", "params", "macs")  # the compact table's columns on a phone, in this order
PRECISION_HELP = N_(
    "What the training estimate stores in which precision. fp32: parameters, gradients, both Adam moments and "
    "activations at 4 bytes a value. fp16/bf16 mixed (torch.autocast): the parameters stay fp32 (the master "
    "weights), so gradients and Adam's moments are fp32 too; conv, linear and matmul outputs are half (2 bytes), "
    "and autocast keeps a half copy of each weight during the forward pass. Every activation is counted at "
    "2 bytes, a slight underestimate: softmax, norm statistics and losses stay fp32. bf16 (whole model): the "
    "model is cast to bfloat16, so parameters, gradients, Adam's moments and activations are all 2 bytes. "
    "Not included: the CUDA context, cuDNN workspaces, the allocator's cache and backward's temporaries.")


def render(choice) -> None:
    report = model_choice.report(choice)
    t = report.totals
    st.header(_("{model} — input {shape}").format(model=plain_text.plain(report.model),
                                                   shape=units.shape(report.input_shape)))
    responsive.style()
    columns = st.columns([1.4, 1, 1, 1, 1.2])
    with columns[4]:
        slot = st.empty()  # the metric above the box that sets it
        precision = st.selectbox(_("Training precision"), list(PRECISIONS), format_func=in_language(precision_label),
                                 key="summary_precision", help=_(PRECISION_HELP))
    parts = adam_parts(t, precision, _value_bytes(report.dtype))
    training = sum(parts.values())
    columns[0].metric(_("Parameters"), units.count(t.params),
                      help=_("learned numbers (weights and biases): trainable {trainable}, frozen {frozen}").format(
                          trainable=f"{t.trainable_params:,}", frozen=f"{t.frozen_params:,}"))
    columns[1].metric("MACs", units.si(t.macs),
                      help=_("{macs} multiply-accumulates in one forward pass of the whole batch (conv, linear, "
                             "matmul; bias adds not counted)").format(macs=f"{t.macs:,}"))
    columns[2].metric("FLOPs", units.si(t.flops),
                      help=_("{flops} floating-point operations: 2 × MACs (a multiply and an add each)").format(
                          flops=f"{t.flops:,}"))
    columns[3].metric(_("Activations"), short_bytes(t.activation_bytes),
                      help=_("{megabytes} ({bytes} bytes): every tensor the forward pass creates, what training "
                             "keeps for the backward pass (approximately); MB = 2^20 bytes").format(
                          megabytes=units.megabytes(t.activation_bytes), bytes=f"{t.activation_bytes:,}"))
    slot.metric(_("Training (Adam, est.)"), short_bytes(training),
                help=_("{megabytes} ({bytes} bytes), estimated for training with Adam in {precision}: {parts}. The "
                       "Memory tab draws the parts; the Training precision box below sets what is stored in which "
                       "precision.").format(
                    megabytes=units.megabytes(training), bytes=f"{training:,}", precision=precision_label(precision),
                    parts=" + ".join(f"{part_label(k)} {units.megabytes(v)}" for k, v in parts.items())))

    max_depth = max(r.depth for r in report.layers)
    depth = st.slider(_("Table depth"), 1, max_depth, min(3, max_depth), key="summary_depth",
                      help=_("how deep into the model's blocks the table goes (1: the top-level blocks)")) \
        if max_depth > 1 else 1
    rows = [r for r in report.layers if 1 <= r.depth <= depth] or report.layers
    picked = st.multiselect(_("Columns"), list(COLUMNS), default=list(DEFAULT_COLUMNS), key="summary_columns",
                            select_all=False,  # Enter adds the highlighted column, not every match
                            format_func=in_language(lambda key: f"{key} ({_(COLUMNS[key].header)})"),
                            help=_("the table's columns; hover a column's header for what it counts")) \
        or list(DEFAULT_COLUMNS)
    wide, narrow = responsive.wide_and_narrow("summary")
    with wide:
        st.dataframe(_table(rows, report, picked), width="stretch", hide_index=True,
                     height=min(38 * (len(rows) + 1), 520), column_config=column_help(picked))
    with narrow:
        keys = compact_columns(picked)
        st.html(responsive.compact_html(_table(rows, report, keys, indent=False), headers(keys),
                                        {_(COLUMNS[k].header): _(COLUMNS[k].help) for k in keys},
                                        tuple(_(COLUMNS[k].header) for k in keys if COLUMNS[k].numeric),
                                        [max(r.depth - 1, 0) for r in rows]))
        st.caption(_("A narrow screen shows the key columns; a wider window shows every chosen column."))
    if any(r.call for r in rows):
        st.caption(_("(call 2): a module used twice in one forward pass (ResNet's relu) has a row per call; "
                     "(call 2) is its second use."))

    tabs = st.tabs([_("MACs per layer"), _("Parameters per layer"), _("Memory"), _("Shape arithmetic"),
                    _("Diagnostics"), _("Diagram")])
    leaves = [r for r in report.leaves()]
    with tabs[0]:
        st.plotly_chart(_bars([r for r in leaves if r.macs], "macs", "MACs"), width="stretch")
    with tabs[1]:
        st.plotly_chart(_bars([r for r in leaves if r.params], "params", _("parameters")), width="stretch")
    with tabs[2]:
        st.plotly_chart(_memory(parts, precision_label(precision)), width="stretch")
    with tabs[3]:
        names = [r.name for r in leaves if r.name]
        pick = st.selectbox(_("Layer"), names, key="arith_layer",
                            help=_("a row of the table: how its output shape, parameters and MACs come about"))
        if pick:
            row = report.layer(pick)
            st.code("\n".join([f"{row.name} ({row.type}): {units.shape(row.input_shapes)} → "
                               f"{units.shape(row.output_shape)}", *explain.shape_arithmetic(row), "",
                               *explain.count_arithmetic(row)]), language=None, wrap_lines=True)
            legend = explain.shape_legend(row)
            if legend:
                st.caption("  \n".join(plain_text.plain(line) for line in legend))
    with tabs[4]:
        if report.diagnostics:
            for d in report.diagnostics:
                (st.warning if d.level == "warning" else st.info)(d.message)
        else:
            st.success(_("Nothing to report: every layer was measured."))
    with tabs[5]:
        from cnnscope.export.interactive_diagram import diagram_page
        from cnnscope.vis.graph import to_dot

        st.caption(_("Drag to pan, wheel or pinch to zoom; click a block to open or close it, a layer for its row. "
                     "The same diagram as `cnnscope graph MODEL -o arch.html` and the HTML reports."))
        # its own page in an iframe: the diagram's script runs there (st.html would strip it)
        st.iframe(diagram_page(report), height=DIAGRAM_HEIGHT)
        st.markdown(_("**Static diagram** (graphviz; `cnnscope graph MODEL -o arch.svg`)"))
        expand = st.checkbox(_("One node per call (no collapsing)"), key="graph_expand")
        # at its natural size: a small graph stays small instead of being stretched to the page's width
        st.graphviz_chart(to_dot(report, expand=expand), width="content")


def _table(rows, report, columns, indent: bool = True) -> list[dict]:
    """The layer table with the chosen columns: the cells of ``summary --columns`` (export/summary_rows.py)."""
    names = headers(columns)
    return [dict(zip(names, row_cells(r, report, columns, indent=indent))) for r in rows]


def column_help(columns) -> dict:
    """A tooltip on every column's header: what it counts."""
    return {_(COLUMNS[key].header): st.column_config.Column(help=_(COLUMNS[key].help)) for key in columns}


def compact_columns(picked) -> list[str]:
    """The phone's columns: layer, output shape and parameters always, then the first other chosen column
    in PRIORITY order (MACs by default), else the first other chosen one."""
    keys = list(PRIORITY[:3])
    rest = [k for k in PRIORITY[3:] if k in picked] + [k for k in picked if k not in PRIORITY]
    return keys + rest[:1]


def short_bytes(n: int) -> str:
    """A metric's value that fits its column, three significant figures: '163 MB', '1.21 GB', '57.0 kB'
    (kB, MB, GB = 2^10, 2^20, 2^30 bytes)."""
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if n >= 0.9995 * size or unit == "kB":
            value = n / size
            return f"{value:.{0 if value >= 99.95 else 1 if value >= 9.995 else 2}f} {unit}"
    return ""


# The analysis names precisions and memory parts in English (its keys); the page shows them translated.
PRECISION_LABELS = {"fp16-mixed": N_("fp16 mixed (autocast)"), "bf16-mixed": N_("bf16 mixed (autocast)"),
                    "bf16": N_("bf16 (whole model)")}
PART_LABELS = {"parameters": N_("parameters"), "buffers": N_("buffers"), "gradients": N_("gradients"),
               "Adam moments": N_("Adam moments"), "activations": N_("activations"), "input": N_("input"),
               "half weight copies": N_("half weight copies")}


def precision_label(key: str) -> str:
    """A training precision's name (``analysis.memory.PRECISIONS``) in the visitor's language."""
    return _(PRECISION_LABELS.get(key, PRECISIONS[key]))


def part_label(name: str) -> str:
    """A part of the training estimate (``adam_parts``'s keys: parameters, gradients ...) in the visitor's language."""
    return _(PART_LABELS.get(name, name))


def _value_bytes(dtype: str) -> int:
    return {"float64": 8, "float16": 2, "bfloat16": 2}.get(dtype, 4)


def _bars(rows, key: str, label: str):
    import plotly.graph_objects as go

    values = [getattr(r, key) for r in rows]
    figure = go.Figure(go.Bar(x=[r.name for r in rows], y=values, marker_color="#5b7bb0",
                              customdata=[units.si(v) for v in values],
                              hovertemplate="%{x}: %{y:,} " + label + " (%{customdata})<extra></extra>"))
    figure.update_layout(height=360, margin=dict(t=20, b=80, l=60, r=10), yaxis_title=label)
    # layer names such as LeNet-5's 0..12 or a spec's 3.0 are names, not numbers; ticks in G, M, k as the labels
    figure.update_xaxes(type="category", title=_("layer"))
    figure.update_yaxes(exponentformat="SI")
    return figure


def _memory(parts: dict, precision: str):
    import plotly.graph_objects as go

    figure = go.Figure(go.Bar(x=[part_label(k) for k in parts], y=[v / 2**20 for v in parts.values()],
                              marker_color="#c0504d",
                              text=[short_bytes(v) for v in parts.values()], textposition="outside",
                              customdata=[units.megabytes(v) for v in parts.values()],
                              hovertemplate="%{x}: %{customdata}<extra></extra>"))
    figure.update_layout(height=340, yaxis_title=_("MB (2^20 bytes); Adam, {precision}, estimated").format(
                             precision=precision),
                         margin=dict(t=20, l=60))
    figure.update_xaxes(type="category")
    return figure
