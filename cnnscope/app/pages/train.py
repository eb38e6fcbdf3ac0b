"""Train: a quick run on the embedded digits (or local data sets) in a background thread that
survives page switches (``app/training.py``), with live training and validation curves, a stop
button, the final accuracy, the visitor's finished runs (kept on disk, ``app/run_store.py``: a
reload lists them again) overlaid, and the trained weights, final and best epoch's, offered to the
other pages.  The form's settings outlive a visit to another page (``_kept_settings``)."""

from __future__ import annotations

import os

import streamlit as st

from cnnscope import units
from cnnscope.app import plain_text, real_models, training, zoo_picker
from cnnscope.i18n import _, language, ngettext, set_language

MAX_EPOCHS = 30
MAX_BATCH = 512
OPTIMIZERS = ["adam", "adamw", "sgd"]
REFRESH_S = 1.0
KEPT_KEY = "train_settings_kept"  # the form's last values: Streamlit drops a widget's state off its page


def render(choice) -> None:
    st.header(_("Train {model}").format(model=plain_text.plain(choice.label)))
    reason = why_not_trainable(choice)
    if reason:
        st.info(reason)  # Markdown-safe: the only visitor text, the label, comes escaped
        return
    datasets = ["digits"]
    root = os.environ.get("CNNSCOPE_DATA_ROOT")  # the operator decides which local data sets exist
    if root:
        datasets += ["mnist", "fashion-mnist", "cifar10"]
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    job = training.collect()
    running = job is not None and not job.done
    if not running:
        training.refresh_runs()
    defaults = {"train_dataset": "digits", "train_epochs": 5, "train_lr": 1e-3, "train_optimizer": "adam",
                "train_batch": 32, "train_device": devices[-1], **_latest_settings()}
    _kept_settings(defaults, {"train_dataset": datasets, "train_optimizer": OPTIMIZERS, "train_device": devices})
    with st.form("train_settings"):
        columns = st.columns(6)
        dataset = columns[0].selectbox(_("Data set"), datasets, key="train_dataset",
                                       help=_("digits: scikit-learn's 1,797 handwritten 8×8 digits, resized to the "
                                              "model's input"))
        epochs = columns[1].number_input(_("Epochs"), 1, MAX_EPOCHS, key="train_epochs")
        lr = columns[2].number_input(_("Learning rate"), 1e-5, 1.0, key="train_lr", format="%.5f")
        optimizer = columns[3].selectbox(_("Optimizer"), OPTIMIZERS, key="train_optimizer")
        batch_size = columns[4].number_input(_("Batch size"), 1, MAX_BATCH, key="train_batch",
                                             help=_("images per step, 1 to {most} (32: the command line's "
                                                    "default too)").format(most=MAX_BATCH))
        device = columns[5].selectbox(_("Device"), devices, key="train_device")
        start = st.form_submit_button(_("Train"), key="train_start", disabled=running,
                                      help=_("one run at a time; it goes on when you switch page"))
    _keep_settings()
    if start and not running:
        options = {"epochs": int(epochs), "batch_size": int(batch_size), "lr": float(lr), "optimizer": optimizer,
                   "device": device, "seed": 0}
        job = training.start(training.new_job(
            choice, lambda: _prepare(choice, dataset, root), options,
            lambda number: f"{number}. {choice.label} · {optimizer} lr {float(lr):g} · {int(epochs)} ep"))
    if job is not None and not job.done:
        _live(job, language())
    elif job is not None:
        _show_result(job.label, job.history, job.notes, job.message, job.save_error)
    elif training.finished_runs():  # a new session (a reload): the latest kept run
        latest = training.finished_runs()[-1]
        st.subheader(_("Latest run: {label}").format(label=plain_text.plain(latest["label"])))
        _show_result(latest["label"], latest["history"], [], "", "")
    _weights_note(choice)
    _runs()


def _kept_settings(defaults: dict, options: dict) -> None:
    """Give each form widget its last value: Streamlit deletes a widget's state while its page is not
    shown, so the values live on in ``KEPT_KEY`` and are handed back before the widgets are drawn."""
    kept = st.session_state.setdefault(KEPT_KEY, {})
    for key, default in defaults.items():
        if key in st.session_state:
            continue
        value = kept.get(key, default)
        st.session_state[key] = value if key not in options or value in options[key] else default


def _latest_settings() -> dict:
    """After a reload (a new session: the form's values are gone), the settings of the latest kept run."""
    runs = training.finished_runs()
    if KEPT_KEY in st.session_state or not runs:
        return {}
    config = runs[-1]["history"].config
    found = {"train_dataset": config.get("dataset"), "train_epochs": config.get("epochs"),
             "train_lr": config.get("lr"), "train_optimizer": config.get("optimizer"),
             "train_batch": config.get("batch_size")}
    ranges = {"train_epochs": (1, MAX_EPOCHS), "train_lr": (1e-5, 1.0), "train_batch": (1, MAX_BATCH)}
    kinds = {"train_dataset": str, "train_optimizer": str, "train_epochs": int, "train_batch": int, "train_lr": float}
    kept = {}
    for key, value in found.items():
        if type(value) is not kinds[key] or (key in ranges and not ranges[key][0] <= value <= ranges[key][1]):
            continue  # a setting the form cannot show as it is (or missing): the default stays
        kept[key] = value
    return kept


def _keep_settings() -> None:
    kept = st.session_state.setdefault(KEPT_KEY, {})
    for key in ("train_dataset", "train_epochs", "train_lr", "train_optimizer", "train_batch", "train_device"):
        if key in st.session_state:
            kept[key] = st.session_state[key]


def why_not_trainable(choice) -> str | None:
    """One line when the model is not an N,C,H,W image classifier (the command line refuses those too)."""
    if not choice.is_image:
        return _("Training in the app needs an N,C,H,W image classifier; {takes}.").format(takes=choice.takes())
    if choice.kind == "zoo" and zoo_picker.entry_group(choice.value) == "segmentation":
        return _("Training in the app needs an N,C,H,W image classifier; {model} is a segmentation model "
                 "(it returns masks, not class scores).").format(model=plain_text.plain(choice.label))
    return None


def _prepare(choice, dataset: str, root: str | None):
    """(model, data, config, notes) for a zoo name or a spec typed in the sidebar (runs in the job's thread)."""
    from cnnscope.train import prepare_run

    if choice.kind == "zoo":
        run = prepare_run(choice.value, dataset, data_root=root, seed=0)
        return run.model, run.data, run.config, run.notes
    from cnnscope.sources import seeded
    from cnnscope.train.adapt import fit_classes, prepare_data
    from cnnscope.train.datasets import load_dataset

    with seeded(0):  # as prepare_run: one stream for the weights and the head fit_classes may put in
        model = real_models.real_model(choice, seed=None).module
        shape = tuple(choice.shape[1:])
        data = prepare_data(load_dataset(dataset, root), shape, seed=0)
        change = fit_classes(model, shape, data.num_classes, source=choice.label)
    config = {"model": choice.label, "dataset": dataset, "input_shape": list(shape),
              "replaced_head": change.layer if change else None}  # what rebuilds the model from model.pt
    return model, data, config, [change.note] if change else []


@st.fragment(run_every=REFRESH_S)
def _live(job, lang: str) -> None:
    """Redrawn every second while the run goes on; the whole page reruns once it has ended.  A fragment's
    rerun runs this function alone, not the app's frame that sets the language: ``lang`` is the page's."""
    set_language(lang)
    if job.done:
        st.rerun()
    from cnnscope.vis.training_curves import loss_figure

    if st.button(_("Stop"), key="train_stop", disabled=job.stop.is_set(),
                 help=_("stops the run after the current step; the history so far is kept")):
        job.stop.set()
    for note in job.notes:
        st.info(note)
    fraction, text = job.progress()
    if job.stop.is_set():
        text += " · " + _("stopping")
    st.progress(min(fraction, 1.0), text=text)
    history = job.live_history()
    if history.steps:
        st.plotly_chart(loss_figure(history), width="stretch", key="train_live_chart")


def _show_result(label: str, history, notes, message: str, save_error: str) -> None:
    from cnnscope.vis.training_curves import loss_figure

    for note in notes:
        st.info(note)
    if history is None:
        st.error(plain_text.plain(_("The run {label} failed before training: {message}").format(label=label,
                                                                                                message=message)))
        return
    if history.epochs:
        last, best = history.last, history.best_epoch
        columns = st.columns(4)
        if last.val_acc is not None:
            columns[0].metric(_("Validation accuracy"), units.percent(last.val_acc),
                              help=_("of the last epoch, on the held-out fifth of the data"))
            columns[1].metric(_("Validation loss"), f"{last.val_loss:.4f}")
            columns[3].metric(_("Best epoch"), f"{best.epoch} ({units.percent(best.val_acc)})",
                              help=_("the epoch with the highest validation accuracy; its weights are kept too"))
        columns[2].metric(_("Epochs"), f"{last.epoch}")
    if history.status != "completed":
        st.warning(plain_text.plain(f"{training.status_text(history.status)}: {history.message}"))
    if save_error:
        st.warning(plain_text.plain(_("This run is kept in this browser tab only (a reload loses it): {why}").format(
            why=save_error)))
    if history.steps:
        st.plotly_chart(loss_figure(history), width="stretch", key="train_result_chart")


def _weights_note(choice) -> None:
    """Which weights the Filters & feature maps page gets from the runs of this model and input."""
    weights = training.trained_weights(choice)
    if not weights:
        return
    newest = weights[0]  # trained_weights: newest run first, its final weights first
    best = next((w for w in weights[1:] if w.key[0] == newest.key[0]), None)
    others = len({w.key[0] for w in weights}) - 1
    choices = ([_("this run's best epoch ({which})").format(which=best.label.split(" · ", 1)[1])]
               if best is not None else []) + \
        ([ngettext("the weights of {n} earlier run of this model and input",
                   "the weights of {n} earlier runs of this model and input", others).format(n=others)]
         if others else [])
    if choices:
        text = _("The Filters & feature maps page uses the weights of {run} unless you pick others there: it also "
                 "offers {choices}.").format(run=newest.label, choices=_(" and ").join(choices))
    else:
        text = _("The Filters & feature maps page uses the weights of {run}.").format(run=newest.label)
    st.caption(plain_text.plain(text), help=_("final: the weights after the last epoch; best epoch: the weights "
                                              "after the epoch with the highest validation accuracy, kept while the "
                                              "run trains"))


def _runs() -> None:
    """The visitor's finished runs, kept on disk: listed, and their curves overlaid (from two on)."""
    runs = training.finished_runs()
    if not runs:
        return
    st.subheader(_("Runs of this session (kept on this computer)"),
                 help=_("saved on the server's disk under a link only this browser has (?runs=… in the address); "
                        "a reload lists them again; the newest {n} are kept").format(n=training.MAX_RUNS))
    st.dataframe([_row(run) for run in reversed(runs)], hide_index=True, width="stretch")
    if len(runs) < 2:
        return
    from cnnscope.vis.training_curves import runs_figure

    labels = [run["label"] for run in runs]
    chosen = st.multiselect(_("Runs to overlay"), labels, default=labels[-4:], key="train_overlay",
                            select_all=False)  # Enter adds the highlighted run, not every match
    picked = {run["label"]: run["history"] for run in runs if run["label"] in chosen}
    if picked:
        st.plotly_chart(runs_figure(picked), width="stretch", key="train_overlay_chart")


def _row(run: dict) -> dict:
    history = run["history"]
    last, best = history.last, history.best_epoch
    return {_("Run"): run["label"],
            _("Epochs"): last.epoch if last else 0,
            _("Val acc"): units.percent(last.val_acc) if last and last.val_acc is not None else "–",
            _("Best epoch"): f"{best.epoch} ({units.percent(best.val_acc)})" if best and best.val_acc is not None
            else "–",
            _("Status"): training.status_text(history.status)}
