"""The Plotly figures of the Explain page: a feature map a visitor clicks, and the small heat maps of one
unit's arithmetic (the input patch, the kernel, the products).  Plain data in, a figure out: no Streamlit,
so a benchmark can time them as the page builds them.

Plotly heat maps do not report a click as a selected point, so the feature map carries a transparent
scatter with one point per cell on top of the heat map: clicking a cell selects that point, whose x
and y are the cell's column and row.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnscope.i18n import _

ANNOTATE_CELLS = 49  # heat maps up to 7×7 carry their numbers in the cells
MAP_HEIGHT = 420
COLOURS = "RdBu_r"  # diverging: negative blue, zero white, positive red (feature maps and weights are signed)
MARK = "#10b010"
SVG_POINTS = 64 * 64
CONFIG = {"displayModeBar": False}  # no toolbar over the title; a click selects, it does not zoom


def _rounded(values: np.ndarray) -> np.ndarray:
    """Four significant digits for the browser: the exact numbers are in the panel, the map is a picture."""
    values = np.asarray(values, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(values == 0, 1.0, 10.0 ** (3 - np.floor(np.log10(np.abs(values)))))
    return np.where(np.isfinite(values), np.round(values * scale) / scale, np.nan).astype(np.float32)


def feature_map(values: np.ndarray, title: str, selected: tuple[int, int] | None,
                x_title: str | None = None, y_title: str | None = None) -> go.Figure:
    """A clickable H×W map (row 0 at the top, as in an image) with ``selected`` (y, x) framed."""
    x_title = x_title or _("X (column)")
    y_title = y_title or _("Y (row)")
    values = np.asarray(values)
    height, width = values.shape
    rows, columns = np.divmod(np.arange(height * width), width)
    z = _rounded(values)
    figure = go.Figure([
        go.Heatmap(z=z, colorscale=COLOURS, zmid=0, hoverinfo="skip", colorbar={"thickness": 12}),
        # one invisible point per cell: what a click selects (hover shows the cell's value)
        # SVG points up to 64×64 (no WebGL context to start on each redraw); WebGL for big maps
        (go.Scatter if height * width <= SVG_POINTS else go.Scattergl)(
            x=columns, y=rows, mode="markers", customdata=z.reshape(-1),
                     marker={"size": max(4, min(24, 360 // max(height, width))), "opacity": 0},
                     selected={"marker": {"opacity": 0}}, unselected={"marker": {"opacity": 0}},
                     hovertemplate=f"{y_title.split()[0]} %{{y}}, {x_title.split()[0]} %{{x}}: "
                                   "%{customdata:.4g}<extra></extra>", showlegend=False)])
    if selected is not None:
        y, x = selected
        figure.add_shape(type="rect", x0=x - 0.5, x1=x + 0.5, y0=y - 0.5, y1=y + 0.5,
                         line={"color": MARK, "width": 3})
    figure.update_layout(title={"text": title, "font": {"size": 13}}, height=MAP_HEIGHT,
                         margin={"l": 40, "r": 10, "t": 40, "b": 40}, dragmode=False, clickmode="event+select",
                         hovermode="closest")
    figure.update_xaxes(title=x_title, range=[-0.5, width - 0.5], constrain="domain", showgrid=False, zeroline=False)
    figure.update_yaxes(title=y_title, range=[height - 0.5, -0.5], scaleanchor="x", constrain="domain",
                        showgrid=False, zeroline=False)
    return figure


def value_bars(values: np.ndarray, title: str, selected: int | None, names: list[str] | None = None) -> go.Figure:
    """A clickable bar per output of a 1-D row (a linear row, the logits), ``selected`` in green."""
    values = np.asarray(values, dtype=np.float64)
    colours = np.where(np.arange(len(values)) == (selected if selected is not None else -1), MARK, "#7f7f7f")
    hover = names if names is not None and len(names) == len(values) else [f"{k}" for k in range(len(values))]
    figure = go.Figure(go.Bar(x=np.arange(len(values)), y=_rounded(values), marker_color=colours, customdata=hover,
                              hovertemplate="%{x} (%{customdata}): %{y:.4g}<extra></extra>"))
    figure.update_layout(title={"text": title, "font": {"size": 13}}, height=320, dragmode=False,
                         margin={"l": 40, "r": 10, "t": 40, "b": 40}, clickmode="event+select", showlegend=False)
    figure.update_xaxes(title=_("output (click a bar)"))
    return figure


def small_heat(values: np.ndarray, title: str, x_title: str = "kx", y_title: str = "ky",
               marked: tuple[int, int] | None = None) -> go.Figure:
    """A kernel-sized heat map; up to 7×7 with every number written in its cell.  NaN: no input there."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[None]
    height, width = values.shape
    text = values.size <= ANNOTATE_CELLS
    figure = go.Figure(go.Heatmap(z=_rounded(values), colorscale=COLOURS, zmid=0, showscale=not text,
                                  texttemplate=("%{z:.3g}" if width <= 5 else "%{z:.2g}") if text else None,
                                  textfont={"size": 11},
                                  hovertemplate=f"{y_title} %{{y}}, {x_title} %{{x}}: %{{z:.6g}}<extra></extra>",
                                  colorbar={"thickness": 10}))
    if marked is not None:
        y, x = marked
        figure.add_shape(type="rect", x0=x - 0.5, x1=x + 0.5, y0=y - 0.5, y1=y + 0.5, line={"color": MARK, "width": 3})
    side = 300
    figure.update_layout(title={"text": title, "font": {"size": 12}}, height=side,
                         margin={"l": 30, "r": 10, "t": 36, "b": 30}, dragmode=False)
    figure.update_xaxes(title=x_title, range=[-0.5, width - 0.5], dtick=1 if width <= 11 else None, constrain="domain",
                        showgrid=False, zeroline=False)
    figure.update_yaxes(title=y_title, range=[height - 0.5, -0.5], dtick=1 if height <= 11 else None, scaleanchor="x",
                        constrain="domain", showgrid=False, zeroline=False)
    return figure


def kernel_planes(e, channel_index: int) -> dict[str, np.ndarray] | None:
    """(patch, kernel, products) of one input channel of a 1-D or 2-D convolution, as 2-D arrays; None
    for other rows.  ``channel_index`` counts within the unit's group (0 .. in_channels/groups − 1)."""
    if e.kernel is None or e.patch is None or e.kernel.ndim not in (2, 3):
        return None
    take = (lambda a: a[channel_index]) if e.kernel.ndim == 3 else (lambda a: a[channel_index][None])
    return {"patch": take(e.patch), "kernel": take(e.kernel), "products": take(e.products)}


def window_grid(e) -> tuple[np.ndarray, tuple[int, int] | None, tuple[int, int]] | None:
    """A 2-D pool's window as a grid (NaN where the window lies in padding), the winner's cell within it
    (max pooling) and the window's first input position; None for other rows."""
    cells = e.details.get("window") if e.kind in ("max_pool", "avg_pool", "adaptive_pool") else None
    if not cells or len(cells[0]["at"]) != 2:
        return None
    ys = sorted({c["at"][0] for c in cells})
    xs = sorted({c["at"][1] for c in cells})
    grid = np.full((len(ys), len(xs)), np.nan)
    for cell in cells:
        grid[ys.index(cell["at"][0]), xs.index(cell["at"][1])] = cell["input"]
    winner = e.details.get("winner")
    marked = None
    if winner and winner["at"][0] in ys and winner["at"][1] in xs:
        marked = (ys.index(winner["at"][0]), xs.index(winner["at"][1]))
    return grid, marked, (ys[0], xs[0])
