"""Export: the reports (HTML, Markdown, JSON, CSV) and, for specs, the generated PyTorch code."""

from __future__ import annotations

import streamlit as st

from cnnscope.app import model_choice, plain_text, spec_text
from cnnscope.i18n import N_, _, language


def render(choice) -> None:
    report = model_choice.report(choice)
    st.header(_("Export {model}").format(model=plain_text.plain(report.model)))
    st.caption(_("The model report: totals, the depth charts, the diagram and every row, in one file that opens "
                 "offline. The Markdown comes as a .zip with its charts beside it."))
    html, markdown_zip, as_json, as_csv = _files(choice, progress=True)
    columns = st.columns(4)
    columns[0].download_button(_("HTML report"), html, f"{report.model}.html", "text/html")
    columns[1].download_button(_("Markdown (.zip)"), markdown_zip, f"{report.model}.zip", "application/zip")
    columns[2].download_button("JSON", as_json, f"{report.model}.json", "application/json")
    columns[3].download_button("CSV", as_csv, f"{report.model}.csv", "text/csv")
    if choice.kind == "spec":
        from cnnscope.spec.codegen import class_name, generate

        plan = spec_text.spec_plan(choice.value, choice.shape)
        code = generate(plan)
        st.subheader(_("PyTorch code"))
        st.code(code, language="python")
        st.download_button(_("Download the code"), code, f"{class_name(plan.name).lower()}.py", "text/x-python")
    else:
        st.caption(_("Generated PyTorch code is available for models written as specs (sidebar → Spec)."))


# What each download holds, for the progress line while it is written (the HTML's diagram and charts and the
# zip's chart pictures take the time: seconds on a model of hundreds of layers).
# Whole sentences per format (no sentence built from a fragment): {layers}, {k}, {n}, {seconds} filled in.
STEPS = {"html": N_("Writing the HTML report (its charts and diagram) for {layers} layers ({k} of {n}, {seconds} s so "
                    "far; a large model takes a few seconds)"),
         "zip": N_("Writing the Markdown and its chart pictures for {layers} layers ({k} of {n}, {seconds} s so far; "
                   "a large model takes a few seconds)"),
         "json": N_("Writing the JSON for {layers} layers ({k} of {n}, {seconds} s so far; a large model takes a few "
                    "seconds)"),
         "csv": N_("Writing the CSV for {layers} layers ({k} of {n}, {seconds} s so far; a large model takes a few "
                   "seconds)")}


def _files(choice, progress: bool = False) -> tuple:
    """The four downloads, made once per model and input.  ``progress``: a bar names each one while it is
    written, with the layer count and the seconds so far, and goes away when they are ready (at once when they
    were made before)."""
    import time

    from cnnscope.export.formats import DOWNLOADS

    bar = st.empty() if progress else None
    layers = len(model_choice.report(choice).leaves())
    started, files = time.perf_counter(), []
    for k, fmt in enumerate(DOWNLOADS):
        if bar is not None:
            so_far = time.perf_counter() - started
            line = _(STEPS[fmt]) if fmt in STEPS else _("Writing {what} for {layers} layers ({k} of {n}, {seconds} s "
                                                           "so far; a large model takes a few seconds)")
            bar.progress(k / len(DOWNLOADS), text=line.format(what=fmt, layers=f"{layers:,}", k=k + 1,
                                                              n=len(DOWNLOADS), seconds=f"{so_far:.0f}"))
        files.append(_file(choice, fmt, language()))
    if bar is not None:
        bar.empty()
    return tuple(files)


@st.cache_data(show_spinner=False, max_entries=32)
def _file(choice, fmt: str, lang: str = "en"):
    """One download, made once per model, input, format and language (the reports are written in it)."""
    from cnnscope.export import model_document

    return model_document.render(model_choice.report(choice), fmt)
