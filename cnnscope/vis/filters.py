"""Convolution kernels as pictures: RGB tiles for 3-channel kernels, one grey tile per input
channel otherwise; normalised per filter (default) or on one shared scale."""

from __future__ import annotations

import math

import numpy as np

from cnnscope.i18n import N_, _
from cnnscope.vis.captions import with_title, wrap
from cnnscope.vis.grid import compose, normalise, to_uint8

GRID_HEADER = 24  # compose's title band (30 px) less the gap its tiles keep above them

MAX_FILTERS = 256
MAX_GREY_FILTERS = 64  # filters of more than one grey input channel: a row each, so fewer
MAX_INPUT_CHANNELS = 8
MIN_LINE_TAPS = 8  # 1 × k kernels at least this long are drawn as line plots


def is_line_kernel(weight: np.ndarray) -> bool:
    """Conv1d-like (1 × k, k >= MIN_LINE_TAPS) kernels: drawn as line plots, a 1-pixel strip says little."""
    return weight.shape[2] == 1 and weight.shape[3] >= MIN_LINE_TAPS


def filter_tiles(weight: np.ndarray, shared_scale: bool = False, max_filters: int = MAX_FILTERS,
                 max_channels: int = MAX_INPUT_CHANNELS) -> tuple[list, list[str], str]:
    """(tiles, labels, note) for a weight of shape out × in × kh × kw."""
    out_channels, in_channels = weight.shape[:2]
    shown = weight[:max_filters]
    notes = []
    if out_channels > max_filters:
        notes.append(_("showing the first {shown} of {total} filters").format(shown=max_filters, total=out_channels))
    low, high = (float(weight.min()), float(weight.max())) if shared_scale else (None, None)
    tiles, labels = [], []
    one_d = is_line_kernel(weight)
    for index, kernel in enumerate(shown):
        if one_d:
            channels = min(in_channels, max_channels)
            scaled = normalise(kernel[:channels], low, high)
            for c in range(channels):
                tiles.append(line_tile(scaled[c][0]))
                labels.append(f"#{index}" + (f".{c}" if in_channels > 1 else ""))
            continue
        if in_channels == 3:
            scaled = normalise(kernel, low, high)  # per filter over all three channels: colours stay true
            tiles.append(to_uint8(scaled.transpose(1, 2, 0)))
            labels.append(f"#{index}")
            continue
        channels = min(in_channels, max_channels)
        scaled = normalise(kernel[:channels], low, high)
        for c in range(channels):
            tiles.append(to_uint8(scaled[c]))
            labels.append(f"#{index}" + (f".{c}" if in_channels > 1 else ""))
    if in_channels not in (1, 3) and in_channels > max_channels:
        notes.append(_("first {shown} of {total} input channels per filter").format(shown=max_channels,
                                                                                       total=in_channels))
    return tiles, labels, "; ".join(notes)


def line_tile(values: np.ndarray, width: int = 96, height: int = 40) -> np.ndarray:
    """A 1-D kernel (values in 0..1) as a grey line plot: taps left to right, the value upwards."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (width, height), 255)
    pen = ImageDraw.Draw(image)
    taps = len(values)
    points = [(round(k * (width - 1) / max(taps - 1, 1)), round((1 - float(v)) * (height - 3)) + 1)
              for k, v in enumerate(values)]
    pen.line([(0, height // 2), (width - 1, height // 2)], fill=200)  # the middle of the scale
    pen.line(points, fill=0, width=1)
    return np.asarray(image, dtype=np.uint8)


MAX_COLUMNS = 6  # filters per row: ~70 px cells stay readable when a phone (400 px) shrinks the picture
TILE_PX = 64


def filter_grid(weight: np.ndarray, title: str, shared_scale: bool = False, max_filters: int | None = None):
    """The kernels of ``weight`` (out × in × kh × kw) on a grid of at most ``MAX_COLUMNS`` filters a row
    (grey kernels: one row per filter, a tile per input channel), with a colour bar that says what
    the shades mean: weight values on one shared scale, or each filter stretched on its own.
    ``max_filters``: the first that many (default ``MAX_FILTERS``, ``MAX_GREY_FILTERS`` for a row per filter)."""
    in_channels = weight.shape[1]
    one_d = is_line_kernel(weight)
    per_tile = in_channels in (1, 3) and not one_d  # one tile per filter
    max_filters = max_filters or (MAX_FILTERS if per_tile else MAX_GREY_FILTERS)
    tiles, labels, note = filter_tiles(weight, shared_scale, max_filters=max_filters)
    columns = min(MAX_COLUMNS, math.ceil(math.sqrt(len(tiles)))) if per_tile else min(in_channels, MAX_INPUT_CHANNELS)
    scale = _("one shared scale") if shared_scale else _("each filter normalised on its own")
    footer = _("{first}; {second}").format(first=scale, second=note) if note else scale
    # the title is drawn here, wrapped to the grid's width, so that it does not widen the picture
    grid = with_title(compose(tiles, labels, "", columns=max(1, columns), tile_px=TILE_PX, footer=footer), title,
                      skip_top=GRID_HEADER)
    if one_d:
        return grid
    low, high = (float(weight.min()), float(weight.max())) if shared_scale else (None, None)
    return with_colour_bar(grid, low, high, rgb=in_channels == 3)


def colour_bar_text(low: float | None, high: float | None, rgb: bool) -> tuple[str, str, str]:
    """(left end, right end, the sentence under the bar) of the filters' colour scale."""
    if low is None:
        sentence = (_("in each of R, G, B (the input's colour channels), dark = the filter's lowest weight, bright = "
                      "its highest (each filter stretched on its own: compare patterns, not strengths)") if rgb else
                    _("dark = the filter's lowest weight, bright = its highest (each filter stretched on its own: "
                      "compare patterns, not strengths)"))
        return (_("the filter's min"), _("its max"), sentence)
    mid_grey_not_zero = not (low < 0 < high) or abs(low + high) > 0.1 * (high - low)
    sentences = {  # (rgb, mid-grey is not 0): whole sentences, for the translations
        (True, True): N_("in each of R, G, B (the input's colour channels), weight value, one scale for every "
                         "filter; mid-grey is not 0"),
        (True, False): N_("in each of R, G, B (the input's colour channels), weight value, one scale for every "
                          "filter"),
        (False, True): N_("weight value, one scale for every filter; mid-grey is not 0"),
        (False, False): N_("weight value, one scale for every filter")}
    return (f"{low:.3g}", f"{high:.3g}", _(sentences[rgb, mid_grey_not_zero]))


def with_colour_bar(picture, low: float | None, high: float | None, rgb: bool = False):
    """``picture`` with a black-to-white bar under it, its ends labelled with weight values (``low``,
    ``high``: one shared scale; None: per filter) and, when 0 lies inside, a tick at 0."""
    from PIL import Image, ImageDraw

    from cnnscope.vis import fonts

    left_text, right_text, sentence = colour_bar_text(low, high, rgb)
    gap, bar_h, size, line_h = 8, 12, 11, 14
    bar_w = max(60, min(240, picture.width - 4 * gap - fonts.width(left_text + right_text, size)))
    width = max(picture.width, fonts.width(left_text + right_text, size) + bar_w + 4 * gap)
    lines = wrap(sentence, width - 2 * gap, size)
    canvas = Image.new("RGB", (width, picture.height + bar_h + 26 + line_h * len(lines)), (255, 255, 255))
    canvas.paste(picture, (0, 0))
    pen = ImageDraw.Draw(canvas)
    top = picture.height + 4
    left_w = fonts.width(left_text, size)
    x0 = gap + left_w + 6
    ramp = np.tile(np.linspace(0, 255, bar_w).astype(np.uint8), (bar_h, 1))
    canvas.paste(Image.fromarray(ramp, mode="L").convert("RGB"), (x0, top))
    pen.rectangle([x0 - 1, top - 1, x0 + bar_w, top + bar_h], outline=(120, 120, 120))
    fonts.text(pen, (gap, top), left_text, (0, 0, 0), size=size)
    fonts.text(pen, (x0 + bar_w + 6, top), right_text, (0, 0, 0), size=size)
    if low is not None and low < 0 < high:
        x = x0 + round((0 - low) / (high - low) * (bar_w - 1))
        pen.line([(x, top + bar_h), (x, top + bar_h + 4)], fill=(200, 0, 0), width=1)
        fonts.text(pen, (x - 3, top + bar_h + 4), "0", (200, 0, 0), size=size)
    for n, line in enumerate(lines):
        fonts.text(pen, (gap, top + bar_h + 20 + n * line_h), line, (60, 60, 60), size=size)
    return canvas

