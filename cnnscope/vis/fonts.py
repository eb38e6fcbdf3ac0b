"""Fonts for the pictures: DejaVu Sans for Latin text, a CJK font for Chinese (PIL labels and matplotlib).

The CJK font is Noto Sans CJK SC: the copy the ``mplfonts`` package ships (``pip install 'cnnscope[zh]'``;
only its file is used, never its set-up, which rewrites matplotlibrc), else a system Noto CJK or
WenQuanYi font.  Without any, Chinese would draw as empty boxes, so ``cjk_font_path()`` is None and
the callers (and the tests) can tell.  PIL's own font (ASCII only) is the last resort: text is folded.
"""

from __future__ import annotations

import re
from functools import lru_cache

_ASCII = str.maketrans({"×": "x", "∂": "d", "−": "-", "·": "*", "…": "..."})
_CJK = re.compile("[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")

# Fonts with Chinese glyphs found on Debian/Ubuntu (fonts-noto-cjk, fonts-wqy-*), Fedora and Arch.
SYSTEM_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text or ""))


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    """The file of a font with Chinese glyphs: mplfonts' Noto Sans CJK SC, else a system one; None if none."""
    import importlib.util
    from pathlib import Path

    candidates = []
    spec = importlib.util.find_spec("mplfonts")  # finds the package without importing it (no side effects)
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidates.append(Path(folder) / "fonts" / "NotoSansCJKsc-Regular.otf")
    candidates += [Path(p) for p in SYSTEM_CJK_FONTS]
    return next((str(p) for p in candidates if p.is_file()), None)


@lru_cache(maxsize=16)
def label_font(size: int = 13, cjk: bool = False):
    """(a PIL font, whether it draws beyond ASCII); ``cjk``: one with Chinese glyphs when there is one."""
    from PIL import ImageFont

    names = [cjk_font_path()] if cjk and cjk_font_path() else []
    names += ["DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "LiberationSans-Regular.ttf"]
    for name in names:
        try:
            return ImageFont.truetype(name, size), True
        except OSError:
            continue
    return ImageFont.load_default(), False


def _font_for(message: str, size: int):
    font, unicode_ok = label_font(size, cjk=has_cjk(message))
    return font, message if unicode_ok else message.translate(_ASCII)


def text(draw, position, message: str, fill, size: int = 13) -> None:
    font, shown = _font_for(message, size)
    draw.text(position, shown, fill=fill, font=font)


def width(message: str, size: int = 13) -> int:
    """Pixel width of ``message`` in the label font (what ``text`` will draw)."""
    font, shown = _font_for(message, size)
    return int(font.getlength(shown))


def matplotlib_rc(texts=()) -> dict:
    """rcParams for one matplotlib figure (``with matplotlib.rc_context(matplotlib_rc(texts)):``): when
    the language is Chinese or any of ``texts`` has CJK characters, the CJK font first in
    ``font.sans-serif`` (DejaVu Sans stays as the fallback for symbols); otherwise nothing changes.
    A context, not a global setting, so that an English figure drawn later in the same process (another
    session of the app) keeps its fonts."""
    from cnnscope.i18n import language

    if language() != "zh" and not any(has_cjk(t) for t in texts if isinstance(t, str)):
        return {}
    family = _register_matplotlib_cjk()
    if family is None:
        return {}
    import matplotlib

    fallback = [f for f in matplotlib.rcParams["font.sans-serif"] if f != family]
    # a CJK font may lack U+2212 (the minus sign): draw ASCII '-' instead
    return {"font.family": "sans-serif", "font.sans-serif": [family, *fallback], "axes.unicode_minus": False}


@lru_cache(maxsize=1)
def _register_matplotlib_cjk() -> str | None:
    """Add the CJK font file to matplotlib's font list (once); its family name, or None without one."""
    path = cjk_font_path()
    if path is None:
        return None
    from matplotlib import font_manager

    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()
