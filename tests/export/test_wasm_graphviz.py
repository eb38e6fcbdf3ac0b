"""Diagrams in HTML reports made where graphviz's dot is not installed: viz.js draws them in the page.

The browser tests open such a report from a file in headless Chromium, with no network, and check
that every diagram is drawn and has the nodes graphviz's own ``dot`` lays out for the same source.
"""

import hashlib
import html
import re
import shutil
import subprocess
import time
import tomllib
from pathlib import Path
from unittest import mock

import pytest

import cnnscope
from cnnscope.export import wasm_graphviz
from cnnscope.export import comparison_document, model_document
from cnnscope.export.document import Diagram, Document, provenance, to_html
from cnnscope.studies.compare import compare_reports
from .test_model_document import external_loads

ROOT = Path(__file__).resolve().parents[2]
BANNER = f"Viz.js {wasm_graphviz.VIZ_JS_VERSION}"  # the vendored file's licence banner: once per copy


def without_dot():
    """As on a machine without graphviz: the report renderer finds no ``dot``."""
    return mock.patch("cnnscope.export.graphviz.shutil.which", return_value=None)


def dot_sources(text: str) -> list[str]:
    pattern = rf'<pre class="{wasm_graphviz.SOURCE_CLASS}">(.*?)</pre>'
    return [html.unescape(s) for s in re.findall(pattern, text, flags=re.DOTALL)]


def two_models():
    return compare_reports([cnnscope.analyze("lenet5"), cnnscope.analyze("resnet_mini")])


@pytest.fixture(scope="module")
def lenet():
    return cnnscope.analyze("lenet5")


def test_the_vendored_viz_js_matches_its_recorded_digest_and_is_package_data():
    """The digest is that of dist/viz-global.js in `npm pack @viz-js/viz@3.31.0` (assets/README.md)."""
    script = wasm_graphviz.viz_script()
    assert hashlib.sha256(script.encode("utf-8")).hexdigest() == wasm_graphviz.SHA256
    assert "</script" not in script.lower()  # it can sit inside a <script> element as it is
    assert f'graphvizVersion="{wasm_graphviz.GRAPHVIZ_VERSION}"' in script
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "assets/*" in package_data["cnnscope.export"]
    assert (ROOT / "cnnscope" / "export" / "assets" / "NOTICE.txt").is_file()


def test_without_dot_the_html_carries_the_dot_source_and_one_copy_of_viz_js(lenet):
    with without_dot():
        text = model_document.render(lenet, "html")
    assert text.count(BANNER) == 1 and 'data-drawn="pending"' in text and 'data-drawn="dot"' not in text
    from cnnscope.vis.graph import to_dot

    assert dot_sources(text) == [to_dot(lenet)]
    assert external_loads(text) == []


def test_without_dot_a_comparison_draws_every_model_from_one_copy_of_viz_js(lenet):
    with without_dot():
        text = to_html(comparison_document.document(two_models(), "cpu"))
    assert text.count(BANNER) == 1 and text.count('data-drawn="pending"') == 2 and len(dot_sources(text)) == 2


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
def test_with_dot_the_report_carries_its_svg_and_no_viz_js(lenet):
    text = model_document.render(lenet, "html")
    assert BANNER not in text and 'data-drawn="dot"' in text and not dot_sources(text)


def test_a_page_says_why_dot_drew_nothing_when_dot_failed(lenet, monkeypatch):
    from cnnscope.export import graphviz

    def failing(source, fmt, timeout):
        raise graphviz.RenderError("dot failed: syntax error in line 3 near '->'")

    monkeypatch.setattr(graphviz, "_run_dot", failing)
    text = model_document.render(lenet, "html")
    note = html.unescape(re.search(r'data-note="([^"]*)"', text).group(1))
    assert note.endswith("No SVG from graphviz's dot where the report was made: dot failed: syntax error in line 3 "
                         "near '->'.")
    assert "not installed" not in note and BANNER in text

def test_the_dot_source_cannot_close_the_element_it_sits_in():
    hostile = 'digraph g { a [label="</pre><script>alert(1)</script> & co"]; }'
    with without_dot():
        text = to_html(Document("t", provenance("cpu", []), [], diagrams=[Diagram("g", hostile)]))
    assert "<script>alert(1)" not in text and dot_sources(text) == [hostile]


# -- in a real browser ---------------------------------------------------------------------------------

@pytest.fixture
def offline(browser):
    """The browser (tests/conftest.py) with its network off: the page has only what is inside it."""
    browser.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    yield browser
    browser.delete_network_conditions()


def drawn(driver, path: Path, timeout: float = 60) -> list[dict]:
    """Open the report and wait until no diagram is pending; each diagram's outcome and node names."""
    driver.get(path.as_uri())
    deadline = time.monotonic() + timeout
    while driver.execute_script("return document.querySelectorAll('.diagram[data-drawn=pending]').length"):
        assert time.monotonic() < deadline, "the page did not finish drawing its diagrams"
        time.sleep(0.05)
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('.diagram')).map(d => ({
            drawn: d.getAttribute('data-drawn'),
            nodes: Array.from(d.querySelectorAll('svg g.node > title')).map(t => t.textContent)}));""")


def dot_node_names(dot_source: str) -> list[str]:
    svg = subprocess.run(["dot", "-Tsvg"], input=dot_source.encode(), capture_output=True, check=True).stdout.decode()
    return [html.unescape(t) for t in re.findall(r'<g id="node\d+" class="node">\s*<title>(.*?)</title>', svg)]


@pytest.mark.slow
def test_a_report_made_without_dot_is_drawn_in_an_offline_browser(offline, tmp_path, lenet):
    browser = offline
    resnet = cnnscope.analyze("resnet18")
    paths = {}
    with without_dot():
        for name, report in (("lenet", lenet), ("resnet", resnet)):
            paths[name] = tmp_path / f"{name}.html"
            paths[name].write_text(model_document.render(report, "html"), encoding="utf-8")
        paths["compare"] = tmp_path / "compare.html"
        paths["compare"].write_text(to_html(comparison_document.document(two_models(),
                                                              "cpu")), encoding="utf-8")
    for name, path in paths.items():
        diagrams = drawn(browser, path)
        assert diagrams and all(d["drawn"] == "wasm" for d in diagrams), (name, diagrams)
        assert all(len(d["nodes"]) >= 5 for d in diagrams), (name, diagrams)
        if shutil.which("dot"):  # the same graph graphviz's own binary lays out
            sources = dot_sources(path.read_text(encoding="utf-8"))
            assert [sorted(d["nodes"]) for d in diagrams] == [sorted(dot_node_names(s)) for s in sources]
    text = browser.find_element("css selector", ".diagram .drawing-note").text
    assert text.startswith("Drawn in this page by Graphviz") and "DOT source" in browser.page_source
    assert "JavaScript is off" not in browser.find_element("tag name", "body").text  # that note is <noscript>


@pytest.mark.slow
def test_a_graph_viz_js_cannot_read_is_reported_in_the_page_not_left_pending(offline, tmp_path):
    browser = offline
    path = tmp_path / "bad.html"
    with without_dot():
        path.write_text(to_html(Document("t", provenance("cpu", []), [], diagrams=[Diagram("g", "digraph { a -> ")])),
                        encoding="utf-8")
    assert [d["drawn"] for d in drawn(browser, path)] == ["failed"]
    assert "could not be drawn in the page" in browser.find_element("css selector", ".drawing-note").text
