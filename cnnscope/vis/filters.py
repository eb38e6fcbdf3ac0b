"""Convolution kernels as pictures: RGB tiles for 3-channel kernels, one grey tile per input
channel otherwise; normalised per filter (default) or on one shared scale."""

from __future__ import annotations

import numpy as np

from cnnscope.vis.grid import compose, normalise, to_uint8

MAX_FILTERS = 256
MAX_INPUT_CHANNELS = 8


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
    for index, kernel in enumerate(shown):
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


def filter_grid(weight: np.ndarray, title: str, shared_scale: bool = False):
    tiles, labels, note = filter_tiles(weight, shared_scale)
    in_channels = weight.shape[1]
    columns = None if in_channels in (1, 3) else min(in_channels, MAX_INPUT_CHANNELS) * 2
    scale = "one shared scale" if shared_scale else "each filter normalised on its own"
    footer = f"{scale}" + (f"; {note}" if note else "")
    return compose(tiles, labels, title, columns=columns, tile_px=48, footer=footer)
