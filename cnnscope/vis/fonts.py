"""A font for labels: DejaVu Sans where installed, else PIL's own (ASCII only, so text is folded)."""

from __future__ import annotations

from functools import lru_cache

_ASCII = str.maketrans({"×": "x", "∂": "d", "−": "-", "·": "*", "…": "..."})


@lru_cache(maxsize=8)
def label_font(size: int = 13):
    from PIL import ImageFont

    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "LiberationSans-Regular.ttf"):
        try:
            return ImageFont.truetype(name, size), True
        except OSError:
            continue
    return ImageFont.load_default(), False


def text(draw, position, message: str, fill, size: int = 13) -> None:
    font, unicode_ok = label_font(size)
    draw.text(position, message if unicode_ok else message.translate(_ASCII), fill=fill, font=font)


def width(message: str, size: int = 13) -> int:
    """Pixel width of ``message`` in the label font (what ``text`` will draw)."""
    font, unicode_ok = label_font(size)
    return int(font.getlength(message if unicode_ok else message.translate(_ASCII)))
