"""The loss curves of a run: a plotly figure (``loss.html``) and a matplotlib PNG (``loss.png``).

Step losses are drawn at fractional epochs (step k of an n-step epoch e sits at e − 1 + k/n) so
that they line up with the per-epoch train/validation losses; accuracy is on a second axis.
Both libraries are imported only here, and only when a picture is asked for; matplotlib draws
through its Agg canvas, without pyplot, so that no global backend state is touched.
"""

from __future__ import annotations

import io
import math

from cnnscope.train.history import TrainHistory


def curves(history: TrainHistory) -> dict[str, tuple[list, list]]:
    """Named (x, y) series; non-finite values are left out."""
    per_epoch: dict[int, int] = {}
    for record in history.steps:
        per_epoch[record.epoch] = per_epoch.get(record.epoch, 0) + 1
    seen: dict[int, int] = {}
    step_x, step_y = [], []
    for record in history.steps:
        seen[record.epoch] = seen.get(record.epoch, 0) + 1
        if _ok(record.loss):
            step_x.append(record.epoch - 1 + seen[record.epoch] / per_epoch[record.epoch])
            step_y.append(record.loss)
    series = {"step loss": (step_x, step_y)}
    for key, label in (("train_loss", "train loss"), ("val_loss", "validation loss"),
                       ("train_acc", "train accuracy"), ("val_acc", "validation accuracy")):
        points = [(e.epoch, getattr(e, key)) for e in history.epochs if _ok(getattr(e, key))]
        series[label] = ([p[0] for p in points], [p[1] for p in points])
    return series


def title(history: TrainHistory) -> str:
    config = history.config
    parts = [str(config.get("model", "model")), "on", str(config.get("dataset", "data"))]
    if history.best_val_acc is not None:
        parts.append(f"· best validation accuracy {history.best_val_acc:.1%}")
    return " ".join(parts)


def loss_figure(history: TrainHistory):
    import plotly.graph_objects as go

    series = curves(history)
    figure = go.Figure()
    x, y = series["step loss"]
    figure.add_trace(go.Scatter(x=x, y=y, name="step loss", mode="lines", line={"width": 1, "color": "#9ecae1"}))
    for label, color, dash in (("train loss", "#1f77b4", None), ("validation loss", "#d62728", None),
                               ("train accuracy", "#1f77b4", "dot"), ("validation accuracy", "#d62728", "dot")):
        x, y = series[label]
        if x:
            figure.add_trace(go.Scatter(x=x, y=y, name=label, mode="lines+markers",
                                        line={"color": color, "dash": dash},
                                        yaxis="y2" if "accuracy" in label else "y"))
    figure.update_layout(title=title(history), xaxis={"title": "epoch"},
                         yaxis={"title": "cross-entropy loss", "rangemode": "tozero"},
                         yaxis2={"title": "accuracy", "overlaying": "y", "side": "right", "range": [0, 1],
                                 "tickformat": ".0%"},
                         legend={"orientation": "h", "y": -0.2}, template="plotly_white")
    return figure


def loss_html(history: TrainHistory) -> str:
    """A self-contained page (plotly.js embedded), so that it opens without a network."""
    return loss_figure(history).to_html(include_plotlyjs=True, full_html=True)


def loss_png(history: TrainHistory, dpi: int = 110) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    series = curves(history)
    figure = Figure(figsize=(8, 4.5), dpi=dpi)
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    x, y = series["step loss"]
    ax.plot(x, y, color="#9ecae1", linewidth=0.8, label="step loss")
    for label, color in (("train loss", "#1f77b4"), ("validation loss", "#d62728")):
        x, y = series[label]
        if x:
            ax.plot(x, y, marker="o", color=color, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    acc = ax.twinx()
    for label, color in (("train accuracy", "#1f77b4"), ("validation accuracy", "#d62728")):
        x, y = series[label]
        if x:
            acc.plot(x, y, linestyle=":", marker=".", color=color, label=label)
    acc.set_ylim(0, 1)
    acc.set_ylabel("accuracy")
    handles = ax.get_legend_handles_labels()
    more = acc.get_legend_handles_labels()
    ax.legend(handles[0] + more[0], handles[1] + more[1], loc="center right", fontsize="small")
    ax.set_title(title(history), fontsize="medium")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _ok(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
