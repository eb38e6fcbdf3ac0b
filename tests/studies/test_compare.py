"""compare and kernels: the comparison's numbers equal the ModelReports', the kernel formulas are exact."""

import pytest

import cnnscope
from cnnscope.studies.compare import compare_reports
from cnnscope.studies.kernel_study import dilations, findings, study


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


@pytest.mark.parametrize("rf,expected", [(3, [1]), (5, [1, 1]), (7, [1, 2]), (9, [1, 1, 2]), (15, [1, 2, 4])])
def test_dilations_reach_the_field(rf, expected):
    assert dilations(rf) == expected and 1 + 2 * sum(expected) == rf


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
