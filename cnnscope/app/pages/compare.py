"""Compare architectures side by side, and the kernel study with sliders."""

from __future__ import annotations

import streamlit as st

from cnnscope.app import state


def render(choice) -> None:
    st.header("Compare")
    models_tab, kernels_tab = st.tabs(["Architectures", "Kernel study"])
    with models_tab:
        groups = state.zoo_names()
        names = groups["tutorial"] + groups["torchvision"]
        picked = st.multiselect("Models (each at its natural input)", names, default=["resnet18", "vgg16"],
                                key="compare_models", max_selections=8)
        if len(picked) >= 2:
            comparison = _comparison(tuple(picked))
            from cnnscope.export.comparison_report import comparison_table
            from cnnscope.vis.charts import comparison_figures

            columns, rows = comparison_table(comparison)
            st.dataframe([dict(zip(columns, row)) for row in rows], hide_index=True, width="stretch")
            for figure in comparison_figures(comparison):
                st.plotly_chart(figure, width="stretch")
        else:
            st.info("Pick at least two models.")
    with kernels_tab:
        from cnnscope.export.comparison_report import kernel_table
        from cnnscope.studies.kernel_study import findings, study
        from cnnscope.vis.charts import kernel_figures

        rf = st.select_slider("Target receptive field", options=[3, 5, 7, 9, 11, 13, 15], value=7, key="k_rf")
        channels = st.slider("Channels", 1, 256, 64, key="k_channels")
        size = st.slider("Input size", max(rf, 8), 224, 56, key="k_size")
        variants = study(rf, channels, size)
        columns, rows = kernel_table(variants)
        st.dataframe([dict(zip(columns, row)) for row in rows], hide_index=True, width="stretch")
        for line in findings(variants, rf, channels):
            st.markdown(f"- {line}")
        for figure in kernel_figures(variants):
            st.plotly_chart(figure, width="stretch")


@st.cache_resource(show_spinner="analysing", max_entries=16)
def _comparison(names: tuple):
    from cnnscope.studies.compare import compare_reports

    return compare_reports([state.report(state.Choice("zoo", n, state.natural_shape(n))) for n in names])
