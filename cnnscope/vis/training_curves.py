"""The curves of a run (``loss.html``, ``loss.png``) and of several runs laid over each other
(``cnnscope runs``): plotly figures and matplotlib PNGs.

What is drawn, from the history alone:

* the training loss of every step, raw (faint) and smoothed (an exponential moving average,
  debiased so that it starts at the first loss, with a span of a tenth of an epoch, at most 50 steps);
* the per-epoch training loss, validation loss and validation accuracy (second axis);
* the best epoch (highest validation accuracy, see ``TrainHistory.best_epoch``), marked;
* the learning rate, on its own axis, only when it changes during the run.

Step k of epoch e sits at x = e − 1 + k / steps_per_epoch, with ``steps_per_epoch`` the steps of
a *full* epoch (``config.steps_per_epoch``), so an interrupted epoch ends where it stopped
instead of being stretched over the whole epoch.  Epoch records sit at x = e.
Both libraries are imported only here, and only when a picture is asked for; matplotlib draws
through its Agg canvas, without pyplot, so that no global backend state is touched.
"""

from __future__ import annotations

import functools
import io
import math

from cnnscope import units
from cnnscope.i18n import N_, _, ngettext
from cnnscope.train.history import TrainHistory

# The series' names (the keys of ``curves``) as the legends say them.
SERIES_NAMES = (N_("step loss"), N_("smoothed loss"), N_("train loss"), N_("validation loss"), N_("train accuracy"),
                N_("validation accuracy"), N_("learning rate"))
RAW, SMOOTH = "#9ecae1", "#1f77b4"
VAL_LOSS, VAL_ACC, TRAIN_ACC, LR = "#d62728", "#2ca02c", "#98df8a", "#7f7f7f"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
           "#7f7f7f")


def step_positions(history: TrainHistory) -> list[float]:
    """The x (in epochs) of every recorded step, non-finite ones included."""
    per_epoch = history.steps_per_epoch or 1
    seen: dict[int, int] = {}
    positions = []
    for record in history.steps:
        seen[record.epoch] = seen.get(record.epoch, 0) + 1
        positions.append(record.epoch - 1 + seen[record.epoch] / per_epoch)
    return positions


def smooth(values: list[float], span: float) -> list[float]:
    """Debiased exponential moving average with weight 1 − 1/span (TensorBoard's smoothing)."""
    beta = 1.0 - 1.0 / max(span, 1.0)
    out, average, weight = [], 0.0, 0.0
    for value in values:
        average = beta * average + (1 - beta) * value
        weight = beta * weight + (1 - beta)
        out.append(average / weight)
    return out


def curves(history: TrainHistory) -> dict[str, tuple[list, list]]:
    """Named (x, y) series; non-finite values are left out.

    "step loss", "smoothed loss", "train loss", "validation loss", "train accuracy",
    "validation accuracy", "best epoch" (one point on the validation accuracy, or on the training
    loss without validation), and "learning rate" (empty unless it changes)."""
    points = [(x, r.loss) for x, r in zip(step_positions(history), history.steps) if _ok(r.loss)]
    step_x, step_y = [p[0] for p in points], [p[1] for p in points]
    span = min(50.0, max(1.0, (history.steps_per_epoch or 10) / 10))
    series = {"step loss": (step_x, step_y), "smoothed loss": (step_x, smooth(step_y, span))}
    for key, label in (("train_loss", "train loss"), ("val_loss", "validation loss"),
                       ("train_acc", "train accuracy"), ("val_acc", "validation accuracy")):
        kept = [(e.epoch, getattr(e, key)) for e in history.epochs if _ok(getattr(e, key))]
        series[label] = ([p[0] for p in kept], [p[1] for p in kept])
    best = history.best_epoch
    if best is None:
        series["best epoch"] = ([], [])
    else:
        value = best.val_acc if _ok(best.val_acc) else best.train_loss
        series["best epoch"] = ([best.epoch], [value])
    rates = [(e.epoch, e.lr) for e in history.epochs if _ok(e.lr)]
    changes = len({lr for unused, lr in rates}) > 1
    series["learning rate"] = ([p[0] for p in rates], [p[1] for p in rates]) if changes else ([], [])
    return series


def title(history: TrainHistory) -> str:
    config = history.config
    parts = [_("{model} on {dataset}").format(model=config.get("model", _("model")),
                                              dataset=config.get("dataset", _("data")))]
    best = history.best_epoch
    if best is not None and best.val_acc is not None:
        parts.append(_("· best validation accuracy {percent} (epoch {epoch})").format(
            percent=units.percent(best.val_acc), epoch=best.epoch))
    if history.status not in ("completed", "running", "unknown"):
        parts.append(f"· {_(history.status)}")
    return " ".join(parts)


def loss_figure(history: TrainHistory):
    import plotly.graph_objects as go

    series = curves(history)
    figure = go.Figure()
    x, y = series["step loss"]
    figure.add_trace(go.Scatter(x=x, y=y, name=_("step loss"), mode="lines", opacity=0.45,
                                line={"width": 1, "color": RAW}))
    x, y = series["smoothed loss"]
    figure.add_trace(go.Scatter(x=x, y=y, name=_("smoothed loss"), mode="lines",
                                line={"width": 2, "color": SMOOTH}))
    for label, color, dash, axis in (("train loss", SMOOTH, "dot", "y"), ("validation loss", VAL_LOSS, None, "y"),
                                     ("train accuracy", TRAIN_ACC, "dot", "y2"),
                                     ("validation accuracy", VAL_ACC, None, "y2")):
        x, y = series[label]
        if x:
            figure.add_trace(go.Scatter(x=x, y=y, name=_(label), mode="lines+markers", yaxis=axis,
                                        line={"color": color, "dash": dash}))
    x, y = series["best epoch"]
    if x:
        on_acc = _ok(history.best_epoch.val_acc)
        figure.add_trace(go.Scatter(x=x, y=y, name=_("best epoch ({epoch})").format(epoch=x[0]), mode="markers",
                                    yaxis="y2" if on_acc else "y",
                                    marker={"symbol": "star", "size": 14, "color": "#ff7f0e"}))
        figure.add_vline(x=x[0], line={"color": "#ff7f0e", "width": 1, "dash": "dot"})
    # ticks every 20 % of their own: a front end that syncs overlaid axes (Streamlit) would put them at
    # the loss axis' gridlines otherwise (0, 21, 41, 62, 83 %)
    layout = {"yaxis2": {"title": _("accuracy"), "overlaying": "y", "side": "right", "range": [0, 1],
                         "tickformat": ".0%", "tickmode": "linear", "tick0": 0, "dtick": 0.2, "showgrid": False}}
    x, y = series["learning rate"]
    if x:
        figure.add_trace(go.Scatter(x=x, y=y, name=_("learning rate"), mode="lines+markers", yaxis="y3",
                                    line={"color": LR, "shape": "hv", "width": 1}))
        layout["yaxis3"] = {"title": "lr", "overlaying": "y", "side": "right", "type": "log", "anchor": "free",
                            "position": 1.0, "showgrid": False}
        layout["xaxis"] = {"title": _("epoch"), "domain": [0, 0.9]}
    figure.update_layout(title=title(history), xaxis=layout.pop("xaxis", {"title": _("epoch")}),
                         yaxis={"title": _("cross-entropy loss"), "rangemode": "tozero"}, **layout,
                         legend={"orientation": "h", "y": -0.2}, template="plotly_white")
    return figure


def loss_html(history: TrainHistory) -> str:
    """A self-contained page (plotly.js embedded), so that it opens without a network."""
    return loss_figure(history).to_html(include_plotlyjs=True, full_html=True)


def _in_fonts(draw):
    """``draw`` (a matplotlib picture) with the fonts of the reader's language: a CJK font for Chinese."""
    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        import matplotlib

        from cnnscope.vis import fonts

        with matplotlib.rc_context(fonts.matplotlib_rc()):
            return draw(*args, **kwargs)

    return drawn


@_in_fonts
def loss_png(history: TrainHistory, dpi: int = 110) -> bytes:
    series = curves(history)
    figure, ax = _mpl_figure(dpi)
    x, y = series["step loss"]
    ax.plot(x, y, color=RAW, linewidth=0.7, alpha=0.6, label=_("step loss"))
    x, y = series["smoothed loss"]
    ax.plot(x, y, color=SMOOTH, linewidth=1.6, label=_("smoothed loss"))
    for label, color, style in (("train loss", SMOOTH, ":"), ("validation loss", VAL_LOSS, "-")):
        x, y = series[label]
        if x:
            ax.plot(x, y, marker="o", linestyle=style, color=color, label=_(label))
    _loss_axis(ax)
    acc = ax.twinx()
    for label, color, style in (("train accuracy", TRAIN_ACC, ":"), ("validation accuracy", VAL_ACC, "-")):
        x, y = series[label]
        if x:
            acc.plot(x, y, linestyle=style, marker=".", color=color, label=_(label))
    acc.set_ylim(0, 1)
    acc.set_ylabel(_("accuracy"))
    x, y = series["best epoch"]
    if x:
        target = acc if _ok(history.best_epoch.val_acc) else ax
        target.plot(x, y, marker="*", markersize=14, color="#ff7f0e", linestyle="none",
                    label=_("best epoch ({epoch})").format(epoch=x[0]))
        ax.axvline(x[0], color="#ff7f0e", linewidth=0.8, linestyle=":")
    handles = [ax.get_legend_handles_labels(), acc.get_legend_handles_labels()]
    x, y = series["learning rate"]
    if x:
        lr = ax.twinx()
        lr.spines["right"].set_position(("axes", 1.12))
        lr.step(x, y, where="post", color=LR, linewidth=1, label=_("learning rate"))
        lr.set_yscale("log")
        lr.set_ylabel("lr")
        handles.append(lr.get_legend_handles_labels())
    ax.legend([h for hs, unused in handles for h in hs], [n for unused, ns in handles for n in ns], loc="center right",
              fontsize="small")
    ax.set_title(title(history), fontsize="medium")
    return _png(figure)


# --- several runs ------------------------------------------------------------------------------


def overlay_title(runs: dict[str, TrainHistory]) -> str:
    return ngettext("{n} training run: smoothed training loss (solid), validation loss (dashed), validation accuracy",
                    "{n} training runs: smoothed training loss (solid), validation loss (dashed), validation accuracy",
                    len(runs)).format(n=len(runs))


def runs_figure(runs: dict[str, TrainHistory]):
    """Several runs over each other: per run one colour; smoothed step loss (solid) and validation
    loss (dashed) on the loss axis, validation accuracy (dotted, markers) in a second panel, the
    best epoch as a star."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.06)
    for index, (label, history) in enumerate(runs.items()):
        color = PALETTE[index % len(PALETTE)]
        series = curves(history)
        x, y = series["smoothed loss"]
        figure.add_trace(go.Scatter(x=x, y=y, name=_("{run}: train loss (smoothed)").format(run=label),
                                    legendgroup=label,
                                    mode="lines", line={"color": color, "width": 1.5}), row=1, col=1)
        x, y = series["validation loss"]
        if x:
            figure.add_trace(go.Scatter(x=x, y=y, name=_("{run}: validation loss").format(run=label),
                                        legendgroup=label,
                                        mode="lines+markers", line={"color": color, "dash": "dash"}), row=1, col=1)
        x, y = series["validation accuracy"]
        if x:
            figure.add_trace(go.Scatter(x=x, y=y, name=_("{run}: validation accuracy").format(run=label),
                                        legendgroup=label,
                                        mode="lines+markers", line={"color": color, "dash": "dot"}), row=2, col=1)
            best = history.best_epoch
            figure.add_trace(go.Scatter(x=[best.epoch], y=[best.val_acc], name=_("{run}: best epoch {epoch}").format(run=label, epoch=best.epoch),
                                        legendgroup=label, mode="markers", showlegend=False,
                                        marker={"symbol": "star", "size": 13, "color": color}), row=2, col=1)
    figure.update_yaxes(title_text=_("cross-entropy loss"), rangemode="tozero", row=1, col=1)
    figure.update_yaxes(title_text=_("validation accuracy"), tickformat=".0%", range=[0, 1], row=2, col=1)
    figure.update_xaxes(title_text=_("epoch"), row=2, col=1)
    figure.update_layout(title=overlay_title(runs), template="plotly_white", legend={"orientation": "h", "y": -0.15},
                         height=700)
    return figure


def runs_html(runs: dict[str, TrainHistory]) -> str:
    return runs_figure(runs).to_html(include_plotlyjs=True, full_html=True)


@_in_fonts
def runs_png(runs: dict[str, TrainHistory], dpi: int = 110) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 6.5), dpi=dpi)
    FigureCanvasAgg(figure)
    ax, acc = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    for index, (label, history) in enumerate(runs.items()):
        color = PALETTE[index % len(PALETTE)]
        series = curves(history)
        x, y = series["smoothed loss"]
        ax.plot(x, y, color=color, linewidth=1.3, label=_("{run}: train loss (smoothed)").format(run=label))
        x, y = series["validation loss"]
        if x:
            ax.plot(x, y, color=color, linestyle="--", marker="o", markersize=3, label=_("{run}: validation loss").format(run=label))
        x, y = series["validation accuracy"]
        if x:
            acc.plot(x, y, color=color, linestyle=":", marker=".", label=label)
            best = history.best_epoch
            acc.plot([best.epoch], [best.val_acc], marker="*", markersize=12, color=color, linestyle="none")
    _loss_axis(ax)
    ax.set_xlabel("")
    ax.legend(fontsize="x-small", loc="upper right")
    acc.set_ylim(0, 1)
    acc.set_ylabel(_("validation accuracy"))
    acc.set_xlabel(_("epoch"))
    acc.grid(alpha=0.3)
    ax.set_title(overlay_title(runs), fontsize="medium")
    return _png(figure)


def _mpl_figure(dpi: int):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4.5), dpi=dpi)
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _loss_axis(ax) -> None:
    ax.set_xlabel(_("epoch"))
    ax.set_ylabel(_("cross-entropy loss"))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)


def _png(figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _ok(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
