"""Plotly figures as static PNG pictures, drawn by matplotlib (Agg canvas: no browser, no kaleido):
the charts of a Markdown report, which cannot carry plotly's JavaScript.

Translates the traces cnnscope's charts use: bars, lines and markers (dash styles, colours, error
bars, text labels), filled bands (mean ± sd), log axes (powers of two), and heatmaps side by side.
"""

from __future__ import annotations

import io


def figure_png(figure) -> bytes:
    """A matplotlib rendering of a plotly figure's bar / line / marker traces (no browser needed);
    Chinese text (or the Chinese language) draws with the CJK font of ``vis/fonts.py``."""
    import matplotlib

    matplotlib.use("Agg")
    from cnnscope.vis import fonts

    with matplotlib.rc_context(fonts.matplotlib_rc(_texts(figure))):
        return _figure_png(figure)


def _texts(figure) -> list[str]:
    """Every piece of text the picture may draw: titles, axis titles, annotations, trace names and labels."""
    layout = figure.layout
    texts = [layout.title.text, layout.xaxis.title.text, layout.yaxis.title.text]
    texts += [a.text for a in layout.annotations or ()]
    for trace in figure.data:
        texts.append(trace.name)
        texts += [str(t) for t in (getattr(trace, "text", None) or ()) if not isinstance(getattr(trace, "text"), str)]
        texts += [v for v in (getattr(trace, "x", None) or ()) if isinstance(v, str)]
    return [t for t in texts if t]


def _figure_png(figure) -> bytes:
    import matplotlib.pyplot as plt

    layout = figure.layout
    if figure.data and all(trace.type == "heatmap" for trace in figure.data):
        return _heatmaps_png(figure, plt)
    fig, axis = plt.subplots(figsize=(7.5, 3.8), dpi=110)
    for trace in figure.data:
        name = trace.name or None
        if trace.type == "scatter" and trace.fill == "toself":  # a band (mean ± sd), drawn as a polygon
            axis.fill(list(trace.x), list(trace.y), color=_mpl_colour(trace.fillcolor), linewidth=0)
            continue
        if trace.type == "bar":
            x = [str(v) for v in trace.x]
            bars = axis.bar(x, [v if v is not None else 0 for v in trace.y], color="#5b7bb0")
            if trace.text is not None:
                axis.bar_label(bars, labels=[str(t) for t in trace.text], fontsize=8)
        else:
            mode = trace.mode or "lines"
            line = {"dot": ":", "dash": "--", "dashdot": "-."}.get(trace.line.dash, "-")
            style = (line if "lines" in mode else "") + ("o" if "markers" in mode else "")
            colour = _mpl_colour(trace.line.color or trace.marker.color)
            axis.plot(list(trace.x), list(trace.y), style, label=name, markersize=4,
                      **({"color": colour} if colour else {}))
            if trace.error_y is not None and trace.error_y.array is not None:
                axis.errorbar(list(trace.x), list(trace.y), yerr=list(trace.error_y.array), fmt="none",
                              capsize=3, **({"ecolor": colour} if colour else {}))
            if "text" in mode and trace.text is not None:
                for x, y, t in zip(trace.x, trace.y, trace.text):
                    axis.annotate(str(t), (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
    if layout.xaxis.type == "log":
        axis.set_xscale("log")
    if layout.yaxis.type == "log":
        if layout.yaxis.dtick is not None and abs(float(layout.yaxis.dtick) - 0.30103) < 1e-3:  # powers of two
            from matplotlib.ticker import FuncFormatter

            axis.set_yscale("log", base=2)
            axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        else:
            axis.set_yscale("log")
    axis.set_title(layout.title.text or "")
    axis.set_xlabel(layout.xaxis.title.text or "")
    axis.set_ylabel(layout.yaxis.title.text or "")
    if len([t for t in figure.data if t.showlegend is not False]) > 1 and figure.layout.showlegend is not False:
        axis.legend(fontsize=8)
    axis.grid(alpha=0.3)
    return _png(fig, plt)


def _mpl_colour(colour):
    """A plotly colour string (#rrggbb or rgba(r,g,b,a)) as matplotlib takes it; None when not one."""
    if not isinstance(colour, str):
        return None
    if colour.startswith("#"):
        return colour
    if colour.startswith("rgba(") or colour.startswith("rgb("):
        values = [float(v) for v in colour[colour.index("(") + 1:-1].split(",")]
        return tuple(v / 255 for v in values[:3]) + ((values[3],) if len(values) > 3 else ())
    return None


def _heatmaps_png(figure, plt) -> bytes:
    """Heatmap traces (one per subplot), side by side, titled with the subplot titles."""
    traces = list(figure.data)
    titles = [a.text for a in figure.layout.annotations] if figure.layout.annotations else []
    fig, axes = plt.subplots(1, len(traces), figsize=(min(2.4 * len(traces), 12), 2.9), dpi=110, squeeze=False)
    for k, (trace, axis) in enumerate(zip(traces, axes[0])):
        axis.imshow([list(row) for row in trace.z], cmap="viridis", vmin=trace.zmin, vmax=trace.zmax)
        axis.set_xticks([])
        axis.set_yticks([])
        axis.set_title(titles[k] if k < len(titles) else (trace.name or ""), fontsize=8)
    fig.suptitle(figure.layout.title.text or "", fontsize=9)
    return _png(fig, plt)


def _png(fig, plt) -> bytes:
    """``fig`` laid out and saved as PNG bytes, then closed (pyplot keeps every figure until closed)."""
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
