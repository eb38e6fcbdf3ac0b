"""The Explain a unit page, headless (streamlit.testing): LeNet-5 with its random weights (seed 0) on digits
sample 17; the numbers the panel shows are checked against ``probes.unit.explain`` run here on a model
built afresh, and against torch's own modules."""

import math
import re

import numpy as np
import pytest
import torch

from .shown import shown

PAGE = "Explain a unit"


@pytest.fixture(scope="module")
def lenet5_and_digit():
    """LeNet-5 with the weights the page's "Random (seed 0)" means, and digits sample 17 as the model sees it."""
    from cnnscope.sources import load_model
    from cnnscope.vis.images import digits_image, to_input
    from cnnscope.zoo import get_entry

    model = load_model("lenet5", "cpu", seed=0).module.eval()
    mean, std = get_entry("lenet5").normalization or (None, None)
    inputs, _ = to_input(digits_image("17"), 1, (28, 28), mean, std)
    return model, inputs


@pytest.fixture
def page(app):
    app.sidebar.radio(key="page").set_value(PAGE).run()
    app.radio(key="explain_src").set_value("Handwritten digit").run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    return app


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _unit(at, c, y, x):
    for axis, value in zip("cyx", (c, y, x)):
        at.number_input(key=f"explain_{axis}").set_value(value)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def _close(shown_text: str, expected: float) -> bool:
    """The panel writes 8 significant digits."""
    return math.isclose(float(shown_text), expected, rel_tol=1e-7, abs_tol=1e-12)


def _assert_panel(at, layer, unit, reference):
    assert at.selectbox(key="explain_layer").value == layer
    assert f"Unit ({', '.join(map(str, unit))}) of layer {layer}" in [s.value for s in at.subheader]
    metrics = _metrics(at)
    assert _close(metrics["Value (the model)"], reference.value), (metrics, reference.value)
    assert _close(metrics["Sum (explained)"], reference.sum), (metrics, reference.sum)
    if reference.bias is None:
        assert metrics["Bias"] == ("none" if reference.kind in ("conv", "linear") else "—"), metrics
    else:
        assert _close(metrics["Bias"], reference.bias), (metrics, reference.bias)


def test_a_unit_typed_in_the_boxes_shows_the_explained_numbers(page, lenet5_and_digit):
    from cnnscope.probes.unit import explain

    model, inputs = lenet5_and_digit
    assert page.selectbox(key="explain_layer").value == "0"  # the first convolution by default
    _unit(page, 2, 9, 20)
    reference = explain(model, inputs, "0", (2, 9, 20))
    _assert_panel(page, "0", (2, 9, 20), reference)
    with torch.no_grad():  # and torch itself: the conv's output at the unit, and its bias
        conv = model[0]
        assert _close(_metrics(page)["Value (the model)"], float(conv(inputs)[0, 2, 9, 20]))
        assert _close(_metrics(page)["Bias"], float(conv.bias[2]))
    assert _metrics(page)["Terms"] == "25"  # 1 input channel × 5×5
    # every product is listed (25 ≤ 75), and they add up, with the bias, to the sum
    products = page.dataframe[0].value["product x·w"].to_numpy()
    assert len(products) == 25
    assert math.isclose(products.sum() + float(conv.bias[2].detach()), reference.sum, rel_tol=1e-9)
    assert "they agree to within the model's own rounding" in shown(page.success[0].value)


def test_follow_forward_moves_to_the_next_rows_unit_and_back_returns(page, lenet5_and_digit):
    from cnnscope.probes.unit import explain

    model, inputs = lenet5_and_digit
    _unit(page, 4, 11, 6)
    page.button(key="explain_follow").click().run()  # conv 0 → tanh 1, the same position
    _assert_panel(page, "1", (4, 11, 6), explain(model, inputs, "1", (4, 11, 6)))
    with torch.no_grad():
        assert _close(_metrics(page)["Value (the model)"], float(torch.tanh(model[0](inputs))[0, 4, 11, 6]))
    page.button(key="explain_follow").click().run()  # tanh → the 2×2 average pool's window that holds (11, 6)
    _assert_panel(page, "2", (4, 5, 3), explain(model, inputs, "2", (4, 5, 3)))
    assert [page.number_input(key=f"explain_{axis}").value for axis in "cyx"] == [4, 5, 3]
    page.button(key="explain_back").click().run()
    page.button(key="explain_back").click().run()
    _assert_panel(page, "0", (4, 11, 6), explain(model, inputs, "0", (4, 11, 6)))
    assert page.button(key="explain_back").disabled


def test_the_logits_show_every_class_probability(page, lenet5_and_digit):
    model, inputs = lenet5_and_digit
    page.selectbox(key="explain_layer").set_value("11").run()
    assert not page.exception and not page.error
    with torch.no_grad():
        probabilities = torch.softmax(model(inputs).double(), dim=1)[0].numpy()
    table = page.dataframe[-1].value
    assert list(table["class"]) == list(range(10))
    assert np.allclose(table["probability"].to_numpy(), probabilities, rtol=1e-5, atol=1e-7)


def test_a_unit_outside_the_map_is_one_line(page):
    _unit(page, 1, 3, 3)
    for axis, value in zip("cyx", (1, 40, 3)):
        page.number_input(key=f"explain_{axis}").set_value(value)
    page.run()
    assert not page.exception
    errors = [shown(e.value) for e in page.error]
    assert len(errors) == 1 and "\n" not in errors[0], errors
    assert errors[0].startswith("unit 1,40,3 is outside"), errors
    assert "6×28×28" in errors[0] and "Y 0..27" in errors[0], errors
    page.number_input(key="explain_c").set_value(9).run()  # a channel that does not exist
    errors = [shown(e.value) for e in page.error]
    assert len(errors) == 1 and errors[0].startswith("unit 9,40,3 is outside") and "C 0..5" in errors[0], errors
    assert page.get("plotly_chart")  # the map is still drawn above the line


def test_the_weights_trained_a_minute_earlier_on_the_train_page(app, lenet5_and_digit):
    """A run of the Train page in the same session: the page says so, opens on a digit (the run's data
    set) and explains with the trained weights; at the logits the classes are named 0..9."""
    import time

    from cnnscope.app import training
    from cnnscope.probes.unit import explain

    _, inputs = lenet5_and_digit
    app.sidebar.radio(key="page").set_value("Train").run()
    app.number_input(key="train_epochs").set_value(1)
    app.button(key="train_start").click().run()
    job = app.session_state[training.JOB_KEY]
    deadline = time.monotonic() + 120
    while not job.done and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.done and job.status == "completed", (job.status, job.message)
    app.sidebar.radio(key="page").set_value(PAGE).run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    captions = " ".join(shown(c.value) for c in app.caption)
    assert "Showing run 1's final weights" in captions, captions  # said once, by the weights picker
    assert app.radio(key="explain_src").value == "Handwritten digit"  # the run learned digits
    _unit(app, 5, 20, 8)
    trained = job.model.eval()
    # the run normalised its inputs with its training split's mean and std: the page feeds the digit so
    norm = job.history.config["normalization"]
    from cnnscope.vis.images import digits_image, to_input

    normalised, _ = to_input(digits_image("17"), 1, (28, 28), norm["mean"], norm["std"])
    assert not torch.allclose(normalised, inputs)
    _assert_panel(app, "0", (5, 20, 8), explain(trained, normalised, "0", (5, 20, 8)))
    random_weights = explain(lenet5_and_digit[0], normalised, "0", (5, 20, 8))
    assert not _close(_metrics(app)["Sum (explained)"], random_weights.sum)  # not the seed-0 weights
    app.selectbox(key="explain_layer").set_value("11").run()
    assert list(app.dataframe[-1].value["name"]) == [str(d) for d in range(10)]


def test_a_convolution_without_bias_and_more_products_than_the_table_lists(app):
    """ResNet-18's conv1 has no bias: the panel says none, and the sum is the products alone."""
    from PIL import Image
    from sklearn.datasets import load_sample_image

    from cnnscope.probes.unit import explain
    from cnnscope.sources import load_model
    from cnnscope.vis.images import to_input
    from cnnscope.zoo import get_entry

    app.sidebar.selectbox(key="zoo_model").set_value("resnet18").run()
    app.sidebar.text_input(key="shape_resnet18").set_value("1,3,64,64").run()
    app.sidebar.radio(key="page").set_value(PAGE).run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert app.selectbox(key="explain_layer").value == "conv1"
    _unit(app, 7, 0, 31)  # the top edge: the 7×7 kernel reaches into the zero padding
    model = load_model("resnet18", "cpu", seed=0).module.eval()
    mean, std = get_entry("resnet18").normalization
    inputs, _ = to_input(Image.fromarray(load_sample_image("china.jpg")), 3, (64, 64), mean, std)
    reference = explain(model, inputs, "conv1", (7, 0, 31))
    assert reference.bias is None
    _assert_panel(app, "conv1", (7, 0, 31), reference)
    assert _metrics(app)["Terms"] == f"{3 * 7 * 7}"
    assert [n.value for n in app.selectbox if n.key == "explain_in_channel"]  # one of 3 input channels is drawn
    listed = app.dataframe[0].value["product x·w"].to_numpy()
    assert len(listed) == 12  # the 12 largest of 147, then the others' exact sum
    line = next(shown(m.value) for m in app.markdown if "the other 135 terms sum to" in shown(m.value))
    rest = float(re.search(r"the other 135 terms sum to (\S+);", line).group(1))
    assert math.isclose(listed.sum() + rest, reference.sum, rel_tol=1e-6, abs_tol=1e-7), (line, reference.sum)
    assert "no bias (the row has none)" in line


def test_another_input_size_keeps_the_unit_inside_the_new_map(app):
    app.sidebar.selectbox(key="zoo_model").set_value("resnet18").run()
    app.sidebar.radio(key="page").set_value(PAGE).run()
    _unit(app, 5, 100, 111)  # conv1 of a 224×224 input: 64×112×112
    app.button(key="explain_follow").click().run()
    assert app.selectbox(key="explain_layer").value == "bn1" and not app.button(key="explain_back").disabled
    app.sidebar.text_input(key="shape_resnet18").set_value("1,3,64,64").run()  # conv1 is now 64×32×32
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert [app.number_input(key=f"explain_{axis}").value for axis in "cyx"] == [5, 31, 31]
    assert app.button(key="explain_back").disabled  # the step back was in the 224×224 model
