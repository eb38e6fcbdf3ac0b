"""Every page of the app, headless (streamlit.testing): no exception, real numbers on the page."""

import importlib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnscope.app.pages import PAGES, TITLES


@pytest.fixture
def app():
    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=180)
    at.run()
    assert not at.exception
    return at


def _errors(at):
    return [e.value for e in at.error]


def test_default_run_shows_lenet5(app):
    assert not _errors(app)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Parameters"] == "61,706" and metrics["MACs"] == "416.52 k"


def test_the_registry_names_one_module_per_page_and_the_sidebar_lists_them(app):
    assert len(set(TITLES)) == len(TITLES) == len(PAGES)
    for page in PAGES:
        assert callable(importlib.import_module(page.module).render), page
    assert list(app.sidebar.radio(key="page").options) == list(TITLES)


def test_the_app_does_not_import_the_command_line():
    """Read from the source (every import, in functions too): the app and the CLI share the library only."""
    import ast

    found = []
    for path in (Path(__file__).resolve().parents[2] / "cnnscope" / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [f"{node.module}.{a.name}" for a in node.names] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.name}: {n}" for n in names if n == "cnnscope.cli" or n.startswith("cnnscope.cli.")]
    assert not found, found


@pytest.mark.parametrize("page", TITLES)
def test_every_page_renders_without_errors(app, page):
    app.sidebar.radio(key="page").set_value(page).run()
    assert not app.exception and not _errors(app), _errors(app)


def test_picking_a_model_and_changing_the_input(app):
    app.sidebar.selectbox(key="zoo_model").set_value("resnet18").run()
    assert {m.label: m.value for m in app.metric}["Parameters"] == "11,689,512"
    app.sidebar.text_input(key="shape_resnet18").set_value("1,3,64,64").run()
    import cnnscope
    from cnnscope import units

    expected = cnnscope.analyze("resnet18", (1, 3, 64, 64)).totals.macs
    assert {m.label: m.value for m in app.metric}["MACs"] == units.si(expected) == "148.56 M"
    app.sidebar.text_input(key="shape_resnet18").set_value("1,3,5000,64").run()
    assert any("capped" in e for e in _errors(app))


def test_a_broken_spec_shows_its_error_with_the_location(app):
    app.sidebar.radio(key="source").set_value("Spec").run()
    assert {m.label: m.value for m in app.metric}["Parameters"] == "57,226"  # examples/tiny_vgg.yaml, by hand in test_spec
    app.sidebar.text_area(key="spec_text").set_value("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernal: 3}\n").run()
    assert not app.exception
    assert any('layers[0].conv: unknown argument "kernal" (did you mean "kernel"?)' in e for e in _errors(app))


def test_python_text_is_never_run(app):
    app.sidebar.radio(key="source").set_value("Spec").run()
    app.sidebar.text_area(key="spec_text").set_value("!!python/object/apply:os.system ['touch /tmp/pwned']").run()
    assert any("YAML syntax error" in e for e in _errors(app))
    import os

    assert not os.path.exists("/tmp/pwned")


def test_form_builder_appends_layers(app):
    app.sidebar.radio(key="source").set_value("Spec").run()
    app.sidebar.selectbox(key="form_kind").set_value("linear").run()
    app.sidebar.number_input(key="form_out").set_value(5).run()
    app.sidebar.button(key="form_add").click().run()
    assert app.session_state.spec_text.rstrip().endswith("- linear: {out: 5}")
    assert "output 5" in " ".join(c.value for c in app.sidebar.caption)


def _start_training(app, epochs: int = 1):
    app.sidebar.radio(key="page").set_value("Train").run()
    assert not _errors(app)
    assert app.get("form"), "the settings form"
    app.number_input[0].set_value(epochs)  # epochs of lenet5 on digits
    app.button[0].click().run()  # the form's Train button
    assert not app.exception and not _errors(app), _errors(app)
    return app.session_state["train_job"]


def _wait(job, seconds: float = 120.0):
    import time

    deadline = time.monotonic() + seconds
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.done, "the run did not finish"


def test_training_a_tiny_config_for_a_few_steps(app):
    job = _start_training(app)
    _wait(job)
    app.run()
    assert not app.exception and not _errors(app), _errors(app)
    metrics = {m.label: m.value for m in app.metric}
    accuracy = float(metrics["Validation accuracy"].rstrip("%"))
    assert 20 <= accuracy <= 100  # one epoch on digits learns far above chance (10%)
    assert app.session_state.trained_model[1].training is False
    assert len(app.get("plotly_chart")) == 1  # one chart of the run, not the same one twice


def test_a_training_run_survives_a_page_switch_and_runs_are_kept_for_the_overlay(app):
    job = _start_training(app, epochs=2)
    assert job.thread.is_alive()                                   # it runs outside the script rerun
    app.sidebar.radio(key="page").set_value("Summary").run()       # the visitor leaves the page mid-run
    assert not app.exception and not _errors(app)
    assert app.session_state["train_job"] is job
    _wait(job)
    assert job.status == "completed" and len(job.history.epochs) == 2   # the run went on to its end
    assert job.history.steps[-1].epoch == 2
    app.sidebar.radio(key="page").set_value("Train").run()
    assert {m.label for m in app.metric} >= {"Validation accuracy", "Best epoch"}
    assert [run["label"] for run in app.session_state["train_runs"]] == [job.label]
    second = _start_training(app, epochs=30)                        # a second run, stopped: both overlaid
    try:
        app.button(key="train_stop").click().run()
        assert second.stop.is_set()
    finally:
        second.stop.set()
        _wait(second)
    app.run()
    assert second.status == "interrupted" and "stopped on request" in second.message
    assert len(app.session_state["train_runs"]) == 2
    assert app.multiselect(key="train_overlay").value == [job.label, second.label]
