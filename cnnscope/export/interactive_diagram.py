"""The interactive architecture diagram as HTML: one fragment per model, the page code once per page.

``diagram_fragment(report, element_id)`` is the container (toolbar, drawing, side panel) with the
graph's JSON inside (``vis.diagram_data``); ``diagram_assets()`` is the style and script
(``assets/diagram.js``) that turn every fragment of the page into a diagram, whatever their order.
A page with several diagrams (a comparison report) carries the assets once.  Nothing is fetched and
graphviz is not needed: the page lays the graph out itself.
"""

from __future__ import annotations

import functools
import html
import json
from importlib import resources

from cnnscope import units
from cnnscope.report import ModelReport

DETAILS_ID = "layer-details"  # the side panel of a page's (first) diagram

STYLE = """
.cnn-diagram { display: flex; flex-wrap: wrap; gap: .5rem; font: 13px Helvetica, Arial, sans-serif; margin: .5rem 0; }
.cnn-diagram .cnn-toolbar { flex: 1 1 100%; display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; }
.cnn-diagram .cnn-toolbar input.cnn-search { width: 12em; max-width: 40vw; }
.cnn-diagram svg.cnn-diagram-svg { flex: 3 1 480px; min-width: 0; height: 70vh; min-height: 320px; border: 1px solid #ccd;
  border-radius: 4px; background: #fff; touch-action: none; cursor: grab; user-select: none; }
.cnn-diagram .cnn-diagram-details { flex: 1 1 220px; min-width: 0; max-width: 100%; font-size: 12px; overflow-wrap: anywhere; }
.cnn-diagram .cnn-diagram-details th { text-align: left; padding-right: .6em; font-weight: 600; vertical-align: top; }
.cnn-diagram svg text { font: 11px Helvetica, Arial, sans-serif; text-anchor: middle; fill: #222; }
.cnn-diagram svg text.cnn-name { font-weight: 600; }
.cnn-diagram svg .cnn-block text.cnn-title { text-anchor: start; fill: #4a5a78; }
.cnn-diagram svg .cnn-block { cursor: pointer; }
.cnn-diagram svg .cnn-node rect { stroke: #5b7bb0; }
.cnn-diagram svg .cnn-node { cursor: pointer; }
.cnn-diagram svg .cnn-node.closed rect { stroke-width: 1.5; }
.cnn-diagram svg .cnn-node.selected rect { stroke: #d2561b; stroke-width: 3; }
.cnn-diagram svg .cnn-io rect { stroke: none; }
.cnn-diagram svg path.cnn-edge { fill: none; stroke: #888; stroke-width: 1.1; }
.cnn-diagram svg text.cnn-edge-label { font-size: 9px; fill: #666; text-anchor: start; }
"""


@functools.cache
def page_script() -> str:
    return resources.files("cnnscope.export").joinpath("assets/diagram.js").read_text(encoding="utf-8")


def diagram_assets() -> str:
    """The style and script every interactive diagram of a page shares: put them in the page once."""
    return f"<style>{STYLE}</style>\n<script>{page_script()}</script>"


def diagram_json(report: ModelReport) -> str:
    """The graph as JSON that is safe inside a ``<script>`` element."""
    from cnnscope.vis.diagram_data import diagram_data

    text = json.dumps(diagram_data(report), ensure_ascii=False, separators=(",", ":"))
    return text.replace("</", "<\\/")


def diagram_fragment(report: ModelReport, element_id: str = "diagram", *, depth: int = 1,
                     details_id: str = DETAILS_ID, title: str | None = None) -> str:
    """The container of one diagram, blocks open down to ``depth``; ``details_id`` names its side
    panel (give each diagram of a page its own); ``title``: a heading above it (a comparison's models)."""
    if depth < 1:
        raise ValueError(f"depth must be 1 or more, got {depth}")
    eid, did = html.escape(element_id), html.escape(details_id)
    label = html.escape(f"{report.model}, {units.shape(report.input_shape)}")
    heading = f'<h3 class="cnn-diagram-title">{html.escape(title)}</h3>' if title else ""
    return (f'{heading}<div class="cnn-diagram" id="{eid}" data-depth="{depth}" aria-label="Architecture of {label}">'
            '<div class="cnn-toolbar">'
            f'<label>Depth <select class="cnn-depth" aria-label="blocks open down to this depth"></select></label>'
            '<button type="button" class="cnn-fit">Fit</button>'
            '<label><input type="checkbox" class="cnn-heat"> heat by MACs</label>'
            '<input type="search" class="cnn-search" placeholder="layer name" aria-label="find a layer">'
            '<button type="button" class="cnn-find">Find</button><span class="cnn-search-note"></span>'
            '<span class="cnn-hint">drag to pan · wheel or pinch to zoom · click a block to open or close it, '
            'a layer for its row</span></div>'
            f'<svg class="cnn-diagram-svg" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}"></svg>'
            f'<div class="cnn-diagram-details" id="{did}">Click a layer for its row.</div>'
            f'<script type="application/json" class="cnn-diagram-data">{diagram_json(report)}</script>'
            "</div>")


def diagram_page(report: ModelReport, *, depth: int = 1) -> str:
    """A self-contained page holding one interactive diagram (``cnnscope graph -o arch.html``)."""
    title = html.escape(f"Architecture: {report.model}, {units.shape(report.input_shape)}")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{title}</title><style>body {{ margin: .6rem; font-family: Helvetica, Arial, sans-serif; }}"
            "h1 { font-size: 1.1rem; margin: 0 0 .3rem; }</style></head><body>"
            f"<h1>{title}</h1>{diagram_fragment(report, depth=depth)}\n{diagram_assets()}</body></html>\n")
