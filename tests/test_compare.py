"""compare, kernels and the reports: numbers equal the ModelReport's, formulas exact, HTML self-contained."""

import csv
import io
import json
from html.parser import HTMLParser

import pytest

import cnnscope
from cnnscope.studies.compare import compare_reports
from cnnscope.studies.kernel_study import dilations, findings, study
from cnnscope.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


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


@pytest.mark.parametrize("argv,fragment", [
    (["kernels", "--rf", "6"], "only odd fields can be reached; try 5 or 7"),
    (["kernels", "--rf", "1"], "at least 3"),
    (["kernels", "--rf", "9", "--size", "5"], "smaller than the field"),
    (["compare", "resnet18", "resnet5"], "resnet5: unknown model 'resnet5'"),
    (["compare", "lenet5", "resnet_mini", "-o", "/nonexistent/dir/r.html"], "does not exist"),
    (["compare", "lenet5", "resnet_mini", "-o", "report.pdf"], "choose a .html, .md, .json or .csv"),
])
def test_bad_input_is_one_line(capsys, argv, fragment):
    code, out, err = run(capsys, *argv)
    assert code != 0 and len(err.strip().splitlines()) == 1 and fragment in err and out == ""


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


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.external, self.scripts = [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href", "data"):
            if attrs.get(key):
                self.external.append((tag, attrs[key]))
        if tag == "link":
            self.external.append((tag, attrs))


def test_html_report_is_self_contained(capsys, tmp_path):
    target = tmp_path / "report.html"
    code, out, _ = run(capsys, "compare", "resnet_mini", "lenet5", "-o", str(target))
    assert code == 0
    text = target.read_text()
    parser = _References()
    parser.feed(text)
    assert parser.external == [] and parser.scripts >= 2  # plotly.js inline + the figures
    assert "@import" not in text and "url(http" not in text
    assert f"cnnscope {cnnscope.__version__}" in text and "torch 2." in text and "1×1×28×28" in text
    assert "61,706" in text  # lenet5's parameters


def test_json_csv_and_markdown_reports(capsys, tmp_path):
    json_path, csv_path, md_path = tmp_path / "r.json", tmp_path / "r.csv", tmp_path / "r.md"
    for path in (json_path, csv_path, md_path):
        assert run(capsys, "compare", "resnet_mini", "lenet5", "-o", str(path))[0] == 0
    data = json.loads(json_path.read_text())
    assert data["provenance"]["cnnscope"] == cnnscope.__version__
    assert data["models"][1]["params"] == 61_706
    assert data["reports"][1]["layers"][1]["name"] == "0"  # per-layer records included
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert [r["model"] for r in rows] == ["resnet_mini", "lenet5"] and rows[1]["macs"] == "416520"
    markdown = md_path.read_text()
    assert "| params | 4" in markdown and "![chart](r_charts/chart1.png)" in markdown
    assert (tmp_path / "r_charts" / "chart1.png").read_bytes()[:4] == b"\x89PNG"


def test_kernels_json_and_report(capsys, tmp_path):
    code, out, _ = run(capsys, "kernels", "--rf", "5", "--channels", "8", "--size", "12", "--format", "json")
    data = json.loads(out)
    assert [v["kind"] for v in data["variants"]] == ["single", "stack3x3", "factorized", "dilated"]
    assert data["variants"][1]["params"] == 18 * 64 and data["variants"][0]["params"] == 25 * 64
    assert set(data["variants"][0]) >= {"kind", "layers", "params", "macs", "rf", "nonlinearities",
                                        "activation_bytes", "latency_ms"}
    target = tmp_path / "kernels.html"
    assert run(capsys, "kernels", "--rf", "5", "--channels", "8", "--size", "12", "--latency", "-o", str(target))[0] == 0
    assert "Findings" in target.read_text()
