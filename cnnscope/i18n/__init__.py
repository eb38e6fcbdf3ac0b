"""Translations: gettext catalogs (``locale/<lang>/LC_MESSAGES/cnnscope.po``, compiled to ``.mo``).

Message ids are the English text.  Mark text with ``_("...")`` where it is shown and with
``N_("...")`` where it is defined at import time (a module-level table): ``N_`` only marks it for
extraction, and the place that shows it calls ``_(text)``, so the language chosen *when it is shown*
wins.  Plurals: ``ngettext("{n} model", "{n} models", n).format(n=n)``.  Never build a sentence
from translated fragments: translate the whole sentence with ``{placeholders}``.

The language is per thread of work (a ``ContextVar``): each Streamlit session's script run and the
CLI set it once, so two browser sessions in one server never see each other's language.
"""

from __future__ import annotations

import contextlib
import contextvars
import gettext as _gettext
import os
from functools import lru_cache
from pathlib import Path

LANGUAGES = {"en": "English", "zh": "中文"}
DOMAIN = "cnnscope"
LOCALE_DIR = Path(__file__).with_name("locale")

_language: contextvars.ContextVar[str] = contextvars.ContextVar("cnnscope_language", default="")


def normalize(code: str | None) -> str | None:
    """``zh``, ``zh_CN.UTF-8``, ``zh-Hans`` -> ``zh``; ``en_US`` -> ``en``; anything else -> None."""
    if not code:
        return None
    base = code.strip().replace("-", "_").split(".")[0].split("_")[0].lower()
    return base if base in LANGUAGES else None


def from_environment() -> str:
    """``CNNSCOPE_LANG`` first, then the POSIX locale variables (a ``zh_*`` locale gives Chinese)."""
    for variable in ("CNNSCOPE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            code = normalize(value)
            if code:
                return code
            if variable == "CNNSCOPE_LANG":
                break  # an unknown CNNSCOPE_LANG is reported by the CLI, not silently replaced
    return "en"


def language() -> str:
    return _language.get() or from_environment()


def set_language(code: str) -> None:
    found = normalize(code)
    if found is None:
        raise ValueError(f"unknown language {code!r}: choose one of {', '.join(LANGUAGES)}")
    _language.set(found)


@contextlib.contextmanager
def use_language(code: str):
    token = _language.set(normalize(code) or "en")
    try:
        yield
    finally:
        _language.reset(token)


@lru_cache(maxsize=None)
def translations(code: str) -> _gettext.NullTranslations:
    """The compiled catalog, else the ``.po`` read with Babel (a checkout before ``compile``), else none."""
    if code == "en":
        return _gettext.NullTranslations()
    mo = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.mo"
    po = mo.with_suffix(".po")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with open(mo, "rb") as handle:
            return _gettext.GNUTranslations(handle)
    if po.exists():
        return _from_po(po)
    return _gettext.NullTranslations()


def _from_po(po: Path) -> _gettext.NullTranslations:
    """A ``.po`` compiled in memory with Babel (imported here, not from ``catalogs``: no module cycle)."""
    import io

    try:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po
    except ImportError:  # Babel missing: English rather than a crash
        return _gettext.NullTranslations()
    with open(po, "rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def _(message: str) -> str:
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks ``message`` for extraction only; translate it with ``_(message)`` where it is shown."""
    return message
