"""Catalog work with Babel: extract the marked messages, update and compile the ``.po`` files,
list what is untranslated, and merge translations from a JSON file.

    python -m cnnscope.i18n.catalogs extract    # cnnscope/i18n/locale/cnnscope.pot from the source
    python -m cnnscope.i18n.catalogs update     # new ids into every .po (translations kept)
    python -m cnnscope.i18n.catalogs compile    # .po -> .mo (.ci/run does this)
    python -m cnnscope.i18n.catalogs missing    # ids without a Chinese translation
    python -m cnnscope.i18n.catalogs add zh FILE.json   # {"msgid": "msgstr", ...} into zh's .po
"""

from __future__ import annotations

import gettext
import io
import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from cnnscope.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

PACKAGE = Path(__file__).resolve().parents[1]
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
METHODS = [("**.py", "python")]


def po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    catalog = Catalog(project="cnnscope", domain=DOMAIN)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PACKAGE), METHODS, keywords=KEYWORDS, comment_tags=("Translators:",), strip_comment_tags=True):
        catalog.add(message, None, [(f"cnnscope/{filename}", lineno)], auto_comments=comments, context=context)
    return catalog


def _read(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as handle:
        return read_po(handle, locale=locale)


def _write_po(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, sort_output=False, omit_header=False)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(path)


def write_template() -> Catalog:
    template = extract()
    _write_po(TEMPLATE, template)
    return template


def update() -> None:
    template = write_template()
    for code in LANGUAGES:
        if code == "en":
            continue
        path = po_path(code)
        catalog = _read(path, code) if path.exists() else Catalog(locale=code, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write_po(path, catalog)


def compile_all() -> list[Path]:
    written = []
    for code in LANGUAGES:
        path = po_path(code)
        if code == "en" or not path.exists():
            continue
        catalog = _read(path, code)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        mo = path.with_suffix(".mo")
        tmp = mo.with_suffix(".mo.tmp")
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(mo)
        written.append(mo)
    return written


def missing(code: str = "zh") -> list[str]:
    """Message ids in the source with no translation in ``code``'s catalog."""
    catalog = _read(po_path(code), code) if po_path(code).exists() else Catalog(locale=code)
    absent = []
    for message in extract():
        if not message.id:
            continue
        found = catalog.get(message.id)
        strings = () if found is None else (found.string if isinstance(found.string, (list, tuple)) else (found.string,))
        if found is None or found.fuzzy or not all(strings):
            absent.append(message.id if isinstance(message.id, str) else message.id[0])
    return absent


def add(code: str, mapping: dict) -> int:
    """Merge ``{"msgid": "msgstr"}`` (or ``{"singular": ["msgstr[0]", ...]}`` for plurals) into the catalog."""
    path = po_path(code)
    catalog = _read(path, code) if path.exists() else Catalog(locale=code, domain=DOMAIN)
    plurals = None
    for msgid, msgstr in mapping.items():
        existing = catalog.get(msgid)
        if isinstance(msgstr, list):
            if existing is None:  # the plural id comes from the source (the template), not the JSON
                plurals = plurals if plurals is not None else {m.id[0]: m.id for m in extract() if isinstance(m.id, tuple)}
                existing = catalog.add(plurals.get(msgid, (msgid, msgid)), tuple(msgstr))
            existing.string = tuple(msgstr)
            existing.flags.discard("fuzzy")
        elif existing is not None:
            existing.string = msgstr
            existing.flags.discard("fuzzy")
        else:
            catalog.add(msgid, msgstr)
    _write_po(path, catalog)
    return len(mapping)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "compile"
    if command == "extract":
        print(f"{len(write_template())} messages -> {TEMPLATE}")
    elif command == "update":
        update()
    elif command == "compile":
        for mo in compile_all():
            print(f"compiled {mo}")
    elif command == "missing":
        absent = missing(argv[1] if len(argv) > 1 else "zh")
        print("\n".join(absent))
        return 1 if absent else 0
    elif command == "add":
        print(f"merged {add(argv[1], json.loads(Path(argv[2]).read_text(encoding='utf-8')))} translations")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
