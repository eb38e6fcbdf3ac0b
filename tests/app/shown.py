"""What a visitor reads in an element the app writes as Markdown: the text rendered by a CommonMark
parser (markdown-it, not the app's own escaping code), tags stripped."""

import html
import re

from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark")


def shown(text: str) -> str:
    rendered = _MARKDOWN.render(text)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


def rendered(text: str) -> str:
    """The HTML a CommonMark renderer makes of ``text`` (to look for links and images in it)."""
    return _MARKDOWN.render(text)
