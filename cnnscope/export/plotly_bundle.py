"""The plotly.js an HTML report carries, once per page: a partial bundle when it draws every chart.

Plotly's full bundle (``plotly.offline.get_plotlyjs()``, 4.8 MB) draws some fifty trace types; the
reports draw bars and lines/markers, which plotly.js's own "basic" partial bundle (bar, pie, scatter;
``assets/plotly-basic.min.js``, 1.2 MB) draws the same way, from the same source.  A page whose
figures use another trace type (the kernel experiment's heatmaps), or whose plotly package embeds a
plotly.js of another major version than the vendored bundle, carries the full bundle instead, so that
every figure's JSON meets the plotly.js it was written for.
"""

from __future__ import annotations

import functools
from importlib import resources

BASIC_VERSION = "4.1.1"  # npm plotly.js-basic-dist-min, the plotly.js the plotly package 7.1 embeds
BASIC_TRACES = frozenset({"bar", "pie", "scatter"})  # the trace modules in that bundle
SHA256 = "99784e3abfb07b142a15e521a439e6d9addceadb3f79553fd24c72774f0649ba"
BASIC_BANNER = f"plotly.js (basic - minified) v{BASIC_VERSION}"  # the bundle's first comment: once per copy


def trace_types(figures) -> set[str]:
    """The trace types ("bar", "scatter", "heatmap", ...) the figures draw."""
    return {trace.type for figure in figures for trace in figure.data}


def _major(version: str) -> str:
    return version.split(".")[0]


def fits_basic(figures) -> bool:
    """Whether the vendored basic bundle draws these figures as the embedded plotly.js would."""
    from plotly.offline import get_plotlyjs_version

    return (_major(get_plotlyjs_version()) == _major(BASIC_VERSION)
            and trace_types(figures) <= BASIC_TRACES)


@functools.cache
def basic_script() -> str:
    """The vendored partial bundle, as text to put inside a ``<script>`` element (it holds no ``</script``)."""
    return resources.files("cnnscope.export").joinpath("assets/plotly-basic.min.js").read_text(encoding="utf-8")


def page_script(figures) -> str:
    """The one ``<script>`` element carrying plotly.js for a page with these figures ("" without figures)."""
    if not figures:
        return ""
    if fits_basic(figures):
        return f"<script>{basic_script()}</script>"
    from plotly.offline import get_plotlyjs

    return f"<script>{get_plotlyjs()}</script>"
