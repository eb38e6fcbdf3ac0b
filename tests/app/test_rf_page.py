"""The receptive-field page's defaults: the last convolution, the unit at its map's centre (again when the
layer or model changes), the map's size said; rows without a field are hidden with a count; help everywhere."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import cnnscope
from cnnscope.export import rf_table

from .shown import shown

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _rf_page(model: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["model"] = model
    at.run()
    at.sidebar.radio(key="page").set_value("Receptive field").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def _unit(at) -> tuple:
    return at.selectbox(key="rf_layer").value, at.number_input(key="rf_y").value, at.number_input(key="rf_x").value


def _captions(at) -> list[str]:
    return [shown(c.value) for c in at.caption]


# the last Conv2d of each model, and its map (by hand from the architectures at their natural input)
@pytest.mark.parametrize("model, layer, side", [("resnet18", "layer4.1.conv2", 7),   # 224 / 32
                                                ("lenet5", "6", 1),                  # Conv2d(16, 120, 5) on 5×5
                                                ("vgg16", "features.28", 14)])       # 224 / 16, before the last pool
def test_the_page_opens_on_the_last_convolution_with_the_unit_at_the_centre(model, layer, side):
    at = _rf_page(model)
    centre = (side - 1) // 2
    assert _unit(at) == (layer, centre, centre)
    assert f"{layer}: map {side}×{side}, unit ({centre}, {centre})" in _captions(at)


def test_changing_the_layer_recentres_the_unit():
    at = _rf_page("resnet18")
    at.number_input(key="rf_y").set_value(0).run()
    at.number_input(key="rf_x").set_value(6).run()
    assert _unit(at) == ("layer4.1.conv2", 0, 6)
    at.selectbox(key="rf_layer").set_value("layer3.0.conv1").run()  # 14×14: the centre is (6, 6)
    assert _unit(at) == ("layer3.0.conv1", 6, 6) and at.number_input(key="rf_y").max == 13
    assert "layer3.0.conv1: map 14×14, unit (6, 6)" in _captions(at)
    at.selectbox(key="rf_layer").set_value("conv1").run()  # 112×112
    assert _unit(at) == ("conv1", 55, 55)
    at.sidebar.selectbox(key="zoo_model").set_value("lenet5").run()  # another model: its own last convolution
    assert not at.exception and _unit(at) == ("6", 0, 0)


def test_the_table_has_help_on_every_column_and_a_legend():
    at = _rf_page("lenet5")
    config = json.loads(at.dataframe[0].proto.columns)
    helps = {k: v["help"] for k, v in config.items() if k != "_index"}
    assert list(helps) == [c if c not in ("Size", "Jump", "Start") else f"{c} (input pixels)"
                           for c in rf_table.COLUMNS if c != "Recurrence"]
    assert all(helps.values()) and "jump" in helps["Jump (input pixels)"].lower()
    assert any("r = receptive field size" in c and "j = jump" in c for c in _captions(at))
    assert "r_out = r_in + (k−1)·d·j_in" in at.code[0].value


def test_the_focus_rule_on_ssdlite_rows():
    rows = rf_table.rf_rows(cnnscope.analyze("ssdlite320_mobilenet_v3_large"))
    shown_rows, before, after = rf_table.focus(rows)
    assert [r.name for r in before] == ["transform.sub", "transform.div", "transform.getitem",
                                        "transform.interpolate", "transform.getitem_1", "transform.copy"]
    assert shown_rows[0].name == "backbone.features.0.0.0" and shown_rows[0].type == "Conv2d"
    assert after[0].name == "anchor_generator" and after[0].rf is None
    assert not any(r.rf is not None and not r.rf.is_global for r in after)  # nothing with a local field is hidden
    assert len(shown_rows) + len(before) + len(after) == len(rows)
    resnet = rf_table.rf_rows(cnnscope.analyze("resnet18"))
    assert rf_table.focus(resnet) == (resnet, [], [])  # a classifier hides nothing


def test_ssdlite_opens_on_its_backbone_and_says_what_is_hidden():
    at = _rf_page("ssdlite320_mobilenet_v3_large")
    table = at.dataframe[0].value
    assert table["Layer"].iloc[0] == "backbone.features.0.0.0"
    caption = next(c for c in _captions(at) if c.startswith("Hidden:"))
    assert "6 rows before the first convolution or pooling" in caption and "from anchor_generator on" in caption
    every = len(rf_table.rf_rows(cnnscope.analyze("ssdlite320_mobilenet_v3_large")))
    at.checkbox(key="rf_every").check().run()
    assert at.dataframe[0].value["Layer"].iloc[0] == "transform.sub" and len(at.dataframe[0].value) == every


def test_the_page_names_no_command_line():
    at = _rf_page("r3d_18")  # a video model: no photo; the table only
    texts = [shown(i.value) for i in at.info] + _captions(at)
    assert texts and not any("cnnscope " in t for t in texts), texts
    source = (Path(__file__).resolve().parents[2] / "cnnscope" / "app" / "pages" / "rf.py").read_text()
    assert "cnnscope rf" not in source and "cnnscope summary" not in source
