"""Plotly figures for comparisons, kernel studies and training curves (the app shows them too)."""

from __future__ import annotations

METRICS = [
    ("params", "Parameters", ""),
    ("macs", "MACs", ""),
    ("activation_bytes", "Activation memory (forward)", "bytes"),
    ("training_bytes_adam", "Training memory, Adam (est.)", "bytes"),
    ("latency_ms", "Latency", "ms"),
]


def _go():
    import plotly.graph_objects as go

    return go


def metric_bars(rows: list[dict], key: str, title: str, unit: str = ""):
    go = _go()
    names = [r["model"] for r in rows]
    values = [r.get(key) for r in rows]
    figure = go.Figure(go.Bar(x=names, y=values, text=[_short(v, unit) for v in values], textposition="outside",
                              marker_color="#5b7bb0"))
    figure.update_layout(title=title, yaxis_title=unit or None, height=340, margin=dict(t=50, b=40, l=60, r=20))
    return figure


def macs_vs_params(rows: list[dict]):
    go = _go()
    figure = go.Figure(go.Scatter(
        x=[r["params"] for r in rows], y=[r["macs"] for r in rows], mode="markers+text",
        text=[r["model"] for r in rows], textposition="top center", marker=dict(size=12, color="#c0504d")))
    figure.update_layout(title="MACs against parameters", xaxis_title="parameters", yaxis_title="MACs",
                         xaxis_type="log", yaxis_type="log", height=400, margin=dict(t=50, b=50, l=60, r=20))
    return figure


def mac_profile(reports) -> object:
    """MACs of every leaf row along the depth of each network (x: fraction of the way through)."""
    go = _go()
    figure = go.Figure()
    for report in reports:
        leaves = [r for r in report.leaves() if r.macs]
        n = max(len(leaves) - 1, 1)
        figure.add_trace(go.Scatter(x=[k / n for k in range(len(leaves))], y=[r.macs for r in leaves],
                                    mode="lines+markers", name=report.model, text=[r.name for r in leaves],
                                    hovertemplate="%{text}: %{y:,} MACs<extra>" + report.model + "</extra>"))
    figure.update_layout(title="Per-layer MACs along the depth", xaxis_title="position in the network (0 = input)",
                         yaxis_title="MACs", yaxis_type="log", height=400, margin=dict(t=50, b=50, l=60, r=20))
    return figure


def loss_curves(histories: dict, title: str = "Training loss"):
    """``histories``: name -> history dict (``steps`` with step/loss, ``epochs`` with val_acc)."""
    go = _go()
    figure = go.Figure()
    for name, history in histories.items():
        steps = history.get("steps", [])
        figure.add_trace(go.Scatter(x=[s["step"] for s in steps], y=[s["loss"] for s in steps], mode="lines",
                                    name=name))
    figure.update_layout(title=title, xaxis_title="step", yaxis_title="loss", height=380,
                         margin=dict(t=50, b=50, l=60, r=20))
    return figure


def _short(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "bytes":
        return f"{value / 2**20:.1f} MB"
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


def kernel_figures(variants, histories: dict | None = None) -> list:
    rows = [dict(v.to_dict(), model=v.kind) for v in variants]
    figures = [metric_bars(rows, "params", "Weights"), metric_bars(rows, "macs", "MACs"),
               metric_bars(rows, "activation_bytes", "Activation memory", "bytes")]
    if any(r.get("latency_ms") is not None for r in rows):
        figures.append(metric_bars(rows, "latency_ms", "Latency", "ms"))
    if histories:
        figures.append(loss_curves(histories, "Training loss, identical classifier and budget"))
    return figures
