"""The app's pages, in the order the sidebar lists them.

A page is a module here with ``render(choice)``; adding one is that module plus its line in PAGES.
Modules are named, not imported, so that the registry costs nothing to read: a page's module is
imported when the page is first shown.
"""

from __future__ import annotations

import importlib
from typing import NamedTuple


class Page(NamedTuple):
    title: str  # the sidebar's label, also the value of st.session_state.page
    module: str  # a module with render(choice)


PAGES: tuple[Page, ...] = (
    Page("Summary", "cnnscope.app.pages.summary"),
    Page("Receptive field", "cnnscope.app.pages.rf"),
    Page("Filters & feature maps", "cnnscope.app.pages.visuals"),
    Page("Explain a unit", "cnnscope.app.pages.explain"),
    Page("Conv arithmetic", "cnnscope.app.pages.arithmetic"),
    Page("Compare", "cnnscope.app.pages.compare"),
    Page("Train", "cnnscope.app.pages.train"),
    Page("Export", "cnnscope.app.pages.export"),
)

TITLES: tuple[str, ...] = tuple(page.title for page in PAGES)


def render(title: str, choice) -> None:
    """Show the page called ``title`` for the visitor's ``choice``."""
    module = next(page.module for page in PAGES if page.title == title)
    importlib.import_module(module).render(choice)
