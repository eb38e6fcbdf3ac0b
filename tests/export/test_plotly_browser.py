"""Every kind of chart the HTML reports carry draws in headless Chromium with the plotly.js its page
carries: the vendored basic bundle for bars and lines, the full bundle for the kernel experiment's
heatmaps.  The page is opened from a file with the network off, and every error it raises is caught
from the first line of the page on (a script registered before the document loads)."""

import time
from types import SimpleNamespace
from unittest import mock

import pytest

import cnnscope
from cnnscope.export import plotly_bundle
from cnnscope.export.document import Document, provenance, to_html
from cnnscope.studies.compare import compare_reports
from cnnscope.vis import charts, kernel_charts
from cnnscope.vis.kernel_charts import curves_with_band

pytestmark = pytest.mark.slow

CATCH_ERRORS = """
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push(String(e.message)); });
window.addEventListener("unhandledrejection", function (e) { window.__errors.push(String(e.reason)); });
"""

# per chart: each trace's type as the figure asks for it and as plotly.js took it (a type it has no
# module for silently becomes an invisible scatter trace, with no error), and how many trace groups the
# layer of each asked-for type drew
DRAWN = """
return Array.from(document.querySelectorAll('.plotly-graph-div')).map(gd => ({
  svg: gd.querySelectorAll('svg.main-svg').length,
  traces: (gd._fullData || []).map((t, k) => ({asked: gd.data[k].type || 'scatter', took: t.type,
                                               visible: t.visible})),
  drawn: Object.fromEntries((gd.data || []).map(t => [t.type || 'scatter',
      gd.querySelectorAll('.' + (t.type || 'scatter') + 'layer > .trace, .' + t.type + 'layer > .hm').length])),
}));
"""


@pytest.fixture
def offline(browser):
    """The browser (tests/conftest.py) with its network off, catching every page error from the start."""
    browser.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    added = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    yield browser
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": added["identifier"]})
    browser.delete_network_conditions()


def _open(driver, tmp_path, figures, page: str | None = None) -> tuple[list[dict], list[str]]:
    """Open ``page`` (default: a page of ``figures``); each chart as ``DRAWN`` reads it, and the page's errors."""
    path = tmp_path / "charts.html"
    page = page or to_html(Document("charts", provenance("cpu", []), [], figures=figures))
    path.write_text(page, encoding="utf-8")
    driver.get(path.as_uri())
    deadline = time.monotonic() + 30
    while True:  # Plotly.newPlot draws asynchronously: wait until every chart has its SVG
        charts_ = driver.execute_script(DRAWN)
        if all(c["svg"] for c in charts_) or time.monotonic() > deadline:
            return charts_, driver.execute_script("return window.__errors")
        time.sleep(0.1)


def _fake_experiment():
    """What ``accuracy_vs_weights`` and ``effective_fields`` read of a kernel experiment, without training."""
    def result(acc, sd, erf):
        return SimpleNamespace(to_dict=lambda: {"val_acc_mean": acc, "val_acc_sd": sd}, erf_map=erf,
                               erf_mean=lambda: {"50%": 3.0, "90%": 7.0})

    grid = [[0.1 * (r + c) for c in range(9)] for r in range(9)]
    variants = [SimpleNamespace(kind="3x3", params=1200), SimpleNamespace(kind="5x5", params=3000)]
    return SimpleNamespace(variants=variants,
                           results={"3x3": result(0.71, 0.02, grid), "5x5": result(0.74, 0.01, grid)},
                           settings=SimpleNamespace(rf=9))


def _report_figures() -> list:
    """One of every chart the model, comparison and kernel-study reports draw with bars and lines."""
    from cnnscope.train.history import StepRecord, TrainHistory

    comparison = compare_reports([cnnscope.analyze("lenet5"), cnnscope.analyze("resnet_mini")])
    history = TrainHistory(steps=[StepRecord(step=k, epoch=1, loss=2.0 / k) for k in range(1, 6)])
    bands = {"3x3": [[0.5, 0.6, 0.7], [0.52, 0.61, 0.69]], "5x5": [[0.4, 0.65, 0.72], [0.45, 0.6, 0.74]]}
    return [*charts.depth_figures(comparison.reports), *charts.comparison_figures(comparison),
            charts.loss_curves({"lenet5": history}), curves_with_band(bands, "accuracy", "%", percent=True),
            kernel_charts.accuracy_vs_weights(_fake_experiment())]


def _assert_all_drawn(charts_: list[dict], errors: list[str], count: int):
    assert errors == []
    assert len(charts_) == count
    for chart in charts_:
        assert chart["svg"] >= 1
        assert chart["traces"] and all(t["took"] == t["asked"] and t["visible"] is True for t in chart["traces"]), chart
        assert all(n >= 1 for n in chart["drawn"].values()) and sum(chart["drawn"].values()) == len(chart["traces"])


def test_every_bar_and_line_chart_draws_with_the_basic_bundle(offline, tmp_path):
    figures = _report_figures()
    assert plotly_bundle.trace_types(figures) == {"bar", "scatter"}
    charts_, errors = _open(offline, tmp_path, figures)
    assert offline.execute_script("return document.documentElement.outerHTML").count(plotly_bundle.BASIC_BANNER) == 1
    assert offline.execute_script("return Plotly.version") == plotly_bundle.BASIC_VERSION
    _assert_all_drawn(charts_, errors, len(figures))


def test_the_resnet18_report_made_without_dot_draws_its_charts_and_its_diagram(offline, tmp_path):
    """The whole one-model report, as `cnnscope summary resnet18 -o r.html` writes it where dot is absent."""
    from cnnscope.export import model_document

    with mock.patch("cnnscope.export.graphviz.shutil.which", return_value=None):
        page = model_document.render(cnnscope.analyze("resnet18"), "html")
    charts_, errors = _open(offline, tmp_path, None, page)
    _assert_all_drawn(charts_, errors, len(charts.DEPTH_CHARTS))  # the model report's charts: along the depth
    deadline = time.monotonic() + 60
    while offline.execute_script("return document.querySelectorAll('.diagram[data-drawn=pending]').length"):
        assert time.monotonic() < deadline, "viz.js did not finish drawing the diagram"
        time.sleep(0.1)
    assert offline.execute_script("return document.querySelectorAll('.diagram[data-drawn=wasm] svg').length") == 1
    assert offline.execute_script("return window.__errors") == []


def test_the_kernel_experiments_heatmaps_draw_with_the_full_bundle(offline, tmp_path):
    figures = [kernel_charts.effective_fields(_fake_experiment()), *_report_figures()[-2:]]
    assert "heatmap" in plotly_bundle.trace_types(figures)
    charts_, errors = _open(offline, tmp_path, figures)
    assert plotly_bundle.BASIC_BANNER not in offline.execute_script("return document.documentElement.outerHTML")
    _assert_all_drawn(charts_, errors, len(figures))


def test_the_basic_bundle_would_leave_a_heatmap_undrawn(offline, tmp_path):
    """Why the rule: forced onto the basic bundle, a heatmap becomes an invisible scatter trace, and no
    error says so."""
    with mock.patch.object(plotly_bundle, "fits_basic", return_value=True):
        charts_, errors = _open(offline, tmp_path, [kernel_charts.effective_fields(_fake_experiment())])
    assert errors == [] and charts_[0]["svg"] >= 1
    assert charts_[0]["traces"] == [{"asked": "heatmap", "took": "scatter", "visible": False}] * 2
    assert charts_[0]["drawn"] == {"heatmap": 0}
