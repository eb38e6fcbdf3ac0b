"""The app's pages, in the order the sidebar lists them.

A page is a module here with ``render(choice)``; adding one is that module plus its line in PAGES.
Modules are named, not imported, so that the registry costs nothing to read: a page's module is
imported when the page is first shown.
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

from cnnscope.i18n import N_, _, language, use_language


class Page(NamedTuple):
    title: str  # the English title (marked for translation): st.session_state.page's value in every language
    module: str  # a module with render(choice)


PAGES: tuple[Page, ...] = (
    Page(N_("Summary"), "cnnscope.app.pages.summary"),
    Page(N_("Receptive field"), "cnnscope.app.pages.rf"),
    Page(N_("Filters & feature maps"), "cnnscope.app.pages.visuals"),
    Page(N_("Explain a unit"), "cnnscope.app.pages.explain"),
    Page(N_("Conv arithmetic"), "cnnscope.app.pages.arithmetic"),
    Page(N_("Compare"), "cnnscope.app.pages.compare"),
    Page(N_("Explorer"), "cnnscope.app.pages.census"),
    Page(N_("Train"), "cnnscope.app.pages.train"),
    Page(N_("Export"), "cnnscope.app.pages.export"),
)

TITLES: tuple[str, ...] = tuple(page.title for page in PAGES)


def shown_title(title: str) -> str:
    """A page's title as the sidebar shows it, in the visitor's language."""
    return _(title)


def in_language(format_func):
    """``format_func`` bound to the language of the run that draws the widget.  Streamlit keeps a widget's
    format_func and calls it again outside the script run (its test harness does, to match a value with its
    label), where the run's language is not set: bound, the label is the one the widget shows."""
    lang = language()

    def shown(value):
        with use_language(lang):
            return format_func(value)

    return shown


def render(title: str, choice) -> None:
    """Show the page called ``title`` for the visitor's ``choice``."""
    module = next(page.module for page in PAGES if page.title == title)
    importlib.import_module(module).render(choice)
