"""A layer's activations as a grid, with channel numbers and per-map min / max / mean."""

from __future__ import annotations

import numpy as np

from cnnscope.vis.grid import compose, normalise, to_uint8

MAX_MAPS = 64


def select_channels(activation: np.ndarray, top: int | None, max_maps: int = MAX_MAPS) -> tuple[list[int], str]:
    """Channel indices to draw: the ``top`` most active (by mean absolute value) or the first ones."""
    channels = activation.shape[0]
    if top is not None:
        order = np.argsort(-np.abs(activation).reshape(channels, -1).mean(axis=1), kind="stable")
        chosen = [int(c) for c in order[:min(top, max_maps)]]
        note = f"the {len(chosen)} most active of {channels} channels (mean |activation|)"
        if top > max_maps:
            note += f"; capped at {max_maps}"
        return chosen, note
    chosen = list(range(min(channels, max_maps)))
    return chosen, (f"the first {max_maps} of {channels} channels (use --top K to pick the most active)"
                    if channels > max_maps else "")


def feature_grid(activation: np.ndarray, title: str, top: int | None = None, max_maps: int = MAX_MAPS):
    """``activation``: C × H × W (one image).  Each map is normalised on its own."""
    if activation.ndim == 1:
        activation = activation[:, None, None]
    elif activation.ndim == 2:
        activation = activation[None]
    chosen, note = select_channels(activation, top, max_maps)
    tiles, labels = [], []
    for c in chosen:
        fmap = activation[c]
        tiles.append(to_uint8(normalise(fmap)))
        labels.append(f"#{c}\n{fmap.min():.2g} / {fmap.max():.2g} / {fmap.mean():.2g}")
    footer = "labels: channel, then min / max / mean" + (f"; {note}" if note else "")
    return compose(tiles, labels, title, tile_px=96, footer=footer)
