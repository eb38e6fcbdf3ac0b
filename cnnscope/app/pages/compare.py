"""Compare architectures side by side, and the kernel study with sliders."""

from __future__ import annotations

import streamlit as st

from cnnscope import units
from cnnscope.app import model_choice, plain_text, responsive, zoo_picker
from cnnscope.app.pages import in_language
from cnnscope.i18n import N_, _, language, ngettext

# On a phone (400 px) the kernel study's tables show these columns only, in this order: the rest push the
# key ones (the weights, the final validation accuracy) off the screen
VARIANT_PRIORITY = ("variant", "layers", "weights", "MACs", "RF")
RESULT_PRIORITY = ("variant", "final val acc", "weights", "converged")
# the verdict's hint when a variant did not learn, in the words of this page's controls
APP_LONGER = N_("train longer (raise the Epochs box of the experiment above)")


def render(choice) -> None:
    st.header(_("Compare"))
    models_tab, diff_tab, kernels_tab = st.tabs([_("Architectures"), _("Diff"), _("Kernel study")])
    with models_tab:
        names = zoo_picker.picker_names()
        # select_all=False: since Streamlit 1.63 the dropdown's first row is "Select N matches" and Enter picks
        # that row, adding every match; without it Enter adds the highlighted (first) match only
        picked = st.multiselect(_("Models (each at its natural input)"), names, default=["resnet18", "vgg16"],
                                key="compare_models", max_selections=8, format_func=in_language(zoo_picker.picker_label),
                                select_all=False, filter_mode="contains",
                                help=_("every zoo model; type part of a name and press Enter to add the "
                                       "highlighted one; detection models trace on the CPU (seconds each)"))
        if len(picked) >= 2:
            with st.spinner(_("analysing")):
                comparison = _comparison(tuple(picked), language())
            from cnnscope.export.comparison_document import comparison_table
            from cnnscope.vis.charts import comparison_figures

            columns, rows = comparison_table(comparison)  # models as columns, the metrics' English names as rows
            st.dataframe([dict(zip(columns, [_(row[0]), *row[1:]])) for row in rows], hide_index=True, width="stretch")
            for figure in comparison_figures(comparison):
                st.plotly_chart(figure, width="stretch")
        else:
            st.info(_("Pick at least two models."))
    with diff_tab:
        from cnnscope.app import diff_view

        diff_view.render(choice)
    with kernels_tab:
        from cnnscope.export.kernels import findings, kernel_table
        from cnnscope.studies.kernels.variants import study
        from cnnscope.vis.kernel_charts import kernel_figures

        rf, channels, size = _study_settings()
        variants = study(rf, channels, size)
        columns, rows = kernel_table(variants)
        responsive.style()
        _table("kernel-variants", columns, [list(map(thousands, row)) for row in rows], VARIANT_PRIORITY)
        for line in findings(variants, rf, channels):
            st.markdown(f"- {line}")
        for figure in kernel_figures(variants):
            st.plotly_chart(figure, width="stretch")
        _experiment(rf, channels, size)


def _table(name: str, columns: list[str], rows: list[list], priority: tuple[str, ...]) -> None:
    """The full interactive table on a wide screen; on a phone, its ``priority`` columns as a compact table
    whose cells wrap (``responsive``), so the key numbers stay on the screen."""
    wide, narrow = responsive.wide_and_narrow(name)
    # the export names its columns in English (the ids of the catalog): shown in the visitor's language
    records = [dict(zip(map(_, columns), row)) for row in rows]
    with wide:
        st.dataframe(records, hide_index=True, width="stretch")
    with narrow:
        keys = [c for c in priority if c in columns]
        st.html(responsive.compact_html(records, [_(k) for k in keys],
                                        numeric=tuple(_(k) for k in keys if k in _NUMERIC)))


_NUMERIC = ("weights", "MACs", "RF", "final val acc")


def _study_settings() -> tuple[int, int, int]:
    """One set of controls for the variants' table and the experiment: the target field, the channels C and the
    input size (at least the field: a smaller input cannot hold it)."""
    from cnnscope.studies.kernels import experiment as ke

    rf = st.select_slider(_("Target receptive field"), options=[3, 5, 7, 9, 11, 13, 15], value=7, key="k_rf")
    if st.session_state.get("k_size", rf) < rf:
        st.session_state["k_size"] = rf  # the field grew past the input: the smallest input that holds it
    left, right = st.columns(2)
    channels = left.number_input(_("Channels (C)"), 1, 256, ke.DEFAULT_CHANNELS, key="k_channels",
                                 help=_("every variant maps C channels to C; the experiment trains at this C too"))
    size = right.number_input(_("Input size (pixels)"), rf, 224, max(ke.DEFAULT_INPUT_SIZE, rf), key="k_size",
                              help=_("the table's memory and latency are at this size; the experiment resizes the "
                                     "8×8 digits to it (larger is slower: see the estimate before you start)"))
    st.caption(_("These three settings are used by the table below and by the experiment further down."))
    return int(rf), int(channels), int(size)


def thousands(value):
    """``1,234,567`` for whole numbers (the table's cells as the terminal prints them); the rest as it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, str) and value.isdigit():
        return f"{int(value):,}"
    return value


def _experiment(rf: int, channels: int, size: int) -> None:
    """Train every variant over several seeds (``studies.kernels.experiment``), with a time estimate first and
    live progress."""
    from cnnscope.errors import CnnscopeError
    from cnnscope.export.kernels import plural
    from cnnscope.studies.kernels import experiment as ke
    from cnnscope.studies.kernels.variants import kinds

    st.subheader(_("The experiment: train every variant"))
    st.caption(_("The same classifier around each variant (1×1 stem, the variant, global pooling, a linear head), "
                 "at the field, C and input size set above ({rf}×{rf}, C={channels}, {size}×{size}), the same "
                 "budget for each, on the embedded digits; each seed sets the initialisation, the split and the "
                 "shuffle.  The verdict is computed from the numbers.").format(rf=rf, channels=channels, size=size))
    columns = st.columns(3)
    epochs = columns[0].number_input(_("Epochs"), 1, 500, ke.DEFAULT_EPOCHS, key="kx_epochs")
    seeds = columns[1].number_input(_("Seeds"), 1, 20, ke.DEFAULT_SEEDS, key="kx_seeds")
    lr = columns[2].number_input(_("Learning rate"), 1e-5, 1.0, ke.DEFAULT_LR, format="%.4f", key="kx_lr")
    settings = ke.Settings(rf=rf, channels=channels, input_size=size, epochs=int(epochs), lr=float(lr),
                           seeds=tuple(range(int(seeds))))
    try:
        settings.check()
        _estimate_line(settings)
    except CnnscopeError as error:
        st.error(plain_text.plain(error))
        settings = None
    if st.button(_("Train {variants} × {seeds}").format(variants=variants_text(len(kinds(rf))),
                                                        seeds=seeds_text(int(seeds))), key="kx_run",
                 type="primary", disabled=settings is None):
        try:
            st.session_state["kx_result"] = _run_live(settings)
        except CnnscopeError as error:
            st.error(plain_text.plain(error))
    experiment = st.session_state.get("kx_result")
    if experiment is not None:
        _show_experiment(experiment)


def _estimate_line(settings) -> None:
    """"About 1 min 20 s" before the button: a few measured steps of each variant × the runs' step budget
    (measured once per setting, at this machine's current load)."""
    with st.spinner(_("timing a few training steps of each variant")):
        estimate = _estimate(settings)
    st.info(_("Estimated time: about {duration} for {steps} training steps ({variants} × {seeds} × {epochs}), "
              "timed from a few steps of each variant on this machine: an estimate, its load changes it.").format(
        duration=duration(estimate.seconds), steps=f"{estimate.steps:,}",
        variants=variants_text(len(estimate.step_seconds)), seeds=seeds_text(len(settings.seeds)),
        epochs=ngettext("{n} epoch", "{n} epochs", settings.epochs).format(n=settings.epochs)))


def variants_text(n: int) -> str:
    return ngettext("{n} variant", "{n} variants", n).format(n=n)


def seeds_text(n: int) -> str:
    return ngettext("{n} seed", "{n} seeds", n).format(n=n)


@st.cache_data(show_spinner=False, max_entries=32)
def _estimate(settings):
    from cnnscope.studies.kernels.experiment import estimate

    return estimate(settings)


def duration(seconds: float) -> str:
    """``40 s``, ``1 min 20 s``, ``12 min`` (rounded to what a person plans with)."""
    seconds = max(1, round(seconds))
    if seconds < 60:
        return _("{seconds} s").format(seconds=seconds)
    minutes, rest = divmod(seconds, 60)
    if minutes >= 10:
        return _("{minutes} min").format(minutes=round(seconds / 60))
    rest = 10 * round(rest / 10)
    if rest == 0 or rest >= 60:
        return _("{minutes} min").format(minutes=minutes + (rest >= 60))
    return _("{minutes} min {seconds} s").format(minutes=minutes, seconds=rest)


def _run_live(settings):
    from cnnscope.studies.kernels.experiment import run_experiment
    from cnnscope.vis.kernel_charts import curves_with_band

    bar = st.progress(0.0, text=_("starting"))
    live = st.empty()
    curves: dict[str, list] = {}

    def on_progress(p) -> None:
        done = ((p.run - 1) + p.epoch / p.epochs) / p.runs
        bar.progress(min(done, 1.0), text=_("run {run} of {runs}: {kind}, seed {seed}, epoch {epoch} of {epochs}, "
                                            "val acc {accuracy}").format(
            run=p.run, runs=p.runs, kind=p.kind, seed=p.seed, epoch=p.epoch, epochs=p.epochs,
            accuracy=units.percent(p.record.val_acc)))

    def on_run(kind, seed, run) -> None:
        curves.setdefault(kind, []).append(run.val_acc)
        figure = curves_with_band(curves, _("Validation accuracy so far"), _("validation accuracy (%)"), percent=True)
        live.plotly_chart(figure, width="stretch", key=f"kx_live_{sum(map(len, curves.values()))}")

    experiment = run_experiment(settings, on_progress=on_progress, on_run=on_run)
    bar.progress(1.0, text=_("done in {seconds} s").format(seconds=f"{experiment.seconds:.0f}"))
    live.empty()
    return experiment


def _show_experiment(experiment) -> None:
    from cnnscope.export.kernels import seed_table, settings_line, training_table, verdict_text
    from cnnscope.vis.kernel_charts import experiment_figures

    st.markdown(f"**{settings_line(experiment)}**")
    columns, rows = training_table(experiment)
    _table("kernel-results", columns, rows, RESULT_PRIORITY)
    (st.success if experiment.verdict.resolved else st.warning)(verdict_text(experiment.verdict, _(APP_LONGER)))
    with st.expander(_("Per seed")):
        columns, rows = seed_table(experiment)
        st.dataframe([dict(zip(map(_, columns), row)) for row in rows], hide_index=True, width="stretch")
    for k, figure in enumerate(experiment_figures(experiment)):
        st.plotly_chart(figure, width="stretch", key=f"kx_figure_{k}")


@st.cache_resource(show_spinner=False, max_entries=16)
def _comparison(names: tuple, lang: str = "en"):
    """Keyed by the language too: the comparison's notes are written in it."""
    from cnnscope.studies.compare import compare_reports

    return compare_reports([model_choice.report(model_choice.natural_choice(n)) for n in names])
