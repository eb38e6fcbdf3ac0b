"""Summary: totals, the layer table, charts, shape arithmetic, diagnostics and the diagram."""

from __future__ import annotations

import streamlit as st

from cnnscope.app import model_choice, plain_text
from cnnscope import units
from cnnscope.export.summary_rows import COLUMNS, DEFAULT_COLUMNS, headers, row_cells


def render(choice) -> None:
    report = model_choice.report(choice)
    t = report.totals
    st.header(f"{plain_text.plain(report.model)} — input {units.shape(report.input_shape)}")
    columns = st.columns([1.5, 1, 1, 1, 1.3])
    columns[0].metric("Parameters", units.count(t.params), help=f"trainable {t.trainable_params:,}, frozen {t.frozen_params:,}")
    columns[1].metric("MACs", units.si(t.macs), help=f"{t.macs:,} multiply-accumulates (conv, linear, matmul; bias excluded)")
    columns[2].metric("FLOPs", units.si(t.flops), help="2 × MACs")
    columns[3].metric("Activations", units.megabytes(t.activation_bytes))
    columns[4].metric("Training (Adam, est.)", units.megabytes(t.training_bytes_adam))

    max_depth = max(r.depth for r in report.layers)
    depth = st.slider("Table depth", 1, max_depth, min(3, max_depth), key="summary_depth") if max_depth > 1 else 1
    rows = [r for r in report.layers if 1 <= r.depth <= depth] or report.layers
    picked = st.multiselect("Columns", list(COLUMNS), default=list(DEFAULT_COLUMNS), key="summary_columns",
                            format_func=lambda key: f"{key} ({COLUMNS[key].header})",
                            help="the same names as `cnnscope summary --columns`") or list(DEFAULT_COLUMNS)
    st.dataframe(_table(rows, report, picked), width="stretch", hide_index=True,
                 height=min(38 * (len(rows) + 1), 520))

    tabs = st.tabs(["MACs per layer", "Parameters per layer", "Memory", "Shape arithmetic", "Diagnostics", "Diagram"])
    leaves = [r for r in report.leaves()]
    with tabs[0]:
        st.plotly_chart(_bars([r for r in leaves if r.macs], "macs", "MACs"), width="stretch")
    with tabs[1]:
        st.plotly_chart(_bars([r for r in leaves if r.params], "params", "parameters"), width="stretch")
    with tabs[2]:
        st.plotly_chart(_memory(t), width="stretch")
    with tabs[3]:
        names = [r.name for r in leaves if r.name]
        pick = st.selectbox("Layer", names, key="arith_layer")
        if pick:
            from cnnscope.studies.explain import shape_arithmetic

            row = report.layer(pick)
            st.code("\n".join([f"{row.name} ({row.type}): {units.shape(row.input_shapes)} → "
                               f"{units.shape(row.output_shape)}", *shape_arithmetic(row)]), language=None)
    with tabs[4]:
        if report.diagnostics:
            for d in report.diagnostics:
                (st.warning if d.level == "warning" else st.info)(d.message)
        else:
            st.success("Nothing to report: every layer was measured.")
    with tabs[5]:
        from cnnscope.vis.graph import to_dot

        expand = st.checkbox("One node per call (no collapsing)", key="graph_expand")
        # at its natural size: a small graph stays small instead of being stretched to the page's width
        st.graphviz_chart(to_dot(report, expand=expand), width="content")


def _table(rows, report, columns) -> list[dict]:
    """The layer table with the chosen columns: the cells of ``summary --columns`` (export/summary_rows.py)."""
    names = headers(columns)
    return [dict(zip(names, row_cells(r, report, columns))) for r in rows]


def _bars(rows, key: str, label: str):
    import plotly.graph_objects as go

    values = [getattr(r, key) for r in rows]
    figure = go.Figure(go.Bar(x=[r.name for r in rows], y=values, marker_color="#5b7bb0",
                              customdata=[units.si(v) for v in values],
                              hovertemplate="%{x}: %{y:,} " + label + " (%{customdata})<extra></extra>"))
    figure.update_layout(height=360, margin=dict(t=20, b=80, l=60, r=10), yaxis_title=label)
    # layer names such as LeNet-5's 0..12 or a spec's 3.0 are names, not numbers; ticks in G, M, k as the labels
    figure.update_xaxes(type="category", title="layer")
    figure.update_yaxes(exponentformat="SI")
    return figure


def _memory(t):
    import plotly.graph_objects as go

    gradients = t.param_bytes * t.trainable_params // max(t.params, 1)
    parts = {"parameters": t.param_bytes, "buffers": t.buffer_bytes, "gradients": gradients,
             "Adam moments": 2 * gradients, "activations": t.activation_bytes, "input": t.input_bytes}
    figure = go.Figure(go.Bar(x=list(parts), y=[v / 2**20 for v in parts.values()], marker_color="#c0504d",
                              text=[units.megabytes(v) for v in parts.values()], textposition="outside"))
    figure.update_layout(height=340, yaxis_title="MB (2^20 bytes; training with Adam, estimated)",
                         margin=dict(t=20, l=60))
    figure.update_xaxes(type="category")
    return figure
