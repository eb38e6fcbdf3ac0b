"""The model report (one model) and the comparison report's depth charts and diagrams."""

import html
import io
import json
import re
import shutil
import zipfile

import pytest

import cnnscope
from cnnscope.export import tabular
from cnnscope.export import model_document
from cnnscope.export.document import NO_SCRIPT_NOTE

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
DEPTH_TITLES = ("Spatial resolution along the depth", "Channels along the depth", "Receptive field along the depth",
                "Cumulative MACs and parameters")


@pytest.fixture(scope="module")
def lenet():
    return cnnscope.analyze("lenet5")


def external_loads(text: str) -> list[str]:
    """src=, href=, data= and CSS url() that point at another host (what a browser would fetch); the
    inline scripts' code is left out (plotly.js holds links it shows, such as its own site, as strings)."""
    text = re.sub(r"(<script\b[^>]*>).*?</script>", r"\1</script>", text, flags=re.DOTALL | re.IGNORECASE)
    return re.findall(r"""(?:\b(?:src|href|data)\s*=\s*["']?|url\(\s*["']?|@import\s+["']?)\s*((?:https?:)?//[^"'\s)>]*)""",
                      text, flags=re.IGNORECASE)


def test_external_loads_finds_what_a_browser_would_fetch():
    assert external_loads('<script src="https://cdn.plot.ly/p.js">') == ["https://cdn.plot.ly/p.js"]
    assert external_loads("<a href='//x.org/a'>") == ["//x.org/a"] and external_loads("url(http://a/b.css)")
    assert external_loads('<svg xmlns="http://www.w3.org/2000/svg">') == []  # a name, not a request
    assert external_loads('<script>x = \'<a href="https://plotly.com/">\'</script>') == []
    assert external_loads('<script src="http://a/p.js"></script>') == ["http://a/p.js"]


def test_html_model_report(lenet):
    text = model_document.render(lenet, "html")
    assert text.startswith("<!DOCTYPE html>") and "<title>Model report: lenet5</title>" in text
    assert external_loads(text) == [] and "<script>" in text  # plotly.js inline
    assert f"cnnscope {lenet.cnnscope_version} · torch {lenet.torch_version} · device meta · input 1×1×28×28 · " \
           "float32" in text
    assert "FLOPs = 2 × MACs" in text and "in input pixels" in text
    assert "<td>Params</td><td>61,706 (trainable 61,706, frozen 0)</td>" in text  # totals
    assert "<td>MACs</td><td>416,520 (416.52 k)</td>" in text
    # the per-layer table: every leaf row with its shape, params, MACs and field
    assert '<td>0</td><td class="l">Conv2d</td><td class="l">1×6×28×28</td><td>5</td><td>1</td><td>156</td>' \
           "<td>117.60 k</td><td>28.2%</td><td>5</td><td>1</td>" in text  # text columns left-aligned
    assert text.count("<tr><td>") == 9 + len(lenet.layers) - 1  # totals lines + every row but the root
    for title in DEPTH_TITLES:
        assert title in text
    assert text.count('class="plotly-graph-div"') == 4


@needs_dot
def test_html_model_report_draws_the_diagram_as_svg(lenet):
    text = model_document.render(lenet, "html")
    svg = text[text.index('<div class="diagram" data-drawn="dot">'):]
    assert "<svg" in svg and "<!DOCTYPE svg" not in text and "digraph" not in text
    assert ">Conv2d 5×5<" in svg and "156 params" in svg  # node labels drawn by dot


def test_without_dot_the_diagram_is_its_source_for_the_page_to_draw(lenet, monkeypatch):
    monkeypatch.setattr("cnnscope.export.graphviz.shutil.which", lambda name: None)
    text = model_document.render(lenet, "html")
    diagram = text[text.index('<div class="diagram" data-drawn="pending"'):text.index("<h2>Layers</h2>")]
    assert "<svg" not in diagram and '<pre class="dot-source">digraph &quot;lenet5&quot; {' in diagram, diagram[:300]
    assert f"<noscript><p class=\"notes\">{html.escape(NO_SCRIPT_NOTE)}.</p></noscript>" in diagram  # JavaScript off
    assert "No SVG from graphviz&#x27;s dot where the report was made: graphviz&#x27;s dot is not installed." in diagram
    files = zipfile.ZipFile(io.BytesIO(model_document.render(lenet, "zip")))
    assert not [n for n in files.namelist() if n.endswith(".svg")]
    assert "```dot\ndigraph \"lenet5\"" in files.read("lenet5.md").decode()


def test_other_formats(lenet):
    assert json.loads(model_document.render(lenet, "json")) == lenet.to_dict()
    assert model_document.render(lenet, "csv") == tabular.to_csv(lenet, None)  # the per-layer rows
    markdown = model_document.render(lenet, "md")
    assert "| Params | 61,706 (trainable 61,706, frozen 0) |" in markdown and "```dot" in markdown
    assert "| 0 | Conv2d | 1×6×28×28 | 5 | 1 | 156 | 117.60 k | 28.2% | 5 | 1 |" in markdown
    files = zipfile.ZipFile(io.BytesIO(model_document.render(lenet, "zip", name="my net")))
    assert files.namelist()[:4] == [f"my_net_charts/chart{k}.png" for k in range(1, 5)]
    assert files.namelist()[-1] == "my_net.md"
    assert files.read("my_net_charts/chart1.png")[:4] == b"\x89PNG"
    assert "![chart](my_net_charts/chart4.png)" in files.read("my_net.md").decode()
    with pytest.raises(ValueError, match="fmt must be one of"):
        model_document.render(lenet, "pdf")


def test_summary_writes_the_report_in_the_format_of_the_suffix(run_cli, tmp_path, lenet):
    paths = {suffix: tmp_path / f"r.{suffix}" for suffix in ("html", "md", "json", "csv", "txt")}
    for path in paths.values():
        code, _, err = run_cli("summary", "lenet5", "-o", path)
        assert code == 0, err
    assert "Model report: lenet5" in paths["html"].read_text() and external_loads(paths["html"].read_text()) == []
    markdown = paths["md"].read_text()
    for k in range(1, 5):
        assert f"![chart](r_charts/chart{k}.png)" in markdown
        assert (tmp_path / "r_charts" / f"chart{k}.png").read_bytes()[:4] == b"\x89PNG"
    assert "| MACs | 416,520 (416.52 k) |" in markdown
    if shutil.which("dot"):
        assert "![lenet5, 1×1×28×28](r_charts/diagram1.svg)" in markdown
        assert (tmp_path / "r_charts" / "diagram1.svg").read_text().startswith("<svg")
    assert json.loads(paths["json"].read_text()) == lenet.to_dict()
    assert paths["csv"].read_text() == tabular.to_csv(lenet, 3)
    assert paths["txt"].read_text() == run_cli("summary", "lenet5")[1]  # the terminal table


def test_report_shows_every_row_unless_depth_is_given(run_cli, tmp_path):
    full, shallow = tmp_path / "full.html", tmp_path / "shallow.html"
    assert run_cli("summary", "resnet_mini", "-o", full)[0] == 0
    assert run_cli("summary", "resnet_mini", "--depth", "1", "-o", shallow)[0] == 0
    assert "3.conv1</td>" in full.read_text() and "3.conv1</td>" not in shallow.read_text()


@pytest.mark.parametrize("argv,fragment", [
    (["summary", "lenet5", "-o", "r.pdf"], "-o r.pdf: unknown suffix .pdf; choose .html, .md, .json, .csv or .txt"),
    (["summary", "lenet5", "--format", "json", "-o", "r.md"], "--format json contradicts -o r.md (a .md file is md)"),
    (["summary", "lenet5", "--format", "table", "-o", "r.csv"], "--format table contradicts -o r.csv"),
    (["rf", "lenet5", "--format", "csv", "-o", "r.json"], "--format csv contradicts -o r.json"),
    (["rf", "lenet5", "-o", "r.html"], "unknown suffix .html; choose .png, .jpg, .jpeg, .json, .csv, .md or .txt"),
    (["compare", "lenet5", "resnet_mini", "-o", "r.txt"], "unknown suffix .txt; choose .html, .md, .json or .csv"),
    (["compare", "lenet5", "resnet_mini", "-o", "report"], "unknown suffix (none)"),
    (["kernels", "--format", "json", "-o", "k.html"], "--format json contradicts -o k.html"),
    (["kernels", "-o", "k.txt"], "unknown suffix .txt"),
])
def test_suffix_and_format_disagree_is_one_line(run_cli, tmp_path, monkeypatch, argv, fragment):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(*argv)
    assert code == 2 and out == ""
    run_cli.assert_one_line_error(code, err, fragment)
    assert list(tmp_path.iterdir()) == []  # refused before any work


def test_format_without_a_suffix_still_applies(run_cli, tmp_path, lenet):
    code, out, _ = run_cli("summary", "lenet5", "--format", "html")
    assert code == 0 and out.startswith("<!DOCTYPE html>") and "Model report: lenet5" in out
    target = tmp_path / "lenet"
    assert run_cli("summary", "lenet5", "--format", "json", "-o", target)[0] == 0
    assert json.loads(target.read_text()) == lenet.to_dict()
    code, out, _ = run_cli("summary", "lenet5", "--format", "csv", "-o", "-")
    assert code == 0 and out == tabular.to_csv(lenet, 3)


def test_comparison_report_overlays_the_depth_charts_and_draws_each_model(run_cli, tmp_path):
    html_path, md_path = tmp_path / "c.html", tmp_path / "c.md"
    for path in (html_path, md_path):
        code, _, err = run_cli("compare", "lenet5", "resnet_mini", "-o", path)
        assert code == 0, err
    text = html_path.read_text()
    assert external_loads(text) == [] and "Side by side" in text
    for title in DEPTH_TITLES:
        assert title in text
    assert text.index("Spatial resolution along the depth") < text.index('"text":"Parameters"')  # depth first
    assert '<h3>lenet5, 1×1×28×28</h3>' in text and '<h3>resnet_mini, 1×1×28×28</h3>' in text
    markdown = md_path.read_text()
    if shutil.which("dot"):
        assert text.count("<svg") >= 2
        assert "![lenet5, 1×1×28×28](c_charts/diagram1.svg)" in markdown
        assert "![resnet_mini, 1×1×28×28](c_charts/diagram2.svg)" in markdown
        assert (tmp_path / "c_charts" / "diagram2.svg").read_text().startswith("<svg")
    assert "![chart](c_charts/chart4.png)" in markdown


def test_comparison_report_lays_out_depth_charts_then_totals_and_one_diagram_per_model(lenet):
    from cnnscope.export import comparison_document
    from cnnscope.studies.compare import compare_reports
    from cnnscope.vis.charts import comparison_figures
    from cnnscope.vis.graph import to_dot

    comparison = compare_reports([lenet, cnnscope.analyze("resnet_mini")])
    laid_out = comparison_document.document(comparison, "meta (analysis)", comparison_figures(comparison))
    assert [f.layout.title.text for f in laid_out.figures[:4]] == list(DEPTH_TITLES)
    assert laid_out.figures[4].layout.title.text == "Parameters"
    assert [t.name for t in laid_out.figures[1].data] == ["lenet5", "resnet_mini"]
    assert [d.title for d in laid_out.diagrams] == ["lenet5, 1×1×28×28", "resnet_mini, 1×1×28×28"]
    assert laid_out.diagrams[1].dot == to_dot(comparison.reports[1], depth=2)  # blocks inside blocks: one node
    assert (laid_out.diagrams[1].svg is not None) == (shutil.which("dot") is not None)


def test_with_weights_the_report_shows_the_first_layer_filters(run_cli, tmp_path):
    import torch

    from cnnscope.sources import load_model

    weights = tmp_path / "lenet.pt"
    torch.save(load_model("lenet5", device="cpu", seed=1).module.state_dict(), weights)
    html_path, md_path = tmp_path / "w.html", tmp_path / "w.md"
    for path in (html_path, md_path):
        code, _, err = run_cli("summary", "lenet5", "--weights", weights, "-o", path)
        assert code == 0, err
    text = html_path.read_text()
    caption = "First-layer filters: 0, 6 filters 5×5×1, weights: state_dict lenet.pt"
    assert f"<h2>{caption}</h2>" in text and 'src="data:image/png;base64,iVBORw0KGgo' in text
    assert external_loads(text) == []
    assert f"![{caption}](w_charts/image1.png)" in md_path.read_text()
    assert (tmp_path / "w_charts" / "image1.png").read_bytes()[:4] == b"\x89PNG"
    assert "First-layer filters" not in model_document.render(cnnscope.analyze("lenet5"), "html")  # no weights
