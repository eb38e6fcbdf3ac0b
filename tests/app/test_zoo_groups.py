"""The app serves every zoo group: detection (a list of images), video (N,C,T,H,W) and optical flow
(a pair of frames) beside the N,C,H,W models; pages that need one image say why, in one line."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cnnscope.app import input_caps, zoo_picker
from cnnscope.app.pages import TITLES

from .shown import shown
from cnnscope.errors import UsageError

APP = str(Path(__file__).resolve().parents[2] / "app.py")

# One fast model of each new group: its input box (label, natural input) and the pages that
# cannot serve it, with the start of their info line.
CASES = {
    "r3d_18": ("Input N,C,T,H,W", "1,3,16,112,112", {
        "Receptive field": "The field on a photo needs an N,C,H,W image model; r3d_18 takes N,C,T,H,W video clips",
        "Filters & feature maps": "Filters and feature maps need an N,C,H,W image model with 1-D or 2-D convolutions; "
                                  "r3d_18 takes N,C,T,H,W video clips (its convolutions have 3-D kernels)",
        "Train": "Training in the app needs an N,C,H,W image classifier; r3d_18 takes N,C,T,H,W video clips"}),
    "ssdlite320_mobilenet_v3_large": ("Input 3,H,W (one image)", "3,320,320", {
        "Receptive field": "The field on a photo needs an N,C,H,W image model; ssdlite320_mobilenet_v3_large is a "
                           "detection model",
        "Train": "Training in the app needs an N,C,H,W image classifier; ssdlite320_mobilenet_v3_large is a "
                 "detection model"}),
    "raft_small": ("Input N,C,H,W;N,C,H,W (two frames)", "1,3,368,768;1,3,368,768", {
        "Receptive field": "The field on a photo needs an N,C,H,W image model; raft_small takes a pair of N,C,H,W "
                           "frames (optical flow)",
        "Filters & feature maps": "Feature maps need one N,C,H,W image; raft_small takes a pair of N,C,H,W frames",
        "Train": "Training in the app needs an N,C,H,W image classifier; raft_small takes a pair"}),
}


def _open(model: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["model"] = model  # ?model=NAME, as in a link
    at.run()
    assert not at.exception
    return at


def _problems(at) -> list[str]:
    texts = [shown(e.value) for e in at.error] + [m.value for m in at.markdown] + [shown(i.value) for i in at.info]
    return [shown(e.value) for e in at.error] + [t for t in texts if "internal error" in t or "Traceback" in t]


@pytest.mark.parametrize("model", CASES)
def test_every_page_serves_or_says_why(model):
    import cnnscope
    from cnnscope import units

    label, natural, cannot = CASES[model]
    at = _open(model)
    assert at.sidebar.selectbox(key="zoo_model").value == model
    box = at.sidebar.text_input(key=f"shape_{model}")
    assert (box.label, box.value) == (label, natural)
    expected = cnnscope.analyze(model).totals  # its natural inputs, as the command line analyses it
    for page in TITLES:
        at.sidebar.radio(key="page").set_value(page).run()
        assert not at.exception and not _problems(at), (page, _problems(at))
        infos = [shown(i.value) for i in at.info]
        if page in cannot:
            assert sum(line.startswith(cannot[page]) for line in infos) == 1, (page, infos)
            assert all("\n" not in line for line in infos)
        if page == "Summary":
            metrics = {m.label: m.value for m in at.metric}
            assert metrics["Parameters"] == units.count(expected.params)
            assert metrics["MACs"] == units.si(expected.macs)
            assert at.get("graphviz_chart"), "the Diagram tab"
        if page == "Receptive field":
            assert at.dataframe, "the receptive-field table"
    at.sidebar.radio(key="page").set_value("Compare").run()
    at.multiselect(key="compare_models").set_value([model, "lenet5"]).run()
    assert not at.exception and not _problems(at), _problems(at)
    table = at.dataframe[0].value
    assert f"{expected.params:,}" in table.to_string()


def test_detection_feature_maps_are_drawn_for_one_image():
    at = _open("ssdlite320_mobilenet_v3_large")
    at.sidebar.radio(key="page").set_value("Filters & feature maps").run()
    assert not at.exception and not _problems(at) and not at.info, _problems(at)
    assert len(at.get("image")) == 3  # the filters, the input image beside the maps, and the feature maps


def test_picker_lists_every_zoo_name_in_group_order():
    from cnnscope.zoo import list_entries

    names = zoo_picker.picker_names()
    entries = list_entries()
    assert set(names) >= {e.name for e in entries} and len(names) == len(set(names))
    order = ["tutorial", "torchvision", "segmentation", "detection", "video", "optical_flow"]
    group = {e.name: e.group for e in entries}
    ranks = [order.index(group[n]) for n in names if n in group]
    assert ranks == sorted(ranks)
    assert names[len(ranks):] == [n for n in names if n.startswith("timm:")]
    assert zoo_picker.picker_label("r3d_18") == "r3d_18 · video" and zoo_picker.picker_label("resnet18") == "resnet18"


@pytest.mark.parametrize("form, text, shapes", [
    ("image", "3,224,224", ((1, 3, 224, 224),)),
    ("detection", "3,320,320", ((3, 320, 320),)),
    ("detection", "1,3,320,320", ((3, 320, 320),)),
    ("video", "1,3,16,112,112", ((1, 3, 16, 112, 112),)),
    ("flow", "3,368,768;1,3,368,768", ((1, 3, 368, 768), (1, 3, 368, 768))),
])
def test_inputs_in_each_form(form, text, shapes):
    assert input_caps.parse_inputs(form, text) == shapes


@pytest.mark.parametrize("form, text, message", [
    ("image", "1,3,16,112,112", "the input is N,C,H,W"),
    ("image", "3,8,8;3,8,8", "one input"),
    ("detection", "2,3,320,320", "one image here"),
    ("detection", "3,320,320;3,320,320", "one image here"),
    ("detection", "3,2000,320", "1024 pixels a side"),
    ("video", "1,3,112,112", "N,C,T,H,W"),
    ("video", "1,3,65,112,112", "64 frames"),
    ("video", "1025,3,16,112,112", "batch 1024"),
    ("image", "1000,3,1000,1000", "batch of at most 89 at this size"),
    ("video", "1,3,16,112,2000", "1024 pixels a side"),
    ("flow", "1,3,368,768", "two frames"),
    ("flow", "1,3,368,768;1,3,368,5000", "1024 pixels a side"),
])
def test_inputs_out_of_form_or_caps_are_one_line(form, text, message):
    with pytest.raises(UsageError, match=message) as caught:
        input_caps.parse_inputs(form, text)
    assert "\n" not in str(caught.value)


def test_a_bad_video_input_is_one_line_in_the_sidebar():
    at = _open("r3d_18")
    at.sidebar.text_input(key="shape_r3d_18").set_value("1,3,100,112,112").run()
    assert not at.exception
    assert [shown(e.value) for e in at.sidebar.error] == [
        "video inputs are capped at batch 1024, 64 channels, 64 frames and 1024 pixels a side in the app "
        "(the command line has no such cap)"]
    at.sidebar.text_input(key="shape_r3d_18").set_value("1,3,8,64,64").run()
    assert not at.exception and not _problems(at)
    assert {m.label: m.value for m in at.metric}["Parameters"] == "33,371,472"


def test_a_rerun_does_not_trace_again(monkeypatch):
    """Detection traces on the CPU: one trace per model and input, whatever the page; a failing
    input is not traced again either."""
    import cnnscope.analysis.analyze as module

    calls = []
    real = module.analyze
    monkeypatch.setattr(module, "analyze", lambda *a, **k: calls.append(a) or real(*a, **k))
    at = _open("ssdlite320_mobilenet_v3_large")
    box = at.sidebar.text_input(key="shape_ssdlite320_mobilenet_v3_large")
    box.set_value("3,296,296").run()  # an input no other test traces
    for page in ("Summary", "Receptive field", "Export", "Summary"):
        at.sidebar.radio(key="page").set_value(page).run()
        assert not at.exception and not _problems(at), _problems(at)
    at.slider(key="summary_depth").set_value(2).run()
    assert [a for a in calls if a[1] == [[3, 296, 296]]] == [("ssdlite320_mobilenet_v3_large", [[3, 296, 296]])]

    at.sidebar.selectbox(key="zoo_model").set_value("raft_small").run()
    for _ in range(2):
        at.sidebar.text_input(key="shape_raft_small").set_value("3,100,104;3,100,104").run()
        at.run()
        assert any("divisible by 8" in shown(e.value) for e in at.error), [e.value for e in at.error]
    assert len([a for a in calls if a[0] == "raft_small" and a[1] == [[1, 3, 100, 104]] * 2]) == 1
