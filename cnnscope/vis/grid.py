"""Tiles on a labelled grid: the layout shared by filter and feature-map pictures."""

from __future__ import annotations

import math

import numpy as np

from cnnscope.vis import fonts


def normalise(array: np.ndarray, low: float | None = None, high: float | None = None) -> np.ndarray:
    """Map to [0, 1]; a constant array becomes mid-grey rather than a division by zero."""
    low = float(array.min()) if low is None else low
    high = float(array.max()) if high is None else high
    if high - low < 1e-12:
        return np.full(array.shape, 0.5, dtype=np.float32)
    return ((array - low) / (high - low)).clip(0, 1).astype(np.float32)


def to_uint8(array01: np.ndarray) -> np.ndarray:
    return (array01 * 255 + 0.5).astype(np.uint8)


def compose(tiles: list, labels: list[str], title: str, columns: int | None = None, tile_px: int = 64,
            footer: str = ""):
    """``tiles``: HxW (grey) or HxWx3 uint8 arrays, upscaled without smoothing so that an 11×11
    kernel stays legible; ``labels`` may hold several lines.  The canvas grows to fit the text."""
    from PIL import Image, ImageDraw

    count = len(tiles)
    columns = columns or max(1, math.ceil(math.sqrt(count)))
    rows = math.ceil(count / columns)
    height, width = tiles[0].shape[:2]
    scale = max(1, round(tile_px / max(height, width)))
    label_size, line_h = 10, 12
    label_lines = max((label.count("\n") + 1 for label in labels if label), default=0)
    label_w = max((fonts.width(line, label_size) for label in labels for line in label.split("\n")), default=0)
    cell_w, cell_h = max(width * scale, label_w + 2), height * scale
    label_h = label_lines * line_h
    gap, header = 8, 30
    foot_h = 18 if footer else 0
    grid_w = columns * (cell_w + gap) + gap
    canvas_w = max(grid_w, fonts.width(title, 14) + 2 * gap, fonts.width(footer, 11) + 2 * gap)
    canvas = Image.new("RGB", (canvas_w, header + rows * (cell_h + label_h + gap) + gap + foot_h), (255, 255, 255))
    pen = ImageDraw.Draw(canvas)
    fonts.text(pen, (gap, 6), title, (0, 0, 0), size=14)
    for k, (tile, label) in enumerate(zip(tiles, labels)):
        r, c = divmod(k, columns)
        x, y = gap + c * (cell_w + gap), header + r * (cell_h + label_h + gap)
        mode = "RGB" if tile.ndim == 3 else "L"
        image = Image.fromarray(tile, mode=mode).resize((width * scale, cell_h), Image.NEAREST)
        canvas.paste(image, (x, y + label_h))
        for n, line in enumerate(label.split("\n") if label else []):
            fonts.text(pen, (x, y + n * line_h), line, (60, 60, 60), size=label_size)
    if footer:
        fonts.text(pen, (gap, canvas.height - foot_h), footer, (120, 60, 0), size=11)
    return canvas
