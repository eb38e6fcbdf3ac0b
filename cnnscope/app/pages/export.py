"""Export: the reports (HTML, Markdown, JSON, CSV) and, for specs, the generated PyTorch code."""

from __future__ import annotations

import streamlit as st

from cnnscope.app import state


def render(choice) -> None:
    from cnnscope.studies.compare import compare_reports
    from cnnscope.export import report as report_io
    from cnnscope.export.comparison_report import comparison_report
    from cnnscope.export.tabular import to_csv, to_markdown
    from cnnscope.vis.charts import comparison_figures

    report = state.report(choice)
    st.header(f"Export {report.model}")
    comparison = compare_reports([report])
    full = comparison_report(comparison, "meta (analysis)", comparison_figures(comparison))
    import json

    columns = st.columns(4)
    columns[0].download_button("HTML report", report_io.to_html(full), f"{report.model}.html", "text/html")
    columns[1].download_button("Markdown", to_markdown(report, None), f"{report.model}.md", "text/markdown")
    columns[2].download_button("JSON", json.dumps(report.to_dict(), indent=2), f"{report.model}.json",
                               "application/json")
    columns[3].download_button("CSV", to_csv(report, None), f"{report.model}.csv", "text/csv")
    if choice.kind == "spec":
        from cnnscope.spec.codegen import class_name, generate

        plan = state.spec_plan(choice.value, choice.shape)
        code = generate(plan)
        st.subheader("PyTorch code")
        st.code(code, language="python")
        st.download_button("Download the code", code, f"{class_name(plan.name).lower()}.py", "text/x-python")
    else:
        st.caption("Generated PyTorch code is available for models written as specs (sidebar → Spec).")
