"""Train: a quick run on the embedded digits (or local data sets), with a live loss curve,
progress, a stop button, the final accuracy, and the trained model kept for the other pages."""

from __future__ import annotations

import os
import time

import streamlit as st

from cnnscope.app import state

MAX_EPOCHS = 30


def render(choice) -> None:
    st.header(f"Train {choice.label}")
    datasets = ["digits"]
    root = os.environ.get("CNNSCOPE_DATA_ROOT")  # the operator decides which local data sets exist
    if root:
        datasets += ["mnist", "fashion-mnist", "cifar10"]
    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    with st.form("train_settings"):
        columns = st.columns(6)
        dataset = columns[0].selectbox("Data set", datasets, help="digits: scikit-learn's 1,797 handwritten 8×8 "
                                       "digits, resized to the model's input")
        epochs = columns[1].number_input("Epochs", 1, MAX_EPOCHS, 5)
        lr = columns[2].number_input("Learning rate", 1e-5, 1.0, 1e-3, format="%.5f")
        optimizer = columns[3].selectbox("Optimizer", ["adam", "adamw", "sgd"])
        batch_size = columns[4].number_input("Batch size", 1, 512, 32, help="the command line's default too")
        device = columns[5].selectbox("Device", devices, index=len(devices) - 1)
        start = st.form_submit_button("Train")
    st.button("Stop", key="train_stop", help="stops the run; the history so far is kept")
    if start:
        _train(choice, dataset, root, int(epochs), float(lr), optimizer, device, int(batch_size))
    _show_result(choice)


def _prepare(choice, dataset: str, root: str | None):
    """(model, data, config, notes) for a zoo name or a spec typed in the sidebar."""
    from cnnscope.train import prepare_run

    if choice.kind == "zoo":
        run = prepare_run(choice.value, dataset, data_root=root, seed=0)
        return run.model, run.data, run.config, run.notes
    from cnnscope.train.adapt import fit_classes, prepare_data
    from cnnscope.train.datasets import load_dataset

    model = state.real_model(choice)
    shape = tuple(choice.shape[1:])
    data = prepare_data(load_dataset(dataset, root), shape, seed=0)
    change = fit_classes(model, shape, data.num_classes, source=choice.label)
    config = {"model": choice.label, "dataset": dataset, "input_shape": list(shape)}
    return model, data, config, [change.note] if change else []


def _train(choice, dataset, root, epochs, lr, optimizer, device, batch_size) -> None:
    from cnnscope.train import quick_train
    from cnnscope.vis.charts import loss_curves

    model, data, config, notes = _prepare(choice, dataset, root)
    for note in notes:
        st.info(note)
    progress = st.progress(0.0, text="starting")
    chart = st.empty()
    steps: list[dict] = []
    st.session_state.train_result = None
    last_draw = [0.0]

    def on_step(event) -> None:
        steps.append({"step": event.step, "epoch": event.epoch, "loss": event.loss})
        st.session_state.train_partial = (choice, list(steps))
        now = time.monotonic()
        if now - last_draw[0] > 0.4 or event.step == event.total_steps:
            last_draw[0] = now
            progress.progress(event.step / event.total_steps,
                              text=f"epoch {event.epoch}/{event.epochs} · step {event.step}/{event.total_steps} · "
                                   f"loss {event.loss:.4f} · {event.images_per_s:,.0f} images/s")
            chart.plotly_chart(loss_curves({choice.label: {"steps": steps}}), width="stretch", key=f"live_{event.step}")

    history = quick_train(model, data, epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer,
                          device=device, seed=0,
                          on_step=on_step, config=config)
    progress.progress(1.0, text=history.status)
    st.session_state.train_result = (choice, history.to_dict(), history.status, history.message)
    st.session_state.trained_model = (choice, model.cpu().eval())


def _show_result(choice) -> None:
    from cnnscope.vis.charts import loss_curves

    result = st.session_state.get("train_result")
    partial = st.session_state.get("train_partial")
    if result and result[0] == choice:
        _, history, status, message = result
        epochs = history["epochs"]
        if epochs:
            last = epochs[-1]
            columns = st.columns(3)
            columns[0].metric("Validation accuracy", f"{100 * last['val_acc']:.1f}%")
            columns[1].metric("Validation loss", f"{last['val_loss']:.4f}")
            columns[2].metric("Epochs", f"{last['epoch']}")
        if message:
            st.warning(message)
        st.plotly_chart(loss_curves({choice.label: history}), width="stretch", key="train_result_chart")
        st.caption("The trained weights are used on the Filters & feature maps page.")
    elif partial and partial[0] == choice and partial[1]:
        st.warning(f"The run was stopped after step {partial[1][-1]['step']}; its losses so far:")
        st.plotly_chart(loss_curves({choice.label: {"steps": partial[1]}}), width="stretch", key="train_partial_chart")
