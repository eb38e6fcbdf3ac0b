"""Plotly figures for comparisons and training curves (the app shows them too; the kernel study's are in
``kernel_charts.py``)."""

from __future__ import annotations

import math

from cnnscope.i18n import N_, _

METRICS = [
    ("params", N_("Parameters"), ""),
    ("macs", N_("MACs"), ""),
    ("activation_bytes", N_("Activation memory (forward)"), "bytes"),
    ("training_bytes_adam", N_("Training memory, Adam (est.)"), "bytes"),
    ("latency_ms", N_("Latency"), "ms"),
]


def _go():
    import plotly.graph_objects as go

    return go


def metric_bars(rows: list[dict], key: str, title: str, unit: str = ""):
    go = _go()
    names = [r["model"] for r in rows]
    values = [r.get(key) for r in rows]
    # bytes are drawn in MB (2**20 bytes, as units.megabytes), or in kB when every bar is under 1 MB (the kernel
    # study's 8×8 maps: "0.0 MB" said nothing); counts with SI ticks (G, M, k)
    scale, axis = _byte_scale(values) if unit == "bytes" else (1, unit)
    heights = [None if v is None else v / scale for v in values]
    figure = go.Figure(go.Bar(x=names, y=heights, text=[_short(v, unit, scale, axis) for v in values],
                              textposition="outside", marker_color="#5b7bb0", cliponaxis=False))
    top = max((h for h in heights if h is not None), default=0)
    figure.update_layout(title=_(title), yaxis_title=(_(axis) if axis == "bytes" else axis) or None, height=340, margin=dict(t=50, b=40, l=60, r=20))
    figure.update_xaxes(type="category")  # names that look like numbers stay names
    figure.update_yaxes(exponentformat="SI", range=[0, top * 1.15] if top > 0 else None)  # room for the labels
    return figure


def _byte_scale(values) -> tuple[int, str]:
    top = max((v for v in values if v is not None), default=0)
    return (2**20, "MB") if top >= 2**20 else (2**10, "kB") if top >= 2**10 else (1, "bytes")


def macs_vs_params(rows: list[dict]):
    """One marker per model on log axes whose ranges are padded so that every marker and its name lie inside
    the grid (plotly's own range ends at the extreme markers' centres and leaves the top name above it)."""
    go = _go()
    xs, ys = [r["params"] for r in rows], [r["macs"] for r in rows]
    figure = go.Figure(go.Scatter(
        x=xs, y=ys, mode="markers+text", text=[r["model"] for r in rows], textposition="top center",
        marker=dict(size=12, color="#c0504d"), cliponaxis=False,
        hovertemplate=_("%{text}: %{x:,} parameters, %{y:,} MACs") + "<extra></extra>"))
    figure.update_layout(title=_("MACs against parameters (log scales)"), xaxis_title=_("parameters"),
                         yaxis_title=_("MACs per forward pass"), height=400, margin=dict(t=50, b=50, l=60, r=20))
    figure.update_xaxes(type="log", **log_axis(xs, below=0.12, above=0.12))
    figure.update_yaxes(type="log", **log_axis(ys, below=0.12, above=0.3))  # room for the name over the top marker
    return figure


def log_axis(values, below: float, above: float) -> dict:
    """A log axis's ``range`` (in decades, padded by ``below``/``above`` of the span, at least 0.15 decade) and its
    ticks at 1-2-5 steps (every decade on wide spans), each labelled with an SI suffix (20M, 1G): no bare minor
    digits."""
    logs = [math.log10(v) for v in values if v is not None and v > 0]
    if not logs:
        return {}
    low, high = min(logs), max(logs)
    span = high - low
    low, high = low - max(below * span, 0.15), high + max(above * span, 0.15)
    steps = (1,) if high - low > 4 else (1, 2, 5) if high - low > 0.8 else (1, 2, 3, 4, 5, 6, 7, 8, 9)
    ticks = [m * 10.0 ** e for e in range(math.floor(low), math.ceil(high) + 1) for m in steps]
    ticks = [t for t in ticks if low <= math.log10(t) <= high]
    return {"range": [low, high], "tickvals": ticks, "ticktext": [si_label(t) for t in ticks]}


def si_label(value: float) -> str:
    """``20M``, ``1.5G``, ``500k``, ``50``: a count with its SI suffix."""
    for factor, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"


def mac_profile(reports) -> object:
    """MACs of every leaf row along the depth of each network (x: fraction of the way through)."""
    go = _go()
    figure = go.Figure()
    for report in reports:
        leaves = [r for r in report.leaves() if r.macs]
        n = max(len(leaves) - 1, 1)
        figure.add_trace(go.Scatter(x=[k / n for k in range(len(leaves))], y=[r.macs for r in leaves],
                                    mode="lines+markers", name=report.model, text=[r.name for r in leaves],
                                    hovertemplate=_("%{text}: %{y:,} MACs") + "<extra>" + report.model + "</extra>"))
    figure.update_layout(title=_("Per-layer MACs along the depth"), xaxis_title=_("position in the network (0 = input)"),
                         yaxis_title="MACs", yaxis_type="log", height=400, margin=dict(t=50, b=50, l=60, r=20))
    figure.update_yaxes(exponentformat="SI")
    return figure


def loss_curves(histories: dict, title: str = N_("Training loss")):
    """``histories``: name -> ``TrainHistory``; one line of step losses each."""
    go = _go()
    figure = go.Figure()
    for name, history in histories.items():
        steps = history.steps
        figure.add_trace(go.Scatter(x=[s.step for s in steps], y=[s.loss for s in steps], mode="lines",
                                    name=name))
    figure.update_layout(title=_(title), xaxis_title=_("step"), yaxis_title=_("loss"), height=380,
                         margin=dict(t=50, b=50, l=60, r=20))
    return figure


def _short(value, unit: str, scale: float = 2**20, axis: str = "MB") -> str:
    if value is None:
        return "—"
    if unit == "bytes":
        return f"{value / scale:.1f} {axis}" if scale > 1 else _("{n} bytes").format(n=value)
    if unit == "ms":
        return f"{value:.2f} ms"
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.2f}{suffix}"
    return f"{value}"


def comparison_figures(comparison) -> list:
    rows = [r.to_dict() for r in comparison.rows]
    figures = [metric_bars(rows, key, title, unit) for key, title, unit in METRICS
               if any(r.get(key) is not None for r in rows)]
    figures.append(macs_vs_params(rows))
    figures.append(mac_profile(comparison.reports))
    if comparison.histories:
        figures.append(loss_curves(comparison.histories))
    return figures


# -- along the depth: one point per leaf row, in execution order ----------------------------------------

PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")
DEPTH_AXIS = N_("layer (leaf rows in execution order)")


def _first_shape(shape):
    return shape[0] if shape and isinstance(shape[0], (list, tuple)) else shape


def depth_series(report) -> dict[str, list]:
    """Per leaf row, in execution order: (position, value, hover text) for the output's spatial
    height, its channels (features for a flat output), the receptive field's size (local fields
    only) and the cumulative share of MACs and parameters."""
    leaves = report.leaves()
    series: dict[str, list] = {"resolution": [], "channels": [], "rf": [], "macs": [], "params": []}
    total_macs = sum(r.macs for r in leaves) or 1
    total_params = sum(r.params for r in leaves) or 1
    macs = params = 0
    for k, row in enumerate(leaves, start=1):
        shape = _first_shape(row.output_shape) or []
        if len(shape) >= 3:
            series["resolution"].append((k, shape[2], f"{row.name}: {'×'.join(map(str, shape[2:]))}"))
        if len(shape) >= 2:
            series["channels"].append((k, shape[1], f"{row.name}: {shape[1]}"))
        if row.rf is not None and not row.rf.is_global and row.rf.size:
            series["rf"].append((k, row.rf.size[0], f"{row.name}: {'×'.join(map(str, row.rf.size))}"))
        macs, params = macs + row.macs, params + row.params
        series["macs"].append((k, 100 * macs / total_macs, _("{layer}: {n} MACs").format(layer=row.name,
                                                                                          n=f"{macs:,}")))
        series["params"].append((k, 100 * params / total_params, _("{layer}: {n} params").format(layer=row.name,
                                                                                                 n=f"{params:,}")))
    return series


DEPTH_CHARTS = (  # (series keys, title, y axis title, log y)
    (("resolution",), N_("Spatial resolution along the depth"), N_("output height (pixels)"), True),
    (("channels",), N_("Channels along the depth"), N_("output channels (features after flatten)"), True),
    (("rf",), N_("Receptive field along the depth"), N_("RF size (input pixels; global fields left out)"), True),
    (("macs", "params"), N_("Cumulative MACs and parameters"), N_("% of the model's total"), False),
)


def depth_figures(reports) -> list:
    """Four charts against depth, one line per report (overlaid for a comparison): spatial
    resolution, channels, receptive field, and cumulative MACs (solid) and parameters (dotted)."""
    go = _go()
    figures = []
    for keys, title, y_title, log in DEPTH_CHARTS:
        figure = go.Figure()
        for k, report in enumerate(reports):
            colour = PALETTE[k % len(PALETTE)]
            series = depth_series(report)
            for key in keys:
                points = series[key]
                name = report.model if len(keys) == 1 else (
                    _("{model} MACs") if key == "macs" else _("{model} params")).format(model=report.model)
                figure.add_trace(go.Scatter(
                    x=[p[0] for p in points], y=[p[1] for p in points], text=[p[2] for p in points],
                    mode="lines+markers", name=name, hovertemplate="%{text}<extra>" + report.model + "</extra>",
                    line=dict(color=colour, dash="dot" if key == "params" else "solid"), marker=dict(size=5)))
        figure.update_layout(title=_(title), xaxis_title=_(DEPTH_AXIS), yaxis_title=_(y_title), height=340,
                             showlegend=len(reports) > 1 or len(keys) > 1, legend=dict(font=dict(size=10)),
                             margin=dict(t=50, b=50, l=60, r=20))
        if log:  # powers of two: 1, 2, 4, ... 256, written whole (32,768 features, not "32.768k")
            figure.update_yaxes(type="log", dtick=math.log10(2), tickformat=",d")
        figures.append(figure)
    return figures
