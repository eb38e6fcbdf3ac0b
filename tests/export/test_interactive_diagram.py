"""The interactive diagram's data (vis/diagram_data) and HTML (export/interactive_diagram)."""

from __future__ import annotations

import json
import re

import pytest
import torch.nn as nn

from cnnscope.export.interactive_diagram import diagram_assets, diagram_fragment, diagram_page, page_script
from cnnscope.vis.diagram_data import diagram_data


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 8, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x)) + x


def small():
    return nn.Sequential(nn.Conv2d(3, 8, 3), Residual(), nn.Flatten(), nn.Linear(8 * 6 * 6, 10))


def _data_in(page: str) -> list[dict]:
    return [json.loads(text) for text in
            re.findall(r'<script type="application/json" class="cnn-diagram-data">(.*?)</script>', page, re.S)]


def test_every_row_with_its_parent_and_fields(analyze):
    report = analyze(small(), (1, 3, 8, 8))
    data = diagram_data(report)
    rows = data["rows"]
    assert [r["n"] for r in rows] == [row.name or "(model)" for row in report.layers]
    by_name = {r["n"]: r for r in rows}
    for r, row in zip(rows[1:], report.layers[1:]):
        assert rows[r["p"]]["n"] == (row.parent or "(model)"), row.name
        assert r["t"] == row.type and r.get("P", 0) == row.params and r.get("M", 0) == row.macs
    conv = by_name["0"]
    # hand-computed: 3·8·3·3 weights + 8 biases; 6×6 outputs × 8 channels × 27 multiply-adds each
    assert conv["P"] == 3 * 8 * 9 + 8 and conv["M"] == 8 * 6 * 6 * 27
    assert (conv["k"], conv["s"], conv["pad"], conv["dil"], conv["g"]) == ("3", "1", "0", "1", 1)
    assert conv["i"] == "1×3×8×8" and conv["o"] == "1×8×6×6"
    assert conv["rf"] == "3" and conv["j"] == "1"
    assert conv["share"] == pytest.approx(conv["M"] / report.totals.macs, abs=1e-5)
    assert by_name["1"].get("c") == 1 and "c" not in conv  # the residual block can open, a leaf cannot
    assert by_name["1.conv"]["p"] == rows.index(by_name["1"])
    assert data["macs"] == report.totals.macs and data["params"] == 224 + 584 + 2890


def test_edges_follow_the_data_flow_with_shapes(analyze):
    report = analyze(small(), (1, 3, 8, 8))
    data = diagram_data(report)
    names = [r["n"] for r in data["rows"]]
    edges = {(e[0] if isinstance(e[0], str) else names[e[0]], e[1] if isinstance(e[1], str) else names[e[1]]): e[2]
             for e in data["edges"]}
    add = "1.add"  # the functional add of the residual block
    assert ("in0", "0") in edges and edges[("in0", "0")] == "1×3×8×8"
    assert edges[("0", "1.conv")] == "1×8×6×6"
    assert edges[("0", add)] == "1×8×6×6"  # the skip connection
    assert edges[("1.relu", add)] == "1×8×6×6"
    assert edges[("3", "out")] == "1×10"
    containers = {k for k, r in enumerate(data["rows"]) if r.get("c")}
    assert not any(e[0] in containers or e[1] in containers for e in data["edges"])


def test_resnet18_rows_and_edges(analyze):
    report = analyze("resnet18")
    data = diagram_data(report)
    assert len(data["rows"]) == len(report.layers)
    leaves = sum(1 for row in report.layers if row.is_leaf)
    into = {e[1] for e in data["edges"]}
    assert len(into - {"out"}) == leaves  # every leaf row is fed by some edge
    assert len(json.dumps(data, ensure_ascii=False)) < 25_000  # compact: short keys, empty fields left out


def test_assets_once_with_two_diagrams(analyze):
    a, b = analyze(small(), (1, 3, 8, 8)), analyze("resnet18")
    page = (diagram_fragment(a, "one", details_id="one-details") + diagram_fragment(b, "two", details_id="two-details")
            + diagram_assets())
    assert page.count(page_script()) == 1
    assert page.count('<div class="cnn-diagram" id=') == 2
    first, second = _data_in(page)
    assert len(first["rows"]) == len(a.layers) and len(second["rows"]) == len(b.layers)
    assert 'id="one-details"' in page and 'id="two-details"' in page


def test_page_is_self_contained(analyze):
    page = diagram_page(analyze("resnet18"), depth=2)
    assert 'id="layer-details"' in page and 'data-depth="2"' in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    assert "</script" not in page_script()


def test_json_cannot_close_its_script(analyze):
    report = analyze(small(), (1, 3, 8, 8), name="a</script><b>")
    fragment = diagram_fragment(report)
    assert fragment.count("</script>") == 1
    assert _data_in(fragment)[0]["model"] == "a</script><b>"


def test_model_and_comparison_reports_carry_one_diagram_per_model_and_the_code_once(analyze):
    from cnnscope.export import comparison_document, model_document
    from cnnscope.export.document import to_html
    from cnnscope.studies.compare import compare_reports

    one = model_document.render(analyze("resnet18"), "html")
    assert one.count('<div class="cnn-diagram" id=') == 1 and one.count(page_script()) == 1
    assert 'id="layer-details"' in one
    reports = [analyze("resnet18"), analyze(small(), (1, 3, 8, 8))]
    page = to_html(comparison_document.document(compare_reports(reports), "cpu"))
    assert page.count('<div class="cnn-diagram" id=') == 2 and page.count(page_script()) == 1
    assert [len(d["rows"]) for d in _data_in(page)] == [len(r.layers) for r in reports]
    assert page.count('id="layer-details"') == 1 and 'id="layer-details-1"' in page
