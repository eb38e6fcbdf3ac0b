"""Every page of the app, headless (streamlit.testing): no exception, real numbers on the page."""

import importlib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnscope.app.pages import PAGES, TITLES

from .shown import rendered, shown


def _errors(at):
    return [shown(e.value) for e in at.error]


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
    app.text_area(key="spec_text").set_value("input: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernal: 3}\n").run()
    assert not app.exception
    # named as the summary table names the layer, with its place in the list and its line in the text
    assert any('Layer 0 (conv, the 1st layer in the list, line 3): unknown argument "kernal" (did you mean "kernel"?)'
               in e for e in _main_errors(app)), _errors(app)


def test_python_text_is_never_run(app):
    app.sidebar.radio(key="source").set_value("Spec").run()
    app.text_area(key="spec_text").set_value("!!python/object/apply:os.system ['touch /tmp/pwned']").run()
    assert any("YAML syntax error" in e for e in _errors(app))
    import os

    assert not os.path.exists("/tmp/pwned")


def test_form_builder_appends_layers(app):
    app.sidebar.radio(key="source").set_value("Spec").run()
    app.selectbox(key="form_kind").set_value("linear").run()
    app.number_input(key="form_linear_out").set_value(5).run()
    app.button(key="form_add").click().run()
    assert app.session_state.spec_text.rstrip().endswith("- linear: {out: 5}")
    assert "output 5" in " ".join(shown(c.value) for c in app.sidebar.caption)


def _start_training(app, epochs: int = 1):
    app.sidebar.radio(key="page").set_value("Train").run()
    assert not _errors(app)
    assert app.get("form"), "the settings form"
    app.number_input(key="train_epochs").set_value(epochs)  # epochs of lenet5 on digits
    app.button(key="train_start").click().run()  # the form's Train button
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


def test_the_receptive_field_page_traces_through_the_trained_weights_on_a_digit(app):
    """The effective field is a gradient through the weights: a Train run's weights are offered there too,
    and weights trained on the digits open on a handwritten digit, not the photo."""
    job = _start_training(app)
    _wait(job)
    app.run()
    app.sidebar.radio(key="page").set_value("Receptive field").run()
    assert not app.exception and not _errors(app), _errors(app)
    assert app.checkbox(key="rf_trained").value is True
    assert app.radio(key="rf_src").value == "Handwritten digit"
    captions = " ".join(shown(c.value) for c in app.caption)
    assert "Showing run 1's final weights" in captions
    picture = " ".join(" ".join(i.captions) for i in app.image)
    assert "digits:17" in picture and "weights: trained on the Train page, run 1" in picture, picture
    app.checkbox(key="rf_trained").uncheck().run()
    picture = " ".join(" ".join(i.captions) for i in app.image)
    assert "weights: random initialisation (seed 0)" in picture, picture


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


# -- issue 14: links, charts, caching, receptive-field page, form builder, messages -------------------------

ROOT = Path(__file__).resolve().parents[2]


def _fresh(**query):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params.update(query)
    at.run()
    assert not at.exception
    return at


def _param(at, key):
    value = at.query_params[key]
    return value[-1] if isinstance(value, list) else value


def _main_errors(at):
    return [shown(e.value) for e in at.main.error]


def test_an_unknown_model_in_the_link_is_one_line_in_the_main_page_with_suggestions():
    at = _fresh(model="resnet81")
    errors = _main_errors(at)
    assert len(errors) == 1 and "unknown model 'resnet81'" in errors[0] and "resnet18" in errors[0], errors
    assert {m.label: m.value for m in at.metric}["Parameters"] == "61,706"  # lenet5, and the app goes on
    at.sidebar.selectbox(key="zoo_model").set_value("resnet18").run()
    assert not _main_errors(at)


def test_the_url_follows_the_model_and_input_so_a_link_opens_the_same():
    at = _fresh()
    at.sidebar.selectbox(key="zoo_model").set_value("resnet18").run()
    assert _param(at, "model") == "resnet18" and "input" not in at.query_params  # the natural input
    at.sidebar.text_input(key="shape_resnet18").set_value("1,3,64,64").run()
    assert _param(at, "input") == "1,3,64,64"
    shared = _fresh(model="resnet18", input="1,3,64,64")  # the shared link, in a new session
    assert {m.label: m.value for m in shared.metric}["MACs"] == "148.56 M"


def _figures(at):
    import json

    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_per_layer_charts_keep_numeric_looking_layer_names_as_categories_with_si_ticks(app):
    figures = _figures(app)  # lenet5: layers 0..12
    bars = [f for f in figures if f["data"][0]["type"] == "bar"]
    assert len(bars) == 3
    for figure in bars:
        assert figure["layout"]["xaxis"]["type"] == "category"
    assert figures[0]["data"][0]["x"][0] == "0" and figures[0]["layout"]["yaxis"]["exponentformat"] == "SI"
    assert "MB" in figures[2]["layout"]["yaxis"]["title"]["text"]
    app.sidebar.radio(key="source").set_value("Spec").run()
    app.text_area(key="spec_text").set_value(
        "input: [3, 8, 8]\nlayers:\n  - repeat: {times: 1, layers: [conv: {out: 4, kernel: 3}, relu, "
        "conv: {out: 4, kernel: 3}, relu]}\n  - flatten\n  - linear: {out: 2}\n").run()
    figure = _figures(app)[0]
    assert figure["layout"]["xaxis"]["type"] == "category" and len(set(figure["data"][0]["x"])) == 3, figure["data"]


def test_comparison_charts_draw_bytes_in_mb_as_their_labels_and_names_as_categories():
    import cnnscope
    from cnnscope.studies.compare import compare_reports
    from cnnscope.vis.charts import comparison_figures

    comparison = compare_reports([cnnscope.analyze("lenet5"), cnnscope.analyze("nin")])
    by_title = {f.layout.title.text: f for f in comparison_figures(comparison)}
    memory = by_title["Activation memory (forward)"]
    bar = memory.data[0]
    assert memory.layout.xaxis.type == "category" and memory.layout.yaxis.title.text == "MB"
    assert abs(bar.y[0] - float(bar.text[0].split()[0])) < 0.06  # the bar's height is the number on it
    assert by_title["MACs"].layout.yaxis.exponentformat == "SI"


def test_filters_and_feature_maps_build_the_model_once(app):
    from cnnscope.app import real_models

    real_models._view_model.clear()
    app.sidebar.radio(key="page").set_value("Filters & feature maps").run()
    assert not app.exception and not _errors(app), _errors(app)
    assert real_models.BUILDS["count"] >= 1
    built = real_models.BUILDS["count"]
    app.checkbox(key="filters_shared").check().run()            # a click on the Filters tab
    app.slider(key="maps_top").set_value(4).run()                # and on the Feature maps tab
    app.selectbox(key="maps_layer").set_value("3").run()
    assert not app.exception and not _errors(app), _errors(app)
    assert real_models.BUILDS["count"] == built, "a second interaction rebuilt the model"


def test_the_feature_map_picture_says_which_weights_were_used():
    import cnnscope.app.pages.visuals as visuals
    from cnnscope.app import model_choice, real_models
    from cnnscope.app.pages.images import sample_photo

    choice = model_choice.natural_choice("lenet5")
    model, origin, lock = real_models.view_model(choice)
    calls = []
    import cnnscope.vis.feature_maps as feature_maps

    original = feature_maps.feature_grid
    try:
        feature_maps.feature_grid = lambda activation, title, top: calls.append(title) or original(activation, title, top=top)
        image = sample_photo()
        visuals._feature_picture.clear()
        visuals._feature_picture(choice, "random", "0", real_models.image_key(image), "photo", 4, origin,
                                 _model=model, _image=image, _lock=lock)
    finally:
        feature_maps.feature_grid = original
    assert calls and calls[0].endswith("weights: random initialisation (seed 0)"), calls


def test_the_receptive_field_page_names_the_units_and_notes_a_stretched_photo(app):
    app.sidebar.radio(key="page").set_value("Receptive field").run()
    assert not app.exception and not _errors(app), _errors(app)
    columns = list(app.dataframe[0].value.columns)
    assert "Size (input pixels)" in columns and "Jump (input pixels)" in columns and "Start (input pixels)" in columns
    assert "Recurrence" not in columns  # too long for a cell: in full, wrapped, below the table
    block = app.main.code[0]
    assert block.proto.wrap_lines and "r = 14 + (2−1)·1·2 = 16" in block.value
    captions = " ".join(c.value for c in app.main.caption)
    assert "The image is 640×427; it is resized to the model's input 28×28" in captions  # lenet5: 1×28×28
    from cnnscope.app.pages.rf import squash_note

    assert squash_note((224, 224), (224, 224)) is None


def test_the_overlay_title_grows_with_a_large_input():
    import numpy as np
    from PIL import Image

    from cnnscope.vis import rf_overlay

    small = rf_overlay.draw(Image.new("RGB", (224, 224)), (0, 0, 10, 10), None, None, "title", (5, 5))
    large = rf_overlay.draw(Image.new("RGB", (1024, 1024)), (0, 0, 10, 10), np.ones((1024, 1024)), {}, "title", (5, 5))
    assert large.height - 1024 > 2 * (small.height - 320)  # a taller header: a bigger title


def test_the_form_builder_inserts_where_the_user_chooses(app):
    app.sidebar.radio(key="source").set_value("Spec").run()
    app.selectbox(key="form_kind").set_value("conv").run()
    box = app.selectbox(key="form_where")
    assert box.format_func(box.value) == "before 5 · adaptiveavgpool {size: 1}"  # a conv needs a map: before the head
    app.button(key="form_add").click().run()
    assert not app.exception and not _errors(app), _errors(app)
    lines = app.session_state.spec_text.splitlines()
    assert lines[lines.index("  - adaptiveavgpool: {size: 1}") - 1] == "  - conv: {out: 16, kernel: 3, stride: 1, padding: 0}"
    assert "output 10" in " ".join(shown(c.value) for c in app.sidebar.caption)  # still a valid spec
    app.selectbox(key="form_where").set_value(0).run()
    app.button(key="form_add").click().run()
    assert app.session_state.spec_text.splitlines()[3] == "  - conv: {out: 16, kernel: 3, stride: 1, padding: 0}"


def test_the_one_line_spec_of_the_readme_is_accepted(app):
    app.sidebar.radio(key="source").set_value("Spec").run()
    app.text_area(key="spec_text").set_value("in1x28x28,c5-6p2,tanh,ap2,flat,fc10").run()
    assert not app.exception and not _errors(app), _errors(app)
    assert {m.label: m.value for m in app.metric}["Parameters"] == "11,926"


def test_a_bad_spec_or_input_is_shown_in_the_main_page_too(app):
    app.sidebar.text_input(key="shape_lenet5").set_value("1,3,5000,64").run()
    assert any("capped" in e for e in _main_errors(app))  # a phone shows the sidebar collapsed


class _Upload:
    def __init__(self, name: str, data: bytes):
        self.name, self._data, self.size = name, data, len(data)

    def getvalue(self) -> bytes:
        return self._data


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims width×height pixels (no image data worth decoding)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))


def test_a_huge_png_upload_is_one_line_naming_the_upload():
    from cnnscope.app.pages.images import open_upload
    from cnnscope.errors import CnnscopeError

    with pytest.raises(CnnscopeError) as caught:
        open_upload(_Upload("big.png", _png_header(20000, 20000)))
    message = str(caught.value)
    assert message.startswith("big.png: image too large (400 Mpixels") and "/tmp" not in message, message
    with pytest.raises(CnnscopeError) as caught:
        open_upload(_Upload("notes.png", b"not an image"))
    assert str(caught.value).startswith("notes.png: not a readable image") and "/tmp" not in str(caught.value)


def test_a_bad_weights_upload_names_the_uploaded_file_not_the_temp_path():
    from cnnscope.app import model_choice, real_models
    from cnnscope.errors import CnnscopeError

    model = real_models.real_model(model_choice.natural_choice("lenet5")).module
    with pytest.raises(CnnscopeError) as caught:
        real_models.load_uploaded_weights(model, _Upload("my_weights.pt", b"garbage"))
    message = str(caught.value)
    assert message.startswith("my_weights.pt: not a readable PyTorch weights file") and "tmp" not in message, message


def test_the_early_stopping_feature_map_equals_the_traced_one():
    import numpy as np
    import torch

    from cnnscope.app import model_choice, real_models
    from cnnscope.app.pages.visuals import first_output
    from cnnscope.probes.activations import capture

    model, _, _ = real_models.view_model(model_choice.natural_choice("resnet18"))
    inputs = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for layer in ("conv1", "layer1.0", "layer2.1.conv2", "fc"):
            assert np.allclose(first_output(model, inputs, layer), capture(model, inputs, layer)[0], atol=1e-5), layer
        assert first_output(model, inputs, "add") is None and first_output(model, inputs, "nope") is None


def test_the_filters_page_uses_the_trained_model_and_says_so(app):
    job = _start_training(app)
    _wait(job)
    app.run()
    app.sidebar.radio(key="page").set_value("Filters & feature maps").run()
    assert not app.exception and not _errors(app), _errors(app)
    assert app.checkbox(key="vis_trained").value is True
    model = app.session_state.trained_model[1]
    token = model._cnnscope_view_token
    app.slider(key="maps_top").set_value(3).run()  # a second click: the same token, no new build
    assert not app.exception and not _errors(app) and model._cnnscope_view_token == token


def test_the_export_page_offers_the_model_report_of_one_model(app):
    """One model: a model report (not a one-bar comparison), with every row and the diagram."""
    import io
    import zipfile

    import cnnscope
    from cnnscope.app import model_choice
    from cnnscope.app.pages.export import _files

    app.sidebar.radio(key="page").set_value("Export").run()
    assert not app.exception and not _errors(app)
    html, markdown_zip, as_json, as_csv = _files(model_choice.Choice("zoo", "lenet5", (1, 1, 28, 28)))
    assert "Model report: lenet5" in html and "Comparison" not in html.split("</title>")[0]
    report = cnnscope.analyze("lenet5")
    assert all(f">{row.name}<" in html for row in report.leaves() if row.name)  # every row is in the table
    names = zipfile.ZipFile(io.BytesIO(markdown_zip)).namelist()
    assert "lenet5.md" in names and any(n.endswith(".png") for n in names)
    assert '"model": "lenet5"' in as_json and as_csv.splitlines()[0].startswith("index,")


# -- issue 14 leftovers: the receptive-field page's model and views are cached; the URL follows a spec ------

def test_the_receptive_field_page_reuses_the_model_and_each_drawn_view(monkeypatch):
    import cnnscope.probes.effective_field as effective_field
    from cnnscope.app import model_choice, real_models
    from cnnscope.app.pages import rf

    real_models._view_model.clear()
    rf._unit_picture.clear()
    built, traced = [], []
    real_model, probe = real_models.real_model, effective_field.probe
    monkeypatch.setattr(real_models, "real_model", lambda *a, **k: built.append(a) or real_model(*a, **k))
    monkeypatch.setattr(effective_field, "probe", lambda *a, **k: traced.append(a[2:]) or probe(*a, **k))
    at = _fresh()
    at.sidebar.radio(key="page").set_value("Receptive field").run()
    assert not at.exception and not _errors(at), _errors(at)
    assert len(built) == 1 and len(traced) == 1
    builds = real_models.BUILDS["count"]
    assert at.image[0].captions[0].endswith("weights: random initialisation (seed 0)"), at.image[0].captions
    at.run()                                              # the same view again (an expander opened ...)
    assert len(traced) == 1, "the same view was traced again"
    box = at.selectbox(key="rf_layer")
    last = box.value
    assert box.options[0] != last
    box.set_value(box.options[0]).run()                   # another layer: traced, on the same model
    assert len(traced) == 2 and len(built) == 1 and real_models.BUILDS["count"] == builds
    at.selectbox(key="rf_layer").set_value(last).run()    # back to the first view: drawn from the cache
    assert not at.exception and not _errors(at), _errors(at)
    assert len(traced) == 2 and len(built) == 1 and real_models.BUILDS["count"] == builds
    # every part of the view is in the cache's key: a new unit, image or effective-field choice is traced
    at.selectbox(key="rf_layer").set_value(box.options[0]).run()  # a layer with a grid of units (cached)
    assert len(traced) == 2 and at.number_input(key="rf_y").max > 5
    for widget, value in ((at.number_input(key="rf_y"), 5), (at.radio(key="rf_src"), "Handwritten digit"),
                          (at.checkbox(key="rf_erf"), False)):
        before = len(traced)
        widget.set_value(value).run()
        assert not at.exception and not _errors(at), _errors(at)
        assert len(traced) == before + 1, f"{widget.key} = {value!r} showed a cached picture of another view"
    assert len(built) == 1 and real_models.BUILDS["count"] == builds
    model, _, _ = real_models.view_model(model_choice.natural_choice("lenet5"))  # the shared model is left as it was
    assert not model.training and not any(p.requires_grad for p in model.parameters())


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def _spec_input(at):
    return next(t for t in at.sidebar.text_input if t.label == "Input N,C,H,W")


ONE_LINE = "in1x28x28,c5-6p2,tanh,ap2,flat,fc10"


def test_the_url_follows_a_typed_spec_and_its_link_opens_the_same():
    from cnnscope.app import spec_text

    at = _fresh()
    lenet5 = _metrics(at)
    at.sidebar.radio(key="source").set_value("Spec").run()
    assert _param(at, "spec") == spec_text.DEFAULT_SPEC and "model" not in at.query_params
    at.text_area(key="spec_text").set_value(ONE_LINE).run()
    assert _param(at, "spec") == ONE_LINE and "input" not in at.query_params  # the spec's own input
    natural = _metrics(at)
    _spec_input(at).set_value("1,1,32,32").run()
    assert _param(at, "input") == "1,1,32,32" and _metrics(at)["MACs"] != natural["MACs"]
    shared = _fresh(spec=ONE_LINE, input="1,1,32,32")     # the shared link, in a new session
    assert not _errors(shared), _errors(shared)
    assert shared.sidebar.radio(key="source").value == "Spec" and shared.session_state.spec_text == ONE_LINE
    assert _metrics(shared) == _metrics(at) != lenet5
    shared.text_area(key="spec_text").set_value("in1x28x28,nope").run()  # typed later: not overwritten
    assert shared.session_state.spec_text == "in1x28x28,nope" and _param(shared, "spec") == ONE_LINE
    shared.sidebar.radio(key="source").set_value("Zoo").run()
    assert "spec" not in shared.query_params and _param(shared, "model") == "lenet5"
    assert _metrics(shared) == lenet5


def test_a_bad_spec_in_the_link_is_one_line_in_the_main_page_and_the_app_goes_on():
    at = _fresh(spec="in1x28x28,c5-6p2,bogus7")
    errors = _main_errors(at)
    assert len(errors) == 1 and "bogus7" in errors[0], errors
    assert at.sidebar.radio(key="source").value == "Spec"
    at.text_area(key="spec_text").set_value(ONE_LINE).run()
    assert not _main_errors(at) and _param(at, "spec") == ONE_LINE


def test_an_over_long_spec_stays_out_of_the_link_and_the_sidebar_says_so():
    from cnnscope.app import sidebar, spec_text

    at = _fresh()
    at.sidebar.radio(key="source").set_value("Spec").run()
    long = spec_text.DEFAULT_SPEC + "# " + "x" * sidebar.MAX_LINK_SPEC + "\n"  # a valid spec: the rest is a comment
    at.text_area(key="spec_text").set_value(long).run()
    assert not _errors(at), _errors(at)
    assert "spec" not in at.query_params
    assert any("does not carry this spec" in c.value for c in at.sidebar.caption)
    at.text_area(key="spec_text").set_value(spec_text.DEFAULT_SPEC).run()
    assert _param(at, "spec") == spec_text.DEFAULT_SPEC
    assert not any("does not carry" in c.value for c in at.sidebar.caption)


# A shared link carries text another visitor's page shows: a spec's name, a ?model= value.  Streamlit
# draws headers, captions and alerts as Markdown, so that text must not become links or remote images.
HOSTILE_NAME = "[Open the fixed model](https://example.com/x) ![t](http://127.0.0.1:9/p.png) :red[alarm] <b>b</b>"


def _markdown_of(at) -> list[str]:
    return ([h.value for h in at.header] + [c.value for c in at.sidebar.caption] + [c.value for c in at.main.caption]
            + [e.value for e in at.error] + [i.value for i in at.info])


def test_a_link_cannot_put_links_or_images_into_the_page():
    spec = f'name: "{HOSTILE_NAME}"\ninput: [1, 8, 8]\nlayers:\n  - conv: {{out: 2, kernel: 3}}\n  - relu\n'
    for page in ("Summary", "Receptive field", "Filters & feature maps", "Train", "Export"):
        at = _fresh(spec=spec)
        at.sidebar.radio(key="page").set_value(page).run()
        assert not at.exception, page
        texts = _markdown_of(at)
        assert any(HOSTILE_NAME in shown(t) for t in texts), (page, texts)  # shown as written
        for text in texts:
            html = rendered(text)
            assert "<a " not in html and "<img" not in html and "<b>" not in html, (page, text, html)
    at = _fresh(model="[click](https://example.com)")
    assert _main_errors(at)[0].startswith("unknown model '[click](https://example.com)' in the link")
    assert all("<a " not in rendered(e.value) for e in at.error)
