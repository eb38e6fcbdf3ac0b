"""census_row: one model's figures, equal to analyze()'s; a failing model is a row with the CLI's line."""

from __future__ import annotations

import pytest

from cnnscope.studies.census import NAMES, census_row, failed_row, versions
from cnnscope.studies.census.plan import is_done, plan, select

TUTORIAL = ["lenet5", "resnet_mini", "inception_mini"]

RAISES = ("from torch import nn\n\n\nclass Net(nn.Module):\n    input_shape = (1, 8, 8)\n\n"
          "    def __init__(self):\n        super().__init__()\n        self.c = nn.Conv2d(1, 2, 3)\n\n"
          "    def forward(self, x):\n        raise RuntimeError('no GPU here')\n")


def expected_from_report(report) -> dict:
    """The columns computed from analyze()'s report by hand, row by row (not through census code)."""
    leaves = [r for r in report.layers if r.is_leaf]
    last = report.last_feature_map()
    return {
        "params": report.totals.params, "macs": report.totals.macs,
        "activation_bytes": report.totals.activation_bytes,
        "training_bytes_adam": report.totals.training_bytes_adam,
        "rf_layer": last.name, "rf_size_h": last.rf.size[0], "rf_size_w": last.rf.size[1],
        "rf_jump_h": last.rf.jump[0], "rf_jump_w": last.rf.jump[1],
        "conv_rows": sum(r.type in ("Conv2d", "conv2d") for r in leaves),
        "linear_rows": sum(r.type in ("Linear", "linear") for r in leaves),
        "uncounted_ops": len(report.uncounted_ops),
    }


@pytest.mark.parametrize("name", TUTORIAL)
def test_a_row_equals_analyze(name, analyze):
    row = census_row(name)
    assert row["status"] == "ok" and row["error"] == "", row
    assert {k: row[k] for k in expected_from_report(analyze(name))} == expected_from_report(analyze(name))
    assert row["group"] == "tutorial" and row["family"] == name
    assert row["acc1"] is None and row["acc5"] is None
    assert list(row) == NAMES
    assert row["seconds"] > 0 and row["peak_memory_bytes"] > 10 * 2**20  # torch alone is more than 10 MB
    assert {k: row[k] for k in ("torch", "torchvision", "timm", "cnnscope")} == versions()


def test_lenet5_figures_by_hand():
    """LeNet-5 (conv 5×5 pad 2, pool 2, conv 5×5, pool 2, conv 5×5 to 120, fc 84, fc 10) from its definition."""
    row = census_row("lenet5")
    params = (6 * 25 + 6) + (16 * 6 * 25 + 16) + (120 * 16 * 25 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    macs = 6 * 28 * 28 * 25 + 16 * 10 * 10 * 6 * 25 + 120 * 16 * 25 + 120 * 84 + 84 * 10
    assert (row["params"], row["macs"], row["conv_rows"], row["linear_rows"]) == (params, macs, 3, 2)
    assert row["input"] == "1×28×28"


def test_torchvision_row_has_published_figures():
    from torchvision.models import ResNet18_Weights

    meta = ResNet18_Weights.IMAGENET1K_V1.meta
    row = census_row("resnet18")
    assert row["params"] == meta["num_params"]
    assert row["acc1"] == meta["_metrics"]["ImageNet-1K"]["acc@1"]
    assert row["acc5"] == meta["_metrics"]["ImageNet-1K"]["acc@5"]
    assert round(row["macs"] / 1e9, 3) == meta["_ops"]  # torchvision's "GFLOPS" are MACs
    assert (row["group"], row["family"], row["input"]) == ("torchvision", "resnet", "3×224×224")
    assert (row["rf_layer"], row["rf_size_h"], row["rf_jump_w"]) == ("layer4", 435, 32)


def test_detection_row_has_no_accuracy():
    row = census_row("ssdlite320_mobilenet_v3_large")
    assert row["status"] == "ok", row
    assert (row["group"], row["family"], row["acc1"], row["acc5"]) == ("detection", "ssdlite", None, None)


def test_timm_family_is_its_registry_module():
    pytest.importorskip("timm")
    row = census_row("timm:resnet18")
    assert (row["group"], row["family"], row["params"]) == ("timm", "resnet", 11_689_512)


def test_a_model_that_raises_is_a_row_with_the_cli_line(tmp_path, monkeypatch, run_cli):
    (tmp_path / "raises.py").write_text(RAISES)
    monkeypatch.chdir(tmp_path)
    row = census_row("raises.py:Net")
    code, _, err = run_cli("summary", "raises.py:Net")
    assert code == 1 and row["status"] == "error"
    assert err.strip() == f"cnnscope: error: {row['error']}"
    assert "no GPU here" in row["error"]
    assert row["params"] is None and row["macs"] is None and row["seconds"] >= 0


def test_an_option_that_makes_analyze_fail_is_a_row():
    row = census_row("lenet5", {"input_shape": (1, 1, 2, 2)})
    assert row["status"] == "error" and "too small" in row["error"], row
    assert (row["group"], row["input"]) == ("tutorial", "1×28×28")  # what is known before the failure stays
    assert census_row("lenet5", {"colour": 1})["error"].startswith("unknown census option colour")


def test_unknown_model_is_a_row():
    row = census_row("resnet1999")
    assert row["status"] == "error" and "unknown model 'resnet1999'" in row["error"]


def test_failed_row():
    row = failed_row("vgg16", "timeout", "past the limit\nof 300 s", 300.0)
    assert list(row) == NAMES
    assert (row["status"], row["error"], row["seconds"], row["params"]) == ("timeout", "past the limit of 300 s",
                                                                            300.0, None)
    with pytest.raises(ValueError):
        failed_row("vgg16", "ok", "")


# -- plan: patterns and resume ----------------------------------------------------------------------------

def test_patterns_match_as_cnnscope_list(run_cli):
    import json

    code, out, _ = run_cli("list", "resnet*", "--format", "json")
    assert code == 0
    assert select(["resnet*"]) == [m["name"] for m in json.loads(out)]
    assert select(["resnet18", "lenet5", "resnet18"]) == ["resnet18", "lenet5"]


def test_every_torchvision_model_is_one_selection():
    from torchvision.models import list_models

    published = {m for m in list_models() if not m.startswith("quantized_")}  # the zoo builds float models
    chosen = select([], ["torchvision", "detection", "segmentation", "video", "optical_flow"])
    assert set(chosen) == published and len(chosen) == len(published)


def test_a_pattern_matching_nothing_is_an_error():
    from cnnscope.errors import ModelNotFoundError

    with pytest.raises(ModelNotFoundError, match="no model matches 'nosuch\\*'"):
        select(["lenet5", "nosuch*"])
    with pytest.raises(ModelNotFoundError, match="in group 'detection'"):
        select(["lenet5"], ["detection"])


def test_timm_patterns():
    pytest.importorskip("timm")
    found = select(["timm:resnet1*"])
    assert found and all(n.startswith("timm:resnet1") for n in found)
    assert select(["resnet18"], ["timm"]) == ["timm:resnet18"]


def test_resume_plan():
    now = versions()
    old = {**now, "torch": "1.0"}
    rows = [{"name": "a", "status": "ok", **now}, {"name": "b", "status": "error", **now},
            {"name": "c", "status": "timeout", **now}, {"name": "d", "status": "crashed", **now},
            {"name": "e", "status": "ok", **old}, {"name": "z", "status": "ok", **now}]
    result = plan(["a", "b", "c", "d", "e", "f"], rows, now)
    assert result.skipped == ["a", "b"] and result.todo == ["c", "d", "e", "f"]
    assert list(result.rows) == ["a", "b", "c", "d", "e", "z"]  # rows of other models stay
    assert not is_done({"name": "a", "status": "ok", **{**now, "timm": "0.1"}}, now)
