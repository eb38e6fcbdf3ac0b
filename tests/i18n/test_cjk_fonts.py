"""Pictures with Chinese text draw real glyphs, not empty boxes (issue 27, item 3): the CJK font that
``vis/fonts.py`` finds (mplfonts' Noto Sans CJK SC, else a system one) has the characters, matplotlib
draws a Chinese title without a "Glyph ... missing" warning, and PIL draws '卷' as a glyph whose ink
differs from the font's missing-glyph box.  Skipped where no CJK font is installed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from cnnscope.i18n import use_language
from cnnscope.vis import fonts

TEXT = "卷积层的感受野"

needs_cjk_font = pytest.mark.skipif(fonts.cjk_font_path() is None,
                                    reason="no CJK font: pip install 'cnnscope[zh]' or apt-get install fonts-noto-cjk")


@needs_cjk_font
def test_the_cjk_font_has_the_characters():
    ttLib = pytest.importorskip("fontTools.ttLib")
    path = fonts.cjk_font_path()
    font = ttLib.TTCollection(path).fonts[0] if path.endswith(".ttc") else ttLib.TTFont(path, lazy=True)
    cmap = font.getBestCmap()
    assert all(ord(c) in cmap for c in TEXT + "参数量计算量特征图")


def _ink(char: str, font) -> np.ndarray:
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (64, 64), 0)
    ImageDraw.Draw(canvas).text((8, 8), char, fill=255, font=font)
    return np.asarray(canvas) > 127


@needs_cjk_font
def test_pil_labels_draw_chinese_glyphs_not_boxes():
    font, unicode_ok = fonts.label_font(32, cjk=True)
    assert unicode_ok
    juan, missing = _ink("卷", font), _ink("\ue000", font)  # U+E000: private use, no glyph: the font's box
    assert juan.sum() > 30
    assert (juan != missing).sum() > 30  # not the missing-glyph box
    # the characters differ from each other too (a box would draw them all alike)
    assert (_ink("卷", font) != _ink("层", font)).sum() > 30
    # fonts.text picks the CJK font by itself for Chinese text, and DejaVu for Latin
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (fonts.width(TEXT, 20) + 10, 30), "white")
    fonts.text(ImageDraw.Draw(picture), (5, 3), TEXT, (0, 0, 0), size=20)
    assert fonts.width(TEXT, 20) > 7 * 15  # seven full-width characters at size 20
    assert (np.asarray(picture.convert("L")) < 128).sum() > 200


@needs_cjk_font
def test_matplotlib_figure_in_chinese_has_no_missing_glyphs():
    go = pytest.importorskip("plotly.graph_objects")
    from cnnscope.vis.static_figures import figure_png

    figure = go.Figure(go.Bar(x=["卷积层", "池化层", "全连接层"], y=[3, 1, 2]),
                       layout=dict(title=TEXT, xaxis_title="层", yaxis_title="参数量"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = figure_png(figure)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert png.startswith(b"\x89PNG") and not missing, missing


def test_matplotlib_english_figure_keeps_its_fonts():
    """An English figure gets no rcParams of its own: the CJK font is set for Chinese only."""
    with use_language("en"):
        assert fonts.matplotlib_rc(["Parameters", "MACs"]) == {}


@needs_cjk_font
def test_matplotlib_chinese_language_puts_the_cjk_font_first():
    with use_language("zh"):
        rc = fonts.matplotlib_rc(["MACs"])
    with use_language("en"):
        assert fonts.matplotlib_rc(["参数量"]) == rc  # Chinese text in an English session, too
    import matplotlib
    from matplotlib import font_manager

    family = rc["font.sans-serif"][0]
    with matplotlib.rc_context(rc):
        found = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    assert found == fonts.cjk_font_path() or family.lower() in found.lower().replace(" ", "")


def test_without_a_cjk_font_the_check_says_so(monkeypatch):
    """The negative control: a matplotlib figure with Chinese text and only DejaVu does warn."""
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}):
        fig, axis = plt.subplots()
        axis.set_title(TEXT)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.canvas.draw()
        plt.close(fig)
    assert any("missing from font" in str(w.message) for w in caught)
