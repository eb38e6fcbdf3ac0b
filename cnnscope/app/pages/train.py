"""Train: a quick run on the embedded digits (or local data sets) in a background thread that
survives page switches (``app/training.py``), with live training and validation curves, a stop
button, the final accuracy, the session's finished runs overlaid, and the trained model kept for
the other pages."""

from __future__ import annotations

import os

import streamlit as st

from cnnscope import units
from cnnscope.app import plain_text, real_models, training, zoo_picker

MAX_EPOCHS = 30
REFRESH_S = 1.0


def render(choice) -> None:
    st.header(f"Train {plain_text.plain(choice.label)}")
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
    with st.form("train_settings"):
        columns = st.columns(6)
        dataset = columns[0].selectbox("Data set", datasets, help="digits: scikit-learn's 1,797 handwritten 8×8 "
                                       "digits, resized to the model's input")
        epochs = columns[1].number_input("Epochs", 1, MAX_EPOCHS, 5)
        lr = columns[2].number_input("Learning rate", 1e-5, 1.0, 1e-3, format="%.5f")
        optimizer = columns[3].selectbox("Optimizer", ["adam", "adamw", "sgd"])
        batch_size = columns[4].number_input("Batch size", 1, 512, 32, help="the command line's default too")
        device = columns[5].selectbox("Device", devices, index=len(devices) - 1)
        start = st.form_submit_button("Train", disabled=running,
                                      help="one run at a time; it goes on when you switch page")
    if start and not running:
        options = {"epochs": int(epochs), "batch_size": int(batch_size), "lr": float(lr), "optimizer": optimizer,
                   "device": device, "seed": 0}
        label = f"{len(training.finished_runs()) + 1}. {choice.label} · {optimizer} lr {float(lr):g} · {int(epochs)} ep"
        job = training.start(training.TrainingJob(label, choice, lambda: _prepare(choice, dataset, root), options))
    if job is not None and not job.done:
        _live(job)
    elif job is not None:
        _show_result(job)
    _overlay()


def why_not_trainable(choice) -> str | None:
    """One line when the model is not an N,C,H,W image classifier (the command line refuses those too)."""
    if not choice.is_image:
        return f"Training in the app needs an N,C,H,W image classifier; {choice.takes()}."
    if choice.kind == "zoo" and zoo_picker.entry_group(choice.value) == "segmentation":
        return (f"Training in the app needs an N,C,H,W image classifier; {plain_text.plain(choice.label)} is a segmentation model "
                "(it returns masks, not class scores).")
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
    config = {"model": choice.label, "dataset": dataset, "input_shape": list(shape)}
    return model, data, config, [change.note] if change else []


@st.fragment(run_every=REFRESH_S)
def _live(job) -> None:
    """Redrawn every second while the run goes on; the whole page reruns once it has ended."""
    if job.done:
        st.rerun()
    from cnnscope.vis.training_curves import loss_figure

    if st.button("Stop", key="train_stop", disabled=job.stop.is_set(),
                 help="stops the run after the current step; the history so far is kept"):
        job.stop.set()
    for note in job.notes:
        st.info(note)
    fraction, text = job.progress()
    if job.stop.is_set():
        text += " · stopping"
    st.progress(min(fraction, 1.0), text=text)
    history = job.live_history()
    if history.steps:
        st.plotly_chart(loss_figure(history), width="stretch", key="train_live_chart")


def _show_result(job) -> None:
    from cnnscope.vis.training_curves import loss_figure

    history = job.history
    for note in job.notes:
        st.info(note)
    if history is None:
        st.error(plain_text.plain(f"The run {job.label} failed before training: {job.message}"))
        return
    if history.epochs:
        last, best = history.last, history.best_epoch
        columns = st.columns(4)
        if last.val_acc is not None:
            columns[0].metric("Validation accuracy", units.percent(last.val_acc))
            columns[1].metric("Validation loss", f"{last.val_loss:.4f}")
            columns[3].metric("Best epoch", f"{best.epoch} ({units.percent(best.val_acc)})")
        columns[2].metric("Epochs", f"{last.epoch}")
    if history.status != "completed":
        st.warning(plain_text.plain(f"{history.status}: {history.message}"))
    if history.steps:
        st.plotly_chart(loss_figure(history), width="stretch", key="train_result_chart")
    if history.epochs:
        st.caption("The trained weights are used on the Filters & feature maps page.")


def _overlay() -> None:
    """The session's finished runs over each other (from two on)."""
    runs = training.finished_runs()
    if len(runs) < 2:
        return
    from cnnscope.vis.training_curves import runs_figure

    st.subheader("This session's runs")
    labels = [run["label"] for run in runs]
    chosen = st.multiselect("Runs to overlay", labels, default=labels[-4:], key="train_overlay")
    picked = {run["label"]: run["history"] for run in runs if run["label"] in chosen}
    if picked:
        st.plotly_chart(runs_figure(picked), width="stretch", key="train_overlay_chart")
