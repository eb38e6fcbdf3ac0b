"""Pictures of a convolution-arithmetic Plan (cnnscope.studies.arithmetic): one frame per output cell,
as a PIL image, an animated GIF, or a self-contained HTML player.

Drawn with PIL's ImageDraw (no matplotlib): a 32×32 output is 1,024 frames, and each must be quick.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

from cnnscope.i18n import _
from cnnscope.studies.arithmetic import PAD, ZERO, Plan, caption

MARGIN, GAP, TEXT = 16, 44, 14
GRID_PX = 300  # the input grid's drawn side, about; a cell is 12 to 44 px
FRAME_MS = 700

WHITE, INK, FAINT = (255, 255, 255), (30, 30, 30), (120, 120, 120)
FILL = {"input": (214, 228, 245), PAD: (248, 248, 248), ZERO: (255, 244, 204)}
EDGE = {"input": (90, 110, 140), PAD: (175, 175, 175), ZERO: (200, 165, 80)}
TAP_FILL = {"input": (255, 160, 70), PAD: (255, 222, 196), ZERO: (255, 205, 150)}
KERNEL_EDGE, DONE, CURRENT = (200, 80, 0), (205, 232, 205), (255, 140, 40)


class _Layout:
    """Where things go; the same for every frame (a GIF's frames share one size)."""

    def __init__(self, plan: Plan):
        from cnnscope.vis.captions import wrap

        self.cell = max(12, min(44, GRID_PX // plan.grid))
        self.grid_px, self.out_px = plan.grid * self.cell, plan.out * self.cell
        self.width = max(2 * MARGIN + self.grid_px + GAP + self.out_px, 560)
        text_px = self.width - 2 * MARGIN
        self.title = wrap(plan.title() + (f" — {_(plan.name)}" if plan.name else ""), text_px, TEXT)
        self.formula = wrap(f"{plan.formula} = {plan.worked}", text_px, TEXT)
        self.captions = [wrap(caption(plan, i), text_px, TEXT) for i in range(len(plan.frames))]
        line = TEXT + 6
        self.grid_top = MARGIN + line * len(self.title) + line + 4
        self.input_left = MARGIN
        self.out_left = MARGIN + self.grid_px + GAP
        self.out_top = self.grid_top + (self.grid_px - self.out_px) // 2
        self.caption_top = self.grid_top + self.grid_px + 14
        lines = max((len(c) for c in self.captions), default=1)
        self.formula_top = self.caption_top + line * lines + 6
        self.legend_top = self.formula_top + line * len(self.formula) + 4
        self.height = self.legend_top + line + MARGIN
        self.line = line


def _dashed_box(draw, box, colour, dash: int = 3) -> None:
    x0, y0, x1, y1 = box
    for x in range(x0, x1, 2 * dash):
        draw.line([(x, y0), (min(x + dash, x1), y0)], fill=colour)
        draw.line([(x, y1), (min(x + dash, x1), y1)], fill=colour)
    for y in range(y0, y1, 2 * dash):
        draw.line([(x0, y), (x0, min(y + dash, y1))], fill=colour)
        draw.line([(x1, y), (x1, min(y + dash, y1))], fill=colour)


def _label(draw, box, text: str, cell: int, fill) -> None:
    from cnnscope.vis import fonts

    size = max(8, min(13, cell // 3))
    if cell < 24 or fonts.width(text, size) > cell - 4:
        return
    x0, y0, x1, y1 = box
    fonts.text(draw, ((x0 + x1 - fonts.width(text, size)) // 2, (y0 + y1 - size) // 2 - 1), text, fill, size)


def _input_cell(draw, plan: Plan, layout: _Layout, gy: int, gx: int, fill=None, edge=None) -> None:
    kind = plan.kind(gy, gx)
    x0, y0 = layout.input_left + gx * layout.cell, layout.grid_top + gy * layout.cell
    box = (x0, y0, x0 + layout.cell - 1, y0 + layout.cell - 1)
    draw.rectangle(box, fill=fill or FILL[kind])
    if edge is not None:
        draw.rectangle(box, outline=edge, width=2 if layout.cell >= 20 else 1)
    elif kind == PAD:
        _dashed_box(draw, box, EDGE[PAD])
    else:
        draw.rectangle(box, outline=EDGE[kind])
    source = plan.source(gy, gx)
    _label(draw, box, f"{source[0]},{source[1]}" if source else "0" if kind == ZERO else "", layout.cell,
           INK if source else FAINT)


def _out_box(layout: _Layout, i: int, j: int) -> tuple[int, int, int, int]:
    x0, y0 = layout.out_left + j * layout.cell, layout.out_top + i * layout.cell
    return (x0, y0, x0 + layout.cell - 1, y0 + layout.cell - 1)


def _background(plan: Plan):
    """What every frame shares: the title, the grids' labels and cells, the formula and the legend."""
    from PIL import Image, ImageDraw

    from cnnscope.vis import fonts

    layout = _Layout(plan)
    image = Image.new("RGB", (layout.width, layout.height), WHITE)
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(layout.title):
        fonts.text(draw, (MARGIN, MARGIN + n * layout.line), line, INK, TEXT)
    over = layout.grid_top - layout.line - 2
    what = (_("zero-inserted, padded input {n}×{n}") if plan.transposed else _("padded input {n}×{n}")).format(
        n=plan.grid)
    fonts.text(draw, (layout.input_left, over), what, INK, 12)
    fonts.text(draw, (layout.out_left, over), _("output {n}×{n}").format(n=plan.out), INK, 12)
    for gy in range(plan.grid):
        for gx in range(plan.grid):
            _input_cell(draw, plan, layout, gy, gx)
    for i in range(plan.out):
        for j in range(plan.out):
            draw.rectangle(_out_box(layout, i, j), fill=WHITE, outline=EDGE["input"])
    for n, line in enumerate(layout.formula):
        fonts.text(draw, (MARGIN, layout.formula_top + n * layout.line), line, INK, TEXT)
    legend = (_("blue: input (row,col)   dashed: padding   yellow 0: inserted zero   orange: kernel taps")
              if plan.transposed else _("blue: input (row,col)   dashed: padding   orange: kernel taps"))
    fonts.text(draw, (MARGIN, layout.legend_top), legend, FAINT, 12)
    return image, layout


def frame_size(plan: Plan) -> tuple[int, int]:
    """(width, height) of every frame, in pixels, without drawing one."""
    layout = _Layout(plan)
    return layout.width, layout.height


def frame_image(plan: Plan, index: int):
    """Frame ``index`` (row-major output cell): the kernel's taps on the input grid, the output cell, and
    a caption naming both."""
    return _drawn(plan, index, *_background(plan))


def frame_images(plan: Plan):
    """Every frame, in order (the shared background drawn once)."""
    background = _background(plan)
    return (_drawn(plan, n, *background) for n in range(len(plan.frames)))


def _drawn(plan: Plan, index: int, background, layout: _Layout):
    from PIL import ImageDraw

    from cnnscope.vis import fonts

    image = background.copy()
    draw = ImageDraw.Draw(image)
    frame = plan.frames[index]
    for tap in frame.taps:
        kind = plan.kind(*tap.grid)
        _input_cell(draw, plan, layout, *tap.grid, fill=TAP_FILL[kind], edge=KERNEL_EDGE)
    first, last = frame.taps[0].grid, frame.taps[-1].grid  # the window's corners (dilated span)
    x0, y0 = layout.input_left + first[1] * layout.cell, layout.grid_top + first[0] * layout.cell
    x1, y1 = layout.input_left + (last[1] + 1) * layout.cell - 1, layout.grid_top + (last[0] + 1) * layout.cell - 1
    draw.rectangle((x0 - 2, y0 - 2, x1 + 2, y1 + 2), outline=KERNEL_EDGE, width=1)
    for n in range(index):
        i, j = plan.frames[n].out_cell
        draw.rectangle(_out_box(layout, i, j), fill=DONE, outline=EDGE["input"])
    i, j = frame.out_cell
    box = _out_box(layout, i, j)
    draw.rectangle(box, fill=CURRENT, outline=KERNEL_EDGE, width=2)
    _label(draw, box, f"{i},{j}", layout.cell, INK)
    for n, line in enumerate(layout.captions[index]):
        fonts.text(draw, (MARGIN, layout.caption_top + n * layout.line), line, INK, TEXT)
    return image


def gif_bytes(plan: Plan) -> bytes:
    """The animation: one frame per output cell, looping."""
    from PIL import Image

    images = list(frame_images(plan))
    palette = _shared_palette(images)
    # one palette for all frames, no dithering: PIL then stores each frame as the box that changed
    # (identical frames would be merged, but no two frames highlight the same output cell)
    frames = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=FRAME_MS, loop=0)
    return buffer.getvalue()


def _shared_palette(images, samples: int = 8):
    """64 colours taken from a few frames spread over the animation (the first has no finished output
    cell, the last no unfinished one), so every frame finds its colours."""
    from PIL import Image

    picked = images[::max(1, len(images) // samples)][:samples] + [images[-1]]
    width, height = picked[0].size
    collage = Image.new("RGB", (width, height * len(picked)))
    for n, image in enumerate(picked):
        collage.paste(image, (0, n * height))
    return collage.quantize(colors=64, method=Image.Quantize.MEDIANCUT)


def write_gif(plan: Plan, path: str | Path) -> Path:
    from cnnscope.files import check_writable, write_bytes_atomic

    check_writable(path)  # before drawing: a missing folder is said at once
    return write_bytes_atomic(path, gif_bytes(plan))


def _png(image) -> str:
    buffer = io.BytesIO()
    image.convert("P", palette=1, colors=64).save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 8px; color: #1e1e1e; }}
#player img {{ max-width: 100%; height: auto; image-rendering: pixelated; border: 1px solid #ddd; }}
.controls {{ display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 6px 0; }}
button {{ font-size: 15px; padding: 4px 12px; }}
#slider {{ flex: 1 1 160px; }}
#frame-caption {{ font-size: 15px; margin: 4px 0; min-height: 1.3em; }}
</style></head><body>
<div id="player">
<div class="controls">
<button id="play" type="button">{play}</button>
<button id="prev" type="button">{previous}</button>
<button id="next" type="button">{next}</button>
<input id="slider" type="range" min="1" max="{count}" value="1" aria-label="{frame_word}">
<span id="frame-counter">{counter}</span>
</div>
<div id="frame-caption"></div>
<img id="frame" alt="{alt}">
</div>
<script>
(function () {{
  var frames = {frames};
  var captions = {captions};
  var n = 0, timer = null;
  var img = document.getElementById("frame"), slider = document.getElementById("slider");
  var counter = document.getElementById("frame-counter"), text = document.getElementById("frame-caption");
  var play = document.getElementById("play");
  function show(i) {{
    n = (i + frames.length) % frames.length;
    img.src = "data:image/png;base64," + frames[n];
    slider.value = n + 1;
    counter.textContent = {counter_js}.replace("{{n}}", n + 1).replace("{{count}}", frames.length);
    text.textContent = captions[n];
  }}
  function stop() {{ if (timer) {{ clearInterval(timer); timer = null; }} play.textContent = {play_js}; }}
  play.addEventListener("click", function () {{
    if (timer) {{ stop(); return; }}
    timer = setInterval(function () {{ show(n + 1); }}, {interval});
    play.textContent = {pause_js};
  }});
  document.getElementById("prev").addEventListener("click", function () {{ stop(); show(n - 1); }});
  document.getElementById("next").addEventListener("click", function () {{ stop(); show(n + 1); }});
  slider.addEventListener("input", function () {{ stop(); show(parseInt(slider.value, 10) - 1); }});
  show(0);
}})();
</script>
</body></html>
"""


def html_page(plan: Plan) -> str:
    """A self-contained page that plays the animation: the frames as embedded PNGs, inline JS, no network."""
    frames = [_png(image) for image in frame_images(plan)]
    captions = [caption(plan, n) for n in range(len(plan.frames))]
    from cnnscope.i18n import language

    counter = _("frame {n} / {count}")
    return _PAGE.format(title=html.escape(plan.title()), count=len(frames), frames=_js(frames), captions=_js(captions),
                        interval=FRAME_MS, lang=language(), play=html.escape(_("Play")),
                        previous=html.escape(_("Previous")), next=html.escape(_("Next")),
                        frame_word=html.escape(_("frame")), alt=html.escape(_("convolution arithmetic frame")),
                        counter=html.escape(counter.format(n=1, count=len(frames))), counter_js=_js(counter),
                        play_js=_js(_("Play")), pause_js=_js(_("Pause")))


def _js(value) -> str:
    """A JSON literal for inline script, ``</`` escaped: no caption can close the script element."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")
