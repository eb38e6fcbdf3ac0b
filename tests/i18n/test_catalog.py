"""The Chinese catalog: every message marked in the source has a translation, and every translation
keeps its message's placeholders (a lost ``{path}`` would print a sentence without its subject; an
extra one would raise KeyError when the message is shown)."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("babel")

from cnnscope.i18n import catalogs  # noqa: E402

BRACE_FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}(?!\})")
# argparse's %-fields; no space flag, so that "{percent}% fewer" is not read as "% f"
PERCENT_FIELD = re.compile(r"%(?:\(([A-Za-z_]+)\))?[-#0+]*\d*(?:\.\d+)?[sdrfgiexX%]")


def placeholders(text: str) -> set[str]:
    """``{name}`` fields (str.format) and ``%(name)s`` / ``%s`` fields (argparse's own messages)."""
    braces = set(BRACE_FIELD.findall(text))
    percents = {m.group(0) if m.group(1) is None else f"%({m.group(1)})" for m in PERCENT_FIELD.finditer(text)
                if m.group(0) != "%%"}
    return braces | percents


def zh_catalog():
    path = catalogs.po_path("zh")
    with open(path, "rb") as handle:
        from babel.messages.pofile import read_po

        return read_po(handle, locale="zh")


def test_every_message_has_a_chinese_translation():
    absent = catalogs.missing("zh")
    assert absent == [], (f"{len(absent)} message(s) have no Chinese translation; add them (see docs/i18n or "
                          "cnnscope/i18n/catalogs.py: update, then add zh FILE.json, then compile):\n"
                          + "\n".join(absent))


def test_translations_keep_the_placeholders_of_their_message():
    wrong = []
    for message in zh_catalog():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(placeholders(i) for i in ids))
        for string in strings:
            found = placeholders(string)
            # a plural's forms may leave out a field of the singular (1 has no "{n}"); none may add one
            if found - expected or (len(ids) == 1 and found != expected):
                wrong.append(f"{ids[0]!r} -> {string!r}: {sorted(found ^ expected)}")
    assert not wrong, "translations whose placeholders differ from their message's:\n" + "\n".join(wrong)


def test_plural_entries_have_every_form_of_the_language():
    catalog = zh_catalog()
    # an untranslated plural (every form empty) is the first test's business
    incomplete = [m.id[0] for m in catalog if isinstance(m.id, tuple) and any(m.string)
                  and (len(m.string) != catalog.num_plurals or not all(m.string))]
    assert catalog.num_plurals == 1  # Chinese has one form: "{n} 个模型"
    assert not incomplete, f"plural messages without all {catalog.num_plurals} form(s): {incomplete}"


def test_placeholder_reader_sees_both_styles():
    assert placeholders("{path}: {n:,} of {total!r}") == {"path", "n", "total"}
    assert placeholders("invalid choice: %(value)r (choose from %(choices)s) %s") == {"%(value)", "%(choices)", "%s"}
    assert placeholders("a {{literal}} brace") == set()
    assert placeholders("{percent}% fewer") == {"percent"}


def test_the_receptive_field_formula_is_a_message():
    """The app's RF page shows the recurrence with its words ("the input: ...") in the visitor's language."""
    from cnnscope.i18n import _, use_language
    from cnnscope.studies.explain import RF_FORMULA

    with use_language("zh"):
        shown = _(RF_FORMULA)
    assert "输入" in shown and "the input" not in shown and shown.startswith("r_out = r_in + (k−1)·d·j_in")


def test_the_diff_totals_names_are_messages():
    """The app's diff tab shows the export's English totals names and "change" through _(): each needs an entry."""
    from cnnscope.export.diff import TOTAL_LABELS
    from cnnscope.i18n import _, use_language

    names = [name for name in TOTAL_LABELS.values() if name not in ("MACs", "FLOPs")] + ["change"]
    with use_language("zh"):
        untranslated = [name for name in names if _(name) == name]
    assert not untranslated
