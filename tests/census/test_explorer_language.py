"""The explorer page declares the language it is written in (``<html lang>``): a Chinese page says zh, so that a
browser picks Chinese glyphs and a screen reader Chinese speech."""

from __future__ import annotations

import re

from cnnscope.export import census_explorer
from cnnscope.i18n import use_language


def _lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def test_the_page_says_its_language():
    assert _lang(census_explorer.render([], {})) == "en"
    with use_language("zh"):
        page = census_explorer.render([], {})
    assert _lang(page) == "zh" and "普查" in page
