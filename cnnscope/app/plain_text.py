"""Text a visitor chose, shown exactly as written.

Streamlit draws headers, captions and alert boxes as Markdown: text a visitor chose (a spec's name, a
link's ?model=, an upload's file name, an error quoting either) could otherwise carry links, remote
images or colour directives into another visitor's page through a shared link.
"""

from __future__ import annotations

import re

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&])")


def plain(text) -> str:
    """``text`` with every Markdown special character escaped: it shows exactly as written."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))
