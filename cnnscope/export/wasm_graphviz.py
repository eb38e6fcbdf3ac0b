"""Diagrams drawn in the reader's browser: Graphviz compiled to WebAssembly, shipped inside the report.

Where graphviz's ``dot`` is installed, an HTML report carries the SVG it drew.  Where it is not, the
report carries the DOT source and viz.js (``assets/viz-global.js``: Graphviz with its WebAssembly
module inline, so nothing is fetched), and a few lines of script that swap each source for its
drawing when the page opens.  With JavaScript off, the reader still gets the DOT source.
"""

from __future__ import annotations

import functools
from importlib import resources

VIZ_JS_VERSION = "3.31.0"
GRAPHVIZ_VERSION = "16.1.0"  # the Graphviz inside that viz.js build
SHA256 = "c9e0b310f9883910e01c66054b48b7ff4be3d8695141116635e72b0af152692e"
# travels with each copy of viz.js in a report (the full texts: assets/NOTICE.txt in cnnscope)
LICENCE = (f"/* viz.js {VIZ_JS_VERSION}, MIT licence, Copyright (c) Michael Daines; with Graphviz {GRAPHVIZ_VERSION} "
           "(Eclipse Public License 1.0, source: https://gitlab.com/graphviz/graphviz) and Expat (MIT), "
           "compiled to WebAssembly. Embedded by cnnscope. */")
SOURCE_CLASS = "dot-source"  # the <pre> holding a diagram's DOT, for the loader to find

DRAWING = "Drawing the diagram in this page…"  # until the loader has drawn it (or said why not)


def drawn_note(why: str) -> str:
    """The line above a diagram the page drew: how, and why ``dot`` did not (``why``)."""
    return (f"Drawn in this page by Graphviz {GRAPHVIZ_VERSION} compiled to WebAssembly (viz.js {VIZ_JS_VERSION}, "
            f"inside this file). No SVG from graphviz's dot where the report was made: {why}.")


# Swap each <pre class="dot-source"> for its SVG; the source stays below it, folded.  Every outcome is
# written on the diagram's element (data-drawn="wasm" or "failed") so that a reader, and the browser
# test, can tell a drawing from a source left standing.
LOADER = """
(function () {
  var sources = Array.prototype.slice.call(document.querySelectorAll("pre.%(cls)s"));
  if (!sources.length) return;
  function fail(pre, message) {
    var box = pre.closest(".diagram");
    box.setAttribute("data-drawn", "failed");
    var note = box.querySelector(".drawing-note");
    if (note) note.textContent = "The diagram could not be drawn in the page (" + message + "); its DOT source is below.";
  }
  if (typeof Viz === "undefined") { sources.forEach(function (pre) { fail(pre, "viz.js did not load"); }); return; }
  Viz.instance().then(function (viz) {
    sources.forEach(function (pre) {
      var box = pre.closest(".diagram");
      try {
        var svg = viz.renderSVGElement(pre.textContent);
        var folded = document.createElement("details");
        var summary = document.createElement("summary");
        summary.textContent = "DOT source";
        pre.parentNode.insertBefore(svg, pre);
        pre.parentNode.insertBefore(folded, pre);
        folded.appendChild(summary);
        folded.appendChild(pre);
        box.setAttribute("data-drawn", "wasm");
        var note = box.querySelector(".drawing-note");
        if (note) note.textContent = box.getAttribute("data-note");
      } catch (error) { fail(pre, error.message || String(error)); }
    });
  }, function (error) { sources.forEach(function (pre) { fail(pre, error.message || String(error)); }); });
})();
"""


@functools.cache
def viz_script() -> str:
    """The vendored viz.js, as text to put inside a ``<script>`` element (it holds no ``</script``)."""
    return resources.files("cnnscope.export").joinpath("assets/viz-global.js").read_text(encoding="utf-8")


def loader_script() -> str:
    return LOADER % {"cls": SOURCE_CLASS}


def page_scripts() -> str:
    """The two ``<script>`` elements a page with DOT sources ends with: viz.js, then the loader."""
    return f"<script>{LICENCE}\n{viz_script()}</script>\n<script>{loader_script()}</script>"
