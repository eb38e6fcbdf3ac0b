"""A layer's activations as a grid, with channel numbers and per-map min / max / mean."""

from __future__ import annotations

import numpy as np

from cnnscope.i18n import _
from cnnscope.vis.captions import with_title
from cnnscope.vis.grid import compose, normalise, to_uint8

MAX_MAPS = 64


def select_channels(activation: np.ndarray, top: int | None, max_maps: int = MAX_MAPS) -> tuple[list[int], str]:
    """Channel indices to draw: the ``top`` most active (by mean absolute value) or the first ones."""
    channels = activation.shape[0]
    if top is not None:
        order = np.argsort(-np.abs(activation).reshape(channels, -1).mean(axis=1), kind="stable")
        chosen = [int(c) for c in order[:min(top, max_maps)]]
        note = _("the {n} most active of {total} channels (mean |activation|)").format(n=len(chosen), total=channels)
        if top > max_maps:
            note = _("{note}; capped at {n}").format(note=note, n=max_maps)
        return chosen, note
    chosen = list(range(min(channels, max_maps)))
    return chosen, (_("the first {n} of {total} channels (use --top K to pick the most active)").format(
        n=max_maps, total=channels) if channels > max_maps else "")


def feature_grid(activation: np.ndarray, title: str, top: int | None = None, max_maps: int = MAX_MAPS):
    """``activation``: C × H × W (one image).  Each map is normalised on its own.  A 1-D output (a
    Linear layer's) is a bar chart of its values (``value_bars``), not a row of flat squares."""
    if activation.ndim == 1:
        return value_bars(activation, title, top=top)
    if activation.ndim == 2:
        activation = activation[None]
    chosen, note = select_channels(activation, top, max_maps)
    tiles, labels = [], []
    for c in chosen:
        fmap = activation[c]
        tiles.append(to_uint8(normalise(fmap)))
        labels.append(f"#{c}\n{fmap.min():.2g} / {fmap.max():.2g} / {fmap.mean():.2g}")
    footer = _("labels: channel, then min / max / mean")
    footer = _("{first}; {second}").format(first=footer, second=note) if note else footer
    # the title wrapped to the grid's width (with_title), so that a long one does not shrink the tiles
    return with_title(compose(tiles, labels, "", tile_px=96, footer=footer), title, skip_top=24)


MAX_BARS = 32


def bar_units(values: np.ndarray, top: int | None = None, max_bars: int = MAX_BARS) -> tuple[list[int], str]:
    """The units ``value_bars`` draws: all, in order, when they fit (``top`` and ``max_bars``); else the
    largest values, largest first (for an output layer: the classes the model favours)."""
    count = len(values)
    limit = min(max_bars, top or max_bars)
    if count <= limit:
        return list(range(count)), ""
    return [int(k) for k in np.argsort(-np.asarray(values), kind="stable")[:limit]], _("the {n} largest of {total} values").format(n=limit, total=count)


def value_bars(values: np.ndarray, title: str, names=None, top: int | None = None, max_bars: int = MAX_BARS):
    """A 1-D output as horizontal bars from a zero line, one per unit, labelled with ``names`` (class
    names at the output layer) or ``#k``, its value written beside it.  Up to ``max_bars`` units are
    drawn in their order; more (or ``top`` fewer): the largest values, the largest first."""
    from PIL import Image, ImageDraw

    from cnnscope.vis import fonts

    values = np.asarray(values, dtype=np.float64).reshape(-1)
    count = len(values)
    labels = [str(n) for n in names] if names is not None and len(names) == count else [f"#{k}" for k in range(count)]
    chosen, note = bar_units(values, top, max_bars)
    size, row_h, gap = 11, 16, 8
    shown = [labels[k][:28] for k in chosen]
    label_w = max(fonts.width(t, size) for t in shown) + 6
    number_w = max(fonts.width(f"{values[k]:.3g}", size) for k in chosen) + 6
    plot_w = 220
    low, high = min(0.0, float(values[chosen].min())), max(0.0, float(values[chosen].max()))
    span = (high - low) or 1.0
    footer = _("bars: the layer's output values")
    footer = _("{first}; {second}").format(first=footer, second=note) if note else footer
    width = max(gap + label_w + plot_w + 2 * number_w + gap, fonts.width(footer, size) + 2 * gap)
    header = 6
    canvas = Image.new("RGB", (width, header + row_h * len(chosen) + 26), (255, 255, 255))
    pen = ImageDraw.Draw(canvas)
    x0 = gap + label_w + number_w  # room for a negative value's number left of its bar
    zero = x0 + round((0 - low) / span * plot_w)
    for row, (k, label) in enumerate(zip(chosen, shown)):
        y = header + row * row_h
        end = x0 + round((values[k] - low) / span * plot_w)
        fonts.text(pen, (gap, y + 1), label, (40, 40, 40), size=size)
        pen.rectangle([min(zero, end), y + 3, max(zero, end), y + row_h - 3],
                      fill=(31, 119, 180) if values[k] >= 0 else (214, 39, 40))
        text = f"{values[k]:.3g}"
        at = end + 4 if values[k] >= 0 else end - 4 - fonts.width(text, size)
        fonts.text(pen, (at, y + 1), text, (60, 60, 60), size=size)
    pen.line([(zero, header), (zero, header + row_h * len(chosen))], fill=(120, 120, 120))
    fonts.text(pen, (gap, canvas.height - 20), footer, (120, 60, 0), size=size)
    return with_title(canvas, title)
