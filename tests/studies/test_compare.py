"""compare and kernels: the comparison's numbers equal the ModelReports', the kernel formulas are exact."""

import pytest
import torch

import cnnscope
from cnnscope.errors import SpecError, UsageError
from cnnscope.studies.compare import compare_reports
from cnnscope.studies.kernel_study import build_variant, covered, dilations, findings, kinds, omitted, study


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
