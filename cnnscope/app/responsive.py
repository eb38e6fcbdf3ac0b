"""A table that fits a phone: the full interactive table on a wide screen, its key columns on a narrow one.

Both are on the page; a CSS media query shows one.  Streamlit gives a keyed container the class
``st-key-<key>``, so the full table goes in ``st.container(key="cs-wide-<name>")`` and the compact one
in ``cs-narrow-<name>``.  The compact table is plain HTML whose cells wrap (long layer names break),
so its columns stay inside a 400 px screen with no sideways scrolling.
"""

from __future__ import annotations

import html

import streamlit as st

NARROW_MAX_PX = 640  # Streamlit stacks st.columns below this width too

_CSS = f"""<style>
@media (max-width: {NARROW_MAX_PX}px) {{ [class*="st-key-cs-wide-"] {{ display: none !important; }} }}
@media (min-width: {NARROW_MAX_PX + 1}px) {{ [class*="st-key-cs-narrow-"] {{ display: none !important; }} }}
table.cs-compact {{ width: 100%; border-collapse: collapse; font-size: 0.8rem; table-layout: auto; }}
table.cs-compact th, table.cs-compact td {{ padding: 0.2rem 0.3rem; border-bottom: 1px solid rgba(128,128,128,0.25);
  overflow-wrap: anywhere; vertical-align: top; text-align: left; }}
table.cs-compact td.num {{ text-align: right; white-space: nowrap; }}
div.cs-compact-box {{ max-height: 520px; overflow-y: auto; overflow-x: hidden; }}
</style>"""


def style() -> None:
    """The media query and the compact table's look (a style-only element: nothing visible)."""
    st.html(_CSS)


def compact_html(rows: list[dict], columns: list[str], help: dict[str, str] | None = None,
                 numeric: tuple[str, ...] = (), indent: list[int] | None = None) -> str:
    """``rows`` (header -> cell text) as an HTML table of ``columns``; every cell escaped. ``help``: a tooltip
    per header; ``numeric``: right-aligned columns; ``indent``: the first column's depth per row."""
    help = help or {}
    head = "".join(f'<th title="{html.escape(help.get(c, ""))}">{html.escape(c)}</th>' for c in columns)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for k, column in enumerate(columns):
            style = f' style="padding-left: {0.3 + 0.6 * indent[i]:.1f}rem"' if k == 0 and indent else ""
            css = ' class="num"' if column in numeric else ""
            cells.append(f"<td{css}{style}>{html.escape(str(row.get(column, '')))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="cs-compact-box"><table class="cs-compact"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def wide_and_narrow(name: str):
    """(the wide container, the narrow container) of the table called ``name``."""
    return st.container(key=f"cs-wide-{name}"), st.container(key=f"cs-narrow-{name}")
