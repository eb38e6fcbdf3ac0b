"""One unit's receptive field on an image: the theoretical box beside the effective field."""

from __future__ import annotations

import numpy as np

from cnnscope.i18n import _
from cnnscope.vis import fonts


def _heat(values: np.ndarray) -> np.ndarray:
    """A perceptual dark-to-bright ramp (black → purple → orange → yellow), values in [0, 1]."""
    stops = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], dtype=np.float32)
    position = np.clip(values, 0, 1) * (len(stops) - 1)
    low = np.floor(position).astype(int).clip(0, len(stops) - 2)
    t = (position - low)[..., None]
    return (stops[low] * (1 - t) + stops[low + 1] * t).astype(np.uint8)


def _upscale(image, factor: int):
    from PIL import Image

    return image.resize((image.width * factor, image.height * factor), Image.NEAREST)


def draw(picture, box, gradient: np.ndarray | None, squares: dict | None, title: str, centre):
    """``picture``: RGB PIL image at the model's input size; ``box``: (top, left, bottom, right)
    of the theoretical field in input pixels (may reach outside); ``gradient``: |∂unit/∂input|."""
    from PIL import Image, ImageDraw

    factor = max(1, 320 // max(picture.width, picture.height))
    left_panel = _upscale(picture, factor)
    draw_left = ImageDraw.Draw(left_panel)
    top, left, bottom, right = box
    height, width = picture.height, picture.width
    # A field larger than the picture is drawn clipped to it, and the panel's caption says so.
    clipped = top < 0 or left < 0 or bottom >= height or right >= width
    ctop, cleft, cbottom, cright = max(top, 0), max(left, 0), min(bottom, height - 1), min(right, width - 1)
    draw_left.rectangle([cleft * factor, ctop * factor, (cright + 1) * factor - 1, (cbottom + 1) * factor - 1],
                        outline=(255, 40, 40), width=max(2, factor))
    cy, cx = centre
    r = max(2, factor)
    draw_left.ellipse([cx * factor - r, cy * factor - r, cx * factor + r, cy * factor + r], fill=(255, 40, 40))
    caption = _("theoretical field (clipped)") if clipped else _("theoretical field")
    panels = [(caption, left_panel)]
    # a 1024×1024 input: the text grows with the picture, readable when the page shows it smaller
    scale = max(1.0, ((1 + (gradient is not None)) * left_panel.width + 36) / 700)
    if gradient is not None:
        normalised = gradient / gradient.max() if gradient.max() > 0 else gradient
        heat = Image.fromarray(_heat(np.sqrt(normalised)))  # sqrt: the tails stay visible
        grey = picture.convert("L").convert("RGB")
        blended = _upscale(Image.blend(grey, heat, 0.75), factor)
        draw_right = ImageDraw.Draw(blended)
        for label, side in (squares or {}).items():
            half = side / 2
            draw_right.rectangle([(cx + 0.5 - half) * factor, (cy + 0.5 - half) * factor,
                                  (cx + 0.5 + half) * factor - 1, (cy + 0.5 + half) * factor - 1],
                                 outline=(80, 200, 255), width=max(1, round(scale)))
            # The label sits beside the square's top-right corner; a square that reaches past the
            # picture gets it inside its visible bottom-left corner instead, so it is never cut off.
            size = round(11 * scale)
            sq_left, sq_top = (cx + 0.5 - half) * factor, (cy + 0.5 - half) * factor
            sq_right, sq_bottom = (cx + 0.5 + half) * factor, (cy + 0.5 + half) * factor
            if sq_right + 3.2 * size <= blended.width and sq_top >= 0:
                x, y = sq_right + 2, sq_top
            else:
                x = min(max(sq_left, 0) + 3, blended.width - 3.2 * size)
                y = max(min(sq_bottom, blended.height) - 1.6 * size, 0)
            fonts.text(draw_right, (x, y), label, (80, 200, 255), size=size)
        panels.append((_("effective field |∂unit/∂input|"), blended))
    margin = 12
    width = sum(p.width for unused, p in panels) + margin * (len(panels) + 1)
    header = round(44 * scale)
    height = max(p.height for unused, p in panels) + header + margin
    canvas = Image.new("RGB", (width, height), (255, 255, 255))
    pen = ImageDraw.Draw(canvas)
    fonts.text(pen, (margin, round(6 * scale)), title, (0, 0, 0), size=round(14 * scale))
    x = margin
    for label, panel in panels:
        fonts.text(pen, (x, header - round(18 * scale)), label, (60, 60, 60), size=round(12 * scale))
        canvas.paste(panel, (x, header))
        x += panel.width + margin
    return canvas
