"""The compare and kernels commands: bad input is one line, the HTML report is self-contained, JSON/CSV/Markdown.

(The library tests of the comparison are tests/studies/test_compare.py.)
"""

import csv
import io
import json
from html.parser import HTMLParser

import pytest

import cnnscope
from cnnscope.errors import CnnscopeError, LayerNotFoundError, SpecError


@pytest.mark.parametrize("argv,fragment", [
    (["kernels", "--rf", "6"], "only odd fields can be reached; try 5 or 7"),
    (["kernels", "--rf", "1"], "at least 3"),
    (["kernels", "--rf", "9", "--size", "5"], "smaller than the field"),
    (["compare", "resnet18", "resnet5"], "resnet5: unknown model 'resnet5'"),
    (["compare", "lenet5", "resnet_mini", "-o", "/nonexistent/dir/r.html"], "does not exist"),
    (["compare", "lenet5", "resnet_mini", "-o", "report.pdf"], "unknown suffix .pdf; choose .html, .md, .json or .csv"),
])
def test_bad_input_is_one_line(run_cli, argv, fragment):
    code, out, err = run_cli(*argv)
    assert code != 0 and len(err.strip().splitlines()) == 1 and fragment in err and out == ""


class _TwoArgs(CnnscopeError):
    """An error whose constructor does not take one message."""

    def __init__(self, what: str, why: str):
        super().__init__(f"{what} failed: {why}")
        self.what = what


@pytest.mark.parametrize("error,code,line", [
    (LayerNotFoundError("conv9", ["conv1"]), 2, "lenet5: no layer named 'conv9' in this model; did you mean conv1?"),
    (_TwoArgs("tracing", "no reason"), 1, "lenet5: tracing failed: no reason"),
    (SpecError("bad", "layers[0]"), 1, "lenet5: layers[0]: bad"),
])
def test_compare_names_the_model_whatever_the_error_constructor(run_cli, monkeypatch, error, code, line):
    """Regression: ``type(error)(f"{model}: {error}")`` misbuilt these (a LayerNotFoundError named the whole
    message as the layer; a two-argument constructor was a TypeError, an internal error)."""
    import cnnscope.analysis.analyze

    def analyze(source, *args, **kwargs):
        raise error

    monkeypatch.setattr(cnnscope.analysis.analyze, "analyze", analyze)
    got, out, err = run_cli("compare", "lenet5", "resnet_mini")
    assert (got, out, err) == (code, "", f"cnnscope: error: {line}\n")


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


def test_html_report_is_self_contained(run_cli, tmp_path):
    target = tmp_path / "report.html"
    code, out, _ = run_cli("compare", "resnet_mini", "lenet5", "-o", str(target))
    assert code == 0
    text = target.read_text()
    parser = _References()
    parser.feed(text)
    assert parser.external == [] and parser.scripts >= 2  # plotly.js inline + the figures
    assert "@import" not in text and "url(http" not in text
    assert f"cnnscope {cnnscope.__version__}" in text and "torch 2." in text and "1×1×28×28" in text
    assert "61,706" in text  # lenet5's parameters


def test_json_csv_and_markdown_reports(run_cli, tmp_path):
    json_path, csv_path, md_path = tmp_path / "r.json", tmp_path / "r.csv", tmp_path / "r.md"
    for path in (json_path, csv_path, md_path):
        assert run_cli("compare", "resnet_mini", "lenet5", "-o", str(path))[0] == 0
    data = json.loads(json_path.read_text())
    assert data["provenance"]["cnnscope"] == cnnscope.__version__
    assert data["models"][1]["params"] == 61_706
    assert data["reports"][1]["layers"][1]["name"] == "0"  # per-layer records included
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    assert [r["model"] for r in rows] == ["resnet_mini", "lenet5"] and rows[1]["macs"] == "416520"
    markdown = md_path.read_text()
    assert "| params | 4" in markdown and "![chart](r_charts/chart1.png)" in markdown
    assert (tmp_path / "r_charts" / "chart1.png").read_bytes()[:4] == b"\x89PNG"


def test_kernels_json_and_report(run_cli, tmp_path):
    code, out, _ = run_cli("kernels", "--rf", "5", "--channels", "8", "--size", "12", "--format", "json")
    data = json.loads(out)
    assert [v["kind"] for v in data["variants"]] == ["single", "stack3x3", "factorized", "dilated"]
    assert data["variants"][1]["params"] == 18 * 64 and data["variants"][0]["params"] == 25 * 64
    assert set(data["variants"][0]) >= {"kind", "layers", "params", "macs", "rf", "nonlinearities",
                                        "activation_bytes", "latency_ms"}
    target = tmp_path / "kernels.html"
    assert run_cli("kernels", "--rf", "5", "--channels", "8", "--size", "12", "--latency", "-o", str(target))[0] == 0
    assert "Findings" in target.read_text()


def test_compare_and_kernels_tables_on_the_terminal(run_cli):
    from cnnscope.export.comparison_document import comparison_text
    from cnnscope.export.kernels import findings, kernel_report, report_text
    from cnnscope.studies.compare import compare_reports
    from cnnscope.studies.kernels.variants import study

    code, out, _ = run_cli("compare", "lenet5", "resnet_mini")
    assert code == 0 and out == comparison_text(compare_reports([cnnscope.analyze("lenet5"),
                                                                 cnnscope.analyze("resnet_mini")]))
    code, out, _ = run_cli("kernels", "--rf", "5", "--channels", "8", "--size", "12")
    variants = study(5, 8, 12)
    assert code == 0 and out == report_text(kernel_report(variants, findings(variants, 5, 8), 5, 8, 12, "cpu"))
    assert out.startswith("Reaching a 5×5 receptive field") and "stack3x3" in out
