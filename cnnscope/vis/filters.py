"""Convolution kernels as pictures: RGB tiles for 3-channel kernels, one grey tile per input
channel otherwise; normalised per filter (default) or on one shared scale."""

from __future__ import annotations

import numpy as np

from cnnscope.vis.grid import compose, normalise, to_uint8

MAX_FILTERS = 256
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
        notes.append(f"showing the first {max_filters} of {out_channels} filters")
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
        notes.append(f"first {max_channels} of {in_channels} input channels per filter")
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


def filter_grid(weight: np.ndarray, title: str, shared_scale: bool = False):
    tiles, labels, note = filter_tiles(weight, shared_scale)
    in_channels = weight.shape[1]
    one_d = is_line_kernel(weight)
    shown_channels = 1 if in_channels == 1 else (3 if in_channels == 3 and not one_d else 0)
    columns = None if shown_channels else min(in_channels, MAX_INPUT_CHANNELS) * 2
    scale = "one shared scale" if shared_scale else "each filter normalised on its own"
    footer = f"{scale}" + (f"; {note}" if note else "")
    return compose(tiles, labels, title, columns=columns, tile_px=48, footer=footer)
