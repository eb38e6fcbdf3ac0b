"""The Train page's state lasts: the form's settings across pages, the finished runs and their final
and best-epoch weights across a reload (a new session with the same ``?runs=`` token)."""

import json
import os
import time
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from cnnscope.app import run_store, training
from cnnscope.app.model_choice import Choice, natural_choice
from cnnscope.train.history import EpochRecord, StepRecord, TrainHistory

from .shown import shown

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(autouse=True)
def run_store_root(tmp_path, monkeypatch):
    root = tmp_path / "app-runs"
    monkeypatch.setenv(run_store.ROOT_ENV, str(root))
    return root


def _app(token: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if token:
        at.query_params[run_store.TOKEN_PARAM] = token
    at.run()
    assert not at.exception
    return at


def _errors(at):
    return [shown(e.value) for e in at.error]


def _wait(job, seconds: float = 120.0):
    deadline = time.monotonic() + seconds
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.done, "the run did not finish"


def _train(at, **settings):
    at.sidebar.radio(key="page").set_value("Train").run()
    for key, value in settings.items():
        widget = at.selectbox(key=key) if key in ("train_optimizer", "train_dataset", "train_device") \
            else at.number_input(key=key)
        widget.set_value(value)
    at.button(key="train_start").click().run()  # the form's Train button
    assert not at.exception and not _errors(at), _errors(at)
    return at.session_state[training.JOB_KEY]


def test_the_train_form_keeps_its_settings_across_pages():
    at = _app()
    job = _train(at, train_epochs=30, train_lr=0.01, train_optimizer="sgd", train_batch=16)
    job.stop.set()  # the settings are what this test is about, not 30 epochs
    _wait(job)
    at.sidebar.radio(key="page").set_value("Summary").run()
    assert "train_epochs" not in at.session_state  # Streamlit dropped the widget's own state off its page
    at.sidebar.radio(key="page").set_value("Train").run()
    assert not at.exception and not _errors(at)
    assert at.number_input(key="train_epochs").value == 30
    assert at.number_input(key="train_lr").value == pytest.approx(0.01)
    assert at.selectbox(key="train_optimizer").value == "sgd"
    assert at.number_input(key="train_batch").value == 16
    assert job.options == {"epochs": 30, "batch_size": 16, "lr": 0.01, "optimizer": "sgd", "device": "cpu", "seed": 0}


def test_a_reload_lists_the_runs_and_gives_back_their_trained_weights(run_store_root):
    at = _app()
    job = _train(at, train_epochs=2)
    _wait(job)
    at.run()
    token = at.query_params[run_store.TOKEN_PARAM]
    token = token[0] if isinstance(token, list) else token
    assert run_store.valid_token(token)
    folder = run_store_root / token / "run-001"
    assert job.folder == folder and (folder / run_store.APP_JSON).is_file()
    assert {"history.json", "history.csv", "model.pt"} <= set(os.listdir(folder))
    trained = {k: v.clone() for k, v in job.model.state_dict().items()}

    reloaded = _app(token)  # a reload: a new session, the same link
    reloaded.sidebar.radio(key="page").set_value("Train").run()
    assert not reloaded.exception and not _errors(reloaded), _errors(reloaded)
    subheaders = [shown(s.value) for s in reloaded.subheader]
    assert f"Latest run: {job.label}" in subheaders and "Runs of this session (kept on this computer)" in subheaders
    table = reloaded.dataframe[0].value
    assert list(table["Run"]) == [job.label] and list(table["Epochs"]) == [2]
    metrics = {m.label: m.value for m in reloaded.metric}
    assert metrics["Validation accuracy"] == f"{job.history.last.val_acc * 100:.1f}%"
    captions = " ".join(shown(c.value) for c in reloaded.caption)
    assert "The Filters & feature maps page uses the weights of run 1 · final epoch 2" in captions

    runs = reloaded.session_state[training.RUNS_KEY]
    weights = training.trained_weights(natural_choice("lenet5"), runs)
    final = weights[0]
    assert (final.which, final.dataset, final.num_classes, final.epoch) == ("final", "digits", 10, 2)
    assert final.classes == tuple(str(n) for n in range(10))
    model = final.model()
    assert model.training is False and model is final.model()  # built once
    saved = torch.load(folder / "model.pt", weights_only=True)["state_dict"]
    for name, value in model.state_dict().items():
        assert torch.equal(value, saved[name]) and torch.equal(value, trained[name]), name
    best = job.history.best_epoch
    if best.epoch != 2:  # the best epoch's weights, when they differ from the last epoch's
        assert weights[1].which == "best" and weights[1].epoch == best.epoch
        best_saved = torch.load(folder / "best.pt", weights_only=True)["state_dict"]
        assert all(torch.equal(v, best_saved[k]) for k, v in weights[1].model().state_dict().items())
    else:
        assert len(weights) == 1 and not (folder / "best.pt").exists()
    assert training.trained_weights(Choice("zoo", "lenet5", (1, 1, 32, 32)), runs) == []  # another input


def _history(accuracies, state=None) -> TrainHistory:
    epochs = [EpochRecord(n, 1.0 / n, 0.5, 1.0 - a, a, 0.1, 1e-3) for n, a in enumerate(accuracies, start=1)]
    steps = [StepRecord(n, n, 1.0 / n) for n in range(1, len(accuracies) + 1)]
    config = {"model": "lenet5", "dataset": "digits", "num_classes": 10, "classes": list(range(10)),
              "replaced_head": None, "steps_per_epoch": 1}
    return TrainHistory(epochs, steps, config, "cpu", "completed", best_state=state)


def _lenet(seed: int):
    from cnnscope.app import real_models

    return real_models.real_model(natural_choice("lenet5"), seed=seed).module.eval()


def test_a_best_epoch_before_the_last_gives_a_second_entry_with_its_own_weights(run_store_root):
    """Epoch 2 of 3 is the best (90 %): best.pt holds its weights, model.pt the last epoch's."""
    choice = natural_choice("lenet5")
    last, best = _lenet(1), _lenet(2)
    token = run_store.new_token()
    number, folder = run_store.reserve(token)
    run_store.save(folder, "1. lenet5 · test", choice, last, _history([0.5, 0.9, 0.7], best.state_dict()))
    runs = training.stored_runs(token)
    weights = training.trained_weights(choice, runs)
    assert [w.label for w in weights] == ["run 1 · final epoch 3 (val acc 70.0 %)",
                                          "run 1 · best epoch 2 (val acc 90.0 %)"]
    assert [w.which for w in weights] == ["final", "best"] and len({w.key for w in weights}) == 2
    for entry, source in zip(weights, (last, best)):
        expected = source.state_dict()
        assert all(torch.equal(v, expected[k]) for k, v in entry.model().state_dict().items()), entry.which
    assert torch.load(folder / "best.pt", weights_only=True)["epoch"] == 2


def test_run_numbers_follow_on_and_the_newest_runs_come_first(run_store_root):
    choice = natural_choice("lenet5")
    token = run_store.new_token()
    for n in range(3):
        _, folder = run_store.reserve(token)
        run_store.save(folder, f"{n + 1}. run", choice, _lenet(n), _history([0.8]))
    unfinished = run_store.reserve(token)  # a run still going on: no app.json, not listed
    assert unfinished[0] == 4
    weights = training.trained_weights(choice, training.stored_runs(token))
    assert [w.label for w in weights] == [f"run {n} · final epoch 1 (val acc 80.0 %), also the best" for n in (3, 2, 1)]


def test_only_the_newest_runs_are_kept_and_stale_folders_go(run_store_root):
    base = run_store_root / run_store.new_token()
    for number in range(1, 24):
        folder = base / f"run-{number:03d}"
        folder.mkdir(parents=True)
        if number != 23:
            (folder / run_store.APP_JSON).write_text("{}")
    stale = base / "run-023"  # never finished (no app.json) and older than a day
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    run_store.prune(base)
    kept = sorted(p.name for p in base.iterdir())
    assert kept == [f"run-{n:03d}" for n in range(3, 23)]  # 22 finished, the newest 20 kept


def test_old_visitors_folders_are_deleted_and_nothing_else(run_store_root):
    old, recent = run_store.new_token(), run_store.new_token()
    for name in (old, recent, "notes"):
        (run_store_root / name).mkdir(parents=True)
    for name in (old, "notes"):
        os.utime(run_store_root / name, (time.time() - (run_store.MAX_AGE_DAYS + 1) * 86400,) * 2)
    run_store.prune_visitors(run_store_root)
    assert sorted(p.name for p in run_store_root.iterdir()) == sorted([recent, "notes"])


@pytest.mark.parametrize("text", ["", "../../etc", "0" * 31, "0" * 33, "A" * 32, "g" * 32, None, ["0" * 32]])
def test_a_token_is_32_lower_case_hex_digits_and_nothing_else(text):
    assert run_store.valid_token(text) is None
    with pytest.raises(ValueError):
        run_store.visitor_folder(text if isinstance(text, str) else "x")


def test_a_link_with_a_bad_token_is_ignored():
    at = _app("../../etc")
    at.sidebar.radio(key="page").set_value("Train").run()
    assert not at.exception and not _errors(at)
    assert training.TOKEN_KEY not in at.session_state and not at.dataframe


def test_a_choice_survives_its_round_trip_through_app_json():
    choice = Choice("spec", "input: [1, 28, 28]\nlayers:\n  - conv: {out: 4, kernel: 3}\n", (1, 1, 28, 28))
    assert run_store.choice_from_dict(json.loads(json.dumps(run_store.choice_to_dict(choice)))) == choice


def test_a_run_that_ends_after_the_reload_is_listed_once_it_is_saved():
    """The visitor reloads while the run goes on: its thread (of the old session) saves it at the end,
    and the new session's Train page lists it then."""
    first = _app()
    job = _train(first, train_epochs=1)
    token = first.session_state[training.TOKEN_KEY]
    reloaded = _app(token)
    reloaded.sidebar.radio(key="page").set_value("Train").run()
    _wait(job)
    reloaded.run()
    assert not reloaded.exception and not _errors(reloaded), _errors(reloaded)
    assert list(reloaded.dataframe[0].value["Run"]) == [job.label]
    assert [run["number"] for run in reloaded.session_state[training.RUNS_KEY]] == [1]


def test_a_spec_models_run_is_rebuilt_from_disk_with_its_trained_weights():
    """A model typed in the sidebar (examples/tiny_vgg.yaml, 3×32×32) trained on the digits."""
    at = _app()
    at.sidebar.radio(key="source").set_value("Spec").run()
    job = _train(at, train_epochs=1)
    _wait(job)
    at.run()
    assert not at.exception and not _errors(at), _errors(at)
    assert job.status == "completed"
    reloaded = _app(at.session_state[training.TOKEN_KEY])
    reloaded.sidebar.radio(key="source").set_value("Spec").run()
    reloaded.sidebar.radio(key="page").set_value("Train").run()
    runs = reloaded.session_state[training.RUNS_KEY]
    (final, *_) = training.trained_weights(job.choice, runs)
    assert final.num_classes == 10 and runs[0]["choice"] == job.choice
    trained = job.model.state_dict()
    assert all(torch.equal(v, trained[k]) for k, v in final.model().state_dict().items())


def test_after_a_reload_the_form_starts_from_the_latest_runs_settings():
    at = _app()
    job = _train(at, train_epochs=2, train_lr=0.002, train_optimizer="adamw", train_batch=64)
    _wait(job)
    at.run()
    reloaded = _app(at.session_state[training.TOKEN_KEY])
    reloaded.sidebar.radio(key="page").set_value("Train").run()
    assert not reloaded.exception and not _errors(reloaded), _errors(reloaded)
    assert reloaded.number_input(key="train_epochs").value == 2
    assert reloaded.number_input(key="train_lr").value == pytest.approx(0.002)
    assert reloaded.selectbox(key="train_optimizer").value == "adamw"
    assert reloaded.number_input(key="train_batch").value == 64
