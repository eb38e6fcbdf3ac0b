"""The Compare page's Diff tab: two architectures aligned row by row (``studies.diff``), as ``cnnscope
diff`` prints them, with the totals' change and the diff to download."""

from __future__ import annotations

import streamlit as st

from cnnscope.app import model_choice, plain_text, zoo_picker
from cnnscope.app.pages import in_language
from cnnscope.errors import CnnscopeError
from cnnscope.i18n import _

SIDEBAR = "the sidebar's model"  # the option's value; shown as "the sidebar's model (NAME)" in the visitor's language
DEFAULTS = ("resnet18", "resnet34")


def render(choice) -> None:
    """``choice``: the sidebar's model, offered as either side (a spec the visitor wrote, say)."""
    from cnnscope.export.diff import diff_body, identical_line, render as render_diff, totals_table

    st.caption(_("Rows added (+), removed (−) and changed (~, with old → new), whole blocks as one line, "
                 "identical runs collapsed; rows are matched by what they do, so models that name their "
                 "layers differently line up too."))
    options = [SIDEBAR, *zoo_picker.picker_names()]

    def label(option: str) -> str:
        if option == SIDEBAR:
            return _("the sidebar's model ({name})").format(name=choice.label)
        return zoo_picker.picker_label(option)

    left, right = st.columns(2)
    picked = [column.selectbox(side, options, index=options.index(default) if default in options else 0,
                               key=f"diff_{side.lower()}", format_func=in_language(label))
              for column, side, default in ((left, "A", DEFAULTS[0]), (right, "B", DEFAULTS[1]))]
    reports = []
    for side, option in zip("AB", picked):
        try:
            reports.append(model_choice.report(choice if option == SIDEBAR else model_choice.natural_choice(option)))
        except CnnscopeError as error:
            st.error(f"{side}: {plain_text.plain(error)}")
            return
    diff = _diff(*reports, *(choice.label if option == SIDEBAR else option for option in picked))
    if diff.identical:
        st.success(identical_line(diff))
        for note in diff.notes:
            st.caption(note)
    else:
        st.code(diff_body(diff), language="diff")
        columns, rows = totals_table(diff)
        # the export's English labels (the catalog's ids): the totals' names and "change", shown translated
        shown = [_("total"), *columns[1:-1], _(columns[-1])]
        st.dataframe([dict(zip(shown, [_(row[0]), *row[1:]])) for row in rows], hide_index=True, width="stretch")
    stem = f"diff-{_file_part(diff.a.source)}-{_file_part(diff.b.source)}"
    buttons = st.columns(3)
    for column, (fmt, suffix, mime) in zip(buttons, (("html", "html", "text/html"), ("md", "md", "text/markdown"),
                                                     ("json", "json", "application/json"))):
        column.download_button(_("Download .{suffix}").format(suffix=suffix), render_diff(diff, fmt, _provenance(diff)),
                               file_name=f"{stem}.{suffix}", mime=mime, key=f"diff_download_{fmt}")


def _diff(a, b, source_a: str, source_b: str):
    from cnnscope.studies.diff import diff_reports

    return diff_reports(a, b, source_a, source_b)


def _provenance(diff) -> dict:
    from cnnscope.export.document import provenance

    return provenance("meta (analysis)", "; ".join(str(s.input_shape) for s in (diff.a, diff.b)))


def _file_part(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:40] or "model"
