"""Export: the reports (HTML, Markdown, JSON, CSV) and, for specs, the generated PyTorch code."""

from __future__ import annotations

import streamlit as st

from cnnscope.app import model_choice, plain_text, spec_text


def render(choice) -> None:
    report = model_choice.report(choice)
    st.header(f"Export {plain_text.plain(report.model)}")
    st.caption("The model report (the same one `cnnscope summary MODEL -o report.html` writes): totals, the "
               "depth charts, the diagram and every row. The Markdown comes as a .zip with its charts beside it.")
    html, markdown_zip, as_json, as_csv = _files(choice)
    columns = st.columns(4)
    columns[0].download_button("HTML report", html, f"{report.model}.html", "text/html")
    columns[1].download_button("Markdown (.zip)", markdown_zip, f"{report.model}.zip", "application/zip")
    columns[2].download_button("JSON", as_json, f"{report.model}.json", "application/json")
    columns[3].download_button("CSV", as_csv, f"{report.model}.csv", "text/csv")
    if choice.kind == "spec":
        from cnnscope.spec.codegen import class_name, generate

        plan = spec_text.spec_plan(choice.value, choice.shape)
        code = generate(plan)
        st.subheader("PyTorch code")
        st.code(code, language="python")
        st.download_button("Download the code", code, f"{class_name(plan.name).lower()}.py", "text/x-python")
    else:
        st.caption("Generated PyTorch code is available for models written as specs (sidebar → Spec).")


@st.cache_data(show_spinner="writing the report", max_entries=8)
def _files(choice) -> tuple:
    """The four downloads, made once per model and input (the diagram and charts take a second or two)."""
    from cnnscope.export import model_document
    from cnnscope.export.formats import DOWNLOADS

    report = model_choice.report(choice)
    return tuple(model_document.render(report, fmt) for fmt in DOWNLOADS)
