"""compare and kernels: the comparison's numbers equal the ModelReports', the kernel formulas are exact."""

import pytest
import torch

import cnnscope
from cnnscope.errors import SpecError, UsageError
from cnnscope.export.kernels import findings
from cnnscope.studies.compare import compare_reports
from cnnscope.studies.kernels.variants import build_variant, covered, dilations, kinds, omitted, study


@pytest.mark.parametrize("channels,size", [(64, 56), (16, 9), (3, 20)])
def test_kernel_formulas_are_exact(channels, size):
    variants = {v.kind: v for v in study(7, channels, size)}
    c2 = channels * channels
    assert variants["single"].params == 49 * c2
    assert variants["stack3x3"].params == 27 * c2
    assert variants["factorized"].params == 14 * c2
    assert variants["dilated"].params == 18 * c2  # dilations 1 and 2: field 1 + 2·3 = 7
    for v in variants.values():
        assert v.macs == v.params * size * size  # 'same' padding: every weight used at every position
        assert v.rf == [7, 7]
    assert [v.nonlinearities for v in variants.values()] == [1, 3, 2, 2]


def test_findings_are_computed_from_the_numbers():
    lines = findings(study(7, 64, 56), 7, 64)
    assert lines[0].startswith("three 3×3 layers: 27·C² weights against 49·C² — 45% fewer — for the same 7×7 "
                               "field, with 3 nonlinearities instead of 1")


@pytest.mark.parametrize("rf,expected", [(5, [2]), (7, [1, 2]), (9, [1, 1, 2]), (11, [1, 2, 2]), (15, [1, 2, 4])])
def test_dilations_reach_the_field(rf, expected):
    assert dilations(rf) == expected and 1 + 2 * sum(expected) == rf
    assert max(expected) > 1  # dilated, not the plain 3×3 stack again


def test_no_dilated_variant_at_3():
    assert dilations(3) is None and set(omitted(3)) == {"dilated"}
    assert kinds(3) == ["single", "stack3x3", "factorized"]
    with pytest.raises(UsageError, match="omitted at a 3×3 field"):
        build_variant("dilated", 3, 4)


@pytest.mark.parametrize("rf", [3, 5, 7, 9, 11, 13, 15, 17])
def test_dilated_variant_is_dilated_and_reaches_the_field(rf):
    """Regression: at 5×5 the "dilated" variant was two 3×3 with dilations 1, 1, the 3×3 stack itself."""
    variants = {v.kind: v for v in study(rf, 4, rf + 2)}
    lines = findings(list(variants.values()), rf, 4)
    if rf == 3:
        assert "dilated" not in variants and lines[-1].startswith("dilated: omitted at a 3×3 field")
        return
    with torch.device("meta"):
        module, _ = build_variant("dilated", rf, 4)
    report = cnnscope.analyze(module, (1, 4, rf + 2, rf + 2))
    convs = [r for r in report.leaves() if r.op_kind == "conv"]
    assert report.last_feature_map().rf.size == [rf, rf] == variants["dilated"].rf
    assert max(max(r.dilation) for r in convs) > 1
    assert [r.dilation[0] for r in convs] == dilations(rf)
    assert variants["dilated"].layers != variants["stack3x3"].layers
    gaps = [line for line in lines if line.startswith(("one dilated", "two dilated", "three dilated", "four dilated"))]
    assert len(gaps) == 1 and ("with gaps" in gaps[0]) == (rf == 5)


def test_dilated_5_reads_9_of_25_pixels():
    assert covered([2]) == 3 and covered([1, 2]) == 7 and covered([1, 1, 2]) == 9  # per axis
    line = findings(study(5, 8, 12), 5, 8)[-1]
    assert line == ("one dilated 3×3 layer (dilation 2): 9·C² weights against 25·C² — 64% fewer — for the same 5×5 "
                    "field, with 1 nonlinearity instead of 1; MACs 0.36× the single 5×5 conv's; with gaps: it reads "
                    "9 of the 25 pixels in its field (no dilation-1 layer fills them in).")


def test_comparison_numbers_equal_the_reports():
    reports = [cnnscope.analyze(name) for name in ("resnet18", "vgg16")]
    comparison = compare_reports(reports)
    for row, report in zip(comparison.rows, reports):
        t = report.totals
        assert (row.params, row.macs, row.flops, row.activation_bytes, row.training_bytes_adam) == \
               (t.params, t.macs, t.flops, t.activation_bytes, t.training_bytes_adam)
    resnet, vgg = comparison.rows
    assert (resnet.conv_layers, resnet.linear_layers) == (20, 1)  # 17 in the trunk + 3 downsample
    assert (vgg.conv_layers, vgg.linear_layers) == (13, 3)
    assert (resnet.rf_size, resnet.rf_jump, vgg.rf_size) == ([435, 435], [32, 32], [212, 212])


def test_a_user_variant_error_names_the_variant_and_keeps_its_kind():
    with pytest.raises(SpecError) as info:
        study(5, 8, 12, extra={"bad": "c3-8psnb,fc10"})
    assert str(info.value).startswith("--variant bad: layers[1].linear: linear needs a flat input")
    assert info.value.location == "layers[1].linear"


# -- compare --train: TrainHistory runs, judged against chance --------------------------------------

def _run(*accuracies, rate=0.1, size=360):
    """A hand-built history whose epochs end at ``accuracies``, on a split of ``size`` with majority ``rate``."""
    from cnnscope.train.history import EpochRecord, TrainHistory

    epochs = [EpochRecord(k + 1, 1.0, 0.5, 1.0, acc, 1.0, 1e-3) for k, acc in enumerate(accuracies)]
    return TrainHistory(epochs, config={"val_majority_rate": rate, "val_size": size})


def test_a_run_learned_only_clearly_above_the_majority_rate():
    from cnnscope.studies.compare import chance

    # 360 images at a 10% majority: margin max(5 points, 3·sqrt(0.09/360) = 4.74 points) = 5 points
    assert chance(_run(0.5, 0.16)) == {"learned": True, "majority_rate": 0.1, "chance_margin": pytest.approx(0.05)}
    assert chance(_run(0.9, 0.15))["learned"] is False           # the final epoch counts, and 15% is not > 15%
    # 100 images at 50%: 3·sqrt(0.25/100) = 15 points
    assert chance(_run(0.64, rate=0.5, size=100))["chance_margin"] == pytest.approx(0.15)
    assert chance(_run(0.64, rate=0.5, size=100))["learned"] is False
    assert chance(_run(0.66, rate=0.5, size=100))["learned"] is True
    assert chance(None) == {"learned": None, "majority_rate": None, "chance_margin": None}
    assert chance(_run(0.9, size=0))["learned"] is None          # no validation split: not known


def test_a_model_that_did_not_learn_is_named_under_the_table_and_in_the_json():
    from cnnscope.export.comparison_document import comparison_text

    comparison = compare_reports([cnnscope.analyze("lenet5"), cnnscope.analyze("tutorial_cnn")])
    comparison.set_training([("lenet5", _run(0.9)), ("tutorial_cnn", _run(0.12))])
    assert [r.final_val_acc for r in comparison.rows] == [0.9, 0.12]
    models = comparison.to_dict()["models"]
    assert [m["learned"] for m in models] == [True, False] and models[1]["majority_rate"] == 0.1
    assert comparison.to_dict()["training"]["tutorial_cnn"]["epochs"][0]["val_acc"] == 0.12
    assert comparison.not_learned() == [{"model": "tutorial_cnn", "final_val_acc": 0.12, "majority_rate": 0.1,
                                         "chance_margin": pytest.approx(0.05)}]
    text = comparison_text(comparison)
    assert text.endswith("\ndid not learn at this budget: tutorial_cnn (accuracy 12.0% ≤ majority rate 10.0% "
                         "+ margin 5.0%)\n")
    assert "lenet5 (" not in text


def test_without_training_the_rows_have_no_chance_keys():
    comparison = compare_reports([cnnscope.analyze("lenet5"), cnnscope.analyze("tutorial_cnn")])
    assert "learned" not in comparison.to_dict()["models"][0] and comparison.not_learned() == []
    with pytest.raises(ValueError, match="1 training runs for 2 models"):
        comparison.set_training([("lenet5", _run(0.9))])


TINY_A, TINY_B = "in1x8x8,c3-8,relu,flat,fc10", "in1x8x8,c3-4,relu,flat,fc10"


@pytest.mark.parametrize("budget, learned, accuracies", [
    (["--max-steps", "1"], [False, False], [0.1421, 0.1421]),   # one step: still the majority rate
    (["--epochs", "2"], [True, True], [0.9220, 0.8635]),
])
def test_compare_train_json_says_whether_each_model_learned(run_cli, one_thread, tmp_path, budget, learned,
                                                             accuracies):
    """Two specs (both named "model" in their reports: runs are matched to rows by position)."""
    import json

    out = tmp_path / "c.json"
    code, _, err = run_cli("compare", TINY_A, TINY_B, "--train", *budget, "-o", out)
    assert code == 0, err
    models = json.loads(out.read_text())["models"]
    assert [m["learned"] for m in models] == learned
    assert [round(m["final_val_acc"], 4) for m in models] == accuracies
    for m in models:   # the digits' validation split: 359 images, 51 of the most frequent class
        assert m["majority_rate"] == pytest.approx(51 / 359) and m["chance_margin"] == pytest.approx(
            3 * (51 / 359 * (1 - 51 / 359) / 359) ** 0.5)
