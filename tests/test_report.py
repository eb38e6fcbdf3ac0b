"""The report data model: the typed receptive field, schema v2 (and v1 read back), row lookup."""

import json
import subprocess
import sys

import pytest

import cnnscope
from cnnscope.errors import LayerNotFoundError, UsageError
from cnnscope.report import SCHEMA_VERSION, ModelReport, ReceptiveField

RF_KEYS = {"size", "jump", "start", "global", "gated", "recurrence"}


@pytest.fixture(scope="module")
def resnet18():
    return cnnscope.analyze("resnet18")


def _v1_report() -> dict:
    """A report as cnnscope wrote it with schema_version 1: ``rf`` a loose dict that leaves
    ``gated``/``recurrence`` out when unset, and rows without ``op_kind``."""
    totals = dict(params=10, trainable_params=10, frozen_params=0, buffers=0, macs=90, flops=180, other_ops=0,
                  param_bytes=40, buffer_bytes=0, input_bytes=64, activation_bytes=72, training_bytes_sgd=200,
                  training_bytes_adam=240, layers=3)

    def row(index, name, depth, parent, is_leaf, rf, **extra):
        geometry = dict(kernel_size=None, stride=None, padding=None, dilation=None, groups=None, ceil_mode=None)
        return dict(index=index, name=name, type="Conv2d" if name else "Sequential", kind="module", depth=depth,
                    parent=parent, is_leaf=is_leaf, call=0, input_shapes=[[1, 1, 4, 4]], output_shape=[1, 1, 2, 2],
                    params=10 if name != "1" else 0, trainable_params=10 if name != "1" else 0, macs=90, flops=180,
                    other_ops=0, output_bytes=16, inputs=[-1], output_from=[], **{**geometry, **extra}, rf=rf)

    return {
        "schema_version": 1, "model": "tiny", "input_shape": [1, 1, 4, 4], "output_shape": [1, 4],
        "totals": totals,
        "layers": [
            row(0, "", 0, None, False, {"size": [4, 4], "jump": None, "start": None, "global": True}),
            row(1, "0", 1, "", True, {"size": [3, 3], "jump": [1, 1], "start": [0, 0], "global": False,
                                      "recurrence": "r = 1 + (3−1)·1·1 = 3"}, kernel_size=[3, 3]),
            row(2, "1", 1, "", True, {"size": [3, 3], "jump": [1, 1], "start": [0, 0], "global": False,
                                      "gated": True}),
        ],
        "diagnostics": [{"level": "info", "code": "traced-on-cpu", "message": "traced on the CPU"}],
        "traced_on": "meta", "dtype": "float32", "cnnscope_version": "0.1.0", "torch_version": "2.0",
    }


def test_the_v2_json_round_trips_with_typed_fields(resnet18):
    data = json.loads(json.dumps(resnet18.to_dict()))
    assert data["schema_version"] == SCHEMA_VERSION == 2 and list(data)[0] == "schema_version"
    assert ModelReport.from_dict(data) == resnet18
    assert all(isinstance(row.rf, ReceptiveField) for row in resnet18.layers if row.rf is not None)
    for row in data["layers"]:
        assert "op_kind" in row
        assert row["rf"] is None or set(row["rf"]) == RF_KEYS  # gated and recurrence are always written
    fc = next(row for row in data["layers"] if row["name"] == "fc")
    assert fc["rf"] == {"size": [224, 224], "jump": None, "start": None, "global": True, "gated": False,
                        "recurrence": None}


def test_a_v1_report_is_read_into_the_current_model():
    report = ModelReport.from_dict(_v1_report())
    assert report.schema_version == SCHEMA_VERSION
    root, conv, gate = report.layers
    assert root.rf == ReceptiveField(size=[4, 4], is_global=True)
    assert conv.rf == ReceptiveField(size=[3, 3], jump=[1, 1], start=[0, 0], recurrence="r = 1 + (3−1)·1·1 = 3")
    assert gate.rf.gated is True and gate.rf.recurrence is None and not gate.rf.is_global
    assert conv.op_kind is None and report.diagnostics[0].layer is None
    again = report.to_dict()
    assert again["schema_version"] == SCHEMA_VERSION
    assert again["layers"][1]["rf"] == {"size": [3, 3], "jump": [1, 1], "start": [0, 0], "global": False,
                                        "gated": False, "recurrence": "r = 1 + (3−1)·1·1 = 3"}
    assert ModelReport.from_dict(again) == report


def test_an_unknown_schema_version_is_refused():
    data = _v1_report()
    data["schema_version"] = 99
    with pytest.raises(ValueError, match="schema_version 99"):
        ModelReport.from_dict(data)


def test_an_absent_layer_is_one_line_with_suggestions(resnet18):
    with pytest.raises(LayerNotFoundError) as caught:
        resnet18.layer("layer5")
    error = caught.value
    assert isinstance(error, KeyError) and isinstance(error, UsageError) and error.exit_code == 2
    assert str(error) == "no layer named 'layer5' in resnet18; did you mean layer4, layer3, layer2?"
    assert error.suggestions == ["layer4", "layer3", "layer2"]
    with pytest.raises(KeyError):  # callers that catch KeyError keep working
        resnet18.layer("nothing-like-it")
    assert str(pytest.raises(KeyError, resnet18.layer, "zzzz").value) == "no layer named 'zzzz' in resnet18"


def test_a_missing_call_of_a_present_layer_says_which_calls_exist(resnet18):
    assert resnet18.layer("layer4.1.relu", call=1).call == 1
    with pytest.raises(LayerNotFoundError, match=r"resnet18 has 2 calls of 'layer4.1.relu' \(calls 0..1\), not call 2"):
        resnet18.layer("layer4.1.relu", call=2)


def test_the_last_feature_map_of_resnet18_is_layer4(resnet18):
    last = resnet18.last_feature_map()
    assert last.name == "layer4" and last.rf.size == [435, 435] and last.rf.jump == [32, 32]
    assert resnet18.layer(last.name) == last  # the name alone reaches it (call 0)


def test_the_last_feature_map_is_none_when_every_field_is_global():
    from torch import nn

    report = cnnscope.analyze(nn.Sequential(nn.Flatten(), nn.Linear(16, 2)), (1, 1, 4, 4))
    assert report.last_feature_map() is None


def test_the_report_module_imports_no_torch():
    code = "import sys, cnnscope.report, cnnscope.errors; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_the_csv_writes_each_rf_as_the_json_object(resnet18):
    import csv
    import io

    from cnnscope.export.tabular import to_csv

    rows = list(csv.DictReader(io.StringIO(to_csv(resnet18, 1))))
    layer4 = next(row for row in rows if row["name"] == "layer4")
    assert json.loads(layer4["rf"]) == resnet18.layer("layer4").rf.to_dict()
