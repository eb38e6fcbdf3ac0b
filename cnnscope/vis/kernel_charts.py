"""Plotly figures of the kernel study: the variants' costs side by side; the experiment's curves with a
band over seeds, accuracy against weights, the effective fields side by side.  The CLI's reports and
the app's Kernel study tab both use them."""

from __future__ import annotations

from cnnscope.i18n import _
from cnnscope.studies.kernels.verdict import curve_mean_sd
from cnnscope.vis.charts import PALETTE as COLOURS, _go, metric_bars


def kernel_figures(variants) -> list:
    """Weights, MACs, activation memory (and latency, when measured) of each variant, as bars."""
    rows = [dict(v.to_dict(), model=v.kind) for v in variants]
    figures = [metric_bars(rows, "params", _("Weights")), metric_bars(rows, "macs", "MACs"),
               metric_bars(rows, "activation_bytes", _("Activation memory"), "bytes")]
    if any(r.get("latency_ms") is not None for r in rows):
        figures.append(metric_bars(rows, "latency_ms", _("Latency"), "ms"))
    return figures


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[k:k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _band(curves: list[list]) -> tuple[list[int], list[float], list[float], list[float]]:
    points = curve_mean_sd(curves)
    return ([p[0] for p in points], [p[1] for p in points], [p[1] - p[2] for p in points],
            [p[1] + p[2] for p in points])


def curves_with_band(curves_by_variant: dict[str, list[list]], title: str, axis: str, percent: bool = False):
    """One line per variant (mean over seeds) and a band of mean ± sd; ``curves_by_variant``: kind -> per-seed
    lists of per-epoch values."""
    go = _go()
    figure = go.Figure()
    scale = 100.0 if percent else 1.0
    for k, (kind, curves) in enumerate(curves_by_variant.items()):
        colour = COLOURS[k % len(COLOURS)]
        epochs, mean, low, high = _band(curves)
        if not epochs:
            continue
        if len(curves) > 1:
            figure.add_trace(go.Scatter(x=epochs + epochs[::-1], y=[scale * v for v in high + low[::-1]],
                                        fill="toself", fillcolor=_rgba(colour, 0.18), line=dict(width=0),
                                        hoverinfo="skip", showlegend=False, name=f"{kind} ± sd"))
        # markers too: after one epoch a line has a single point, which a line alone does not draw
        figure.add_trace(go.Scatter(x=epochs, y=[scale * v for v in mean], mode="lines+markers", name=kind,
                                    line=dict(color=colour, width=2), marker=dict(color=colour, size=6)))
    figure.update_layout(title=title, xaxis_title=_("epoch"), yaxis_title=axis, height=380,
                         margin=dict(t=50, b=50, l=60, r=20))
    return figure


def accuracy_vs_weights(experiment):
    go = _go()
    figure = go.Figure()
    for k, v in enumerate(experiment.variants):
        data = experiment.results[v.kind].to_dict()
        if data["val_acc_mean"] is None:
            continue
        figure.add_trace(go.Scatter(
            x=[v.params], y=[100 * data["val_acc_mean"]], mode="markers+text", text=[v.kind], name=v.kind,
            textposition="top center", marker=dict(size=12, color=COLOURS[k % len(COLOURS)]),
            error_y=dict(type="data", array=[100 * (data["val_acc_sd"] or 0)], visible=True)))
    figure.update_layout(title=_("Final validation accuracy (mean ± sd over seeds) against weights"),
                         xaxis_title=_("weights of the variant"), yaxis_title=_("validation accuracy (%)"), height=400,
                         showlegend=False, margin=dict(t=50, b=50, l=60, r=20))
    return figure


def effective_fields(experiment):
    """The effective-field maps side by side (first seed, trained weights), each titled with its squares."""
    from plotly.subplots import make_subplots

    go = _go()
    maps = [(kind, r) for kind, r in experiment.results.items() if r.erf_map]
    if not maps:
        return None
    titles = []
    for kind, result in maps:
        erf = result.erf_mean() or {}
        titles.append(f"{kind}: 50% {erf.get('50%', 0):.3g}, 90% {erf.get('90%', 0):.3g}")
    figure = make_subplots(rows=1, cols=len(maps), subplot_titles=titles, horizontal_spacing=0.03)
    for k, (kind, result) in enumerate(maps, start=1):
        grid = result.erf_map
        peak = max((v for row in grid for v in row), default=0.0) or 1.0
        figure.add_trace(go.Heatmap(z=[[v / peak for v in row] for row in grid], colorscale="Viridis",
                                    showscale=(k == len(maps)), zmin=0, zmax=1, name=kind), row=1, col=k)
        figure.update_yaxes(autorange="reversed", showticklabels=False, scaleanchor=f"x{k if k > 1 else ''}",
                            row=1, col=k)
        figure.update_xaxes(showticklabels=False, row=1, col=k)
    rf = experiment.settings.rf
    figure.update_layout(title=_("Effective receptive fields (|∂unit/∂input|, centre unit, theoretical {rf}×{rf})").format(
        rf=rf),
                         height=330, margin=dict(t=80, b=20, l=20, r=20))
    return figure


def experiment_figures(experiment) -> list:
    results = experiment.results
    figures = [
        curves_with_band({k: r.values("val_acc") for k, r in results.items()},
                         _("Validation accuracy (mean ± sd over seeds)"), _("validation accuracy (%)"), percent=True),
        curves_with_band({k: r.values("train_loss") for k, r in results.items()},
                         _("Training loss (mean ± sd over seeds)"), _("training loss")),
        curves_with_band({k: r.values("val_loss") for k, r in results.items()},
                         _("Validation loss (mean ± sd over seeds)"), _("validation loss")),
        accuracy_vs_weights(experiment),
    ]
    fields = effective_fields(experiment)
    if fields is not None:
        figures.append(fields)
    return figures
