"""Text around the grid pictures, wrapped to the picture's width: a long title ("vgg16 · features.0 ·
64 filters 3×3×3 · weights: …") would otherwise widen the canvas, and a phone (400 px) would shrink
every tile to fit it."""

from __future__ import annotations

import re

# A line may break between any two CJK characters (Chinese puts no spaces between words), and at spaces.
_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_TOKENS = re.compile(f"(\\s*)([{_CJK}]|[^\\s{_CJK}]+)")

MIN_WIDTH = 360  # a narrow grid still gets a title line of readable length


def wrap(text: str, width_px: int, size: int) -> list[str]:
    """``text`` broken at spaces (and between CJK characters) into lines no wider than ``width_px`` (a longer
    word stands alone)."""
    from cnnscope.vis import fonts

    lines, line = [], ""
    for space, word in _TOKENS.findall(text):
        candidate = f"{line}{' ' if space and line else ''}{word}"
        if line and fonts.width(candidate, size) > width_px:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + ([line] if line else [])


def with_title(picture, title: str, skip_top: int = 0, size: int = 14):
    """``picture`` under ``title``, wrapped to the picture's width (at least ``MIN_WIDTH``);
    ``skip_top`` pixels of the picture's own (empty) header are cut off first."""
    from PIL import Image, ImageDraw

    from cnnscope.vis import fonts

    gap, line_h = 8, size + 4
    width = max(picture.width, MIN_WIDTH)
    lines = wrap(title, width - 2 * gap, size)
    body = picture.crop((0, skip_top, picture.width, picture.height))
    header = 6 + line_h * len(lines)
    canvas = Image.new("RGB", (width, header + body.height), (255, 255, 255))
    pen = ImageDraw.Draw(canvas)
    for n, line in enumerate(lines):
        fonts.text(pen, (gap, 6 + n * line_h), line, (0, 0, 0), size=size)
    canvas.paste(body, (0, header))
    return canvas
