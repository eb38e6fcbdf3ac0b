"""Notebook views: ``ModelReport._repr_html_`` and ``ModelReport.to_pandas``."""

from __future__ import annotations

import re

from torch import nn

import cnnscope


def test_the_html_table_has_the_rows_to_depth_two_and_the_totals():
    report = cnnscope.analyze("resnet18")
    html = report._repr_html_()
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body)
    assert len(rows) == sum(1 for r in report.layers if 1 <= r.depth <= 2)
    conv1 = re.findall(r">([^<]*)</td>", rows[0])
    assert conv1 == ["conv1", "Conv2d", "1×64×112×112", "9,408", "118.01 M", "6.5%", "7"]
    assert "<th style=\"text-align:left\">MACs</th><td style=\"text-align:right\">1,814,073,344 (1.81 G)</td>" in html
    assert f"{sum(1 for r in report.layers if r.depth > 2)} deeper rows not shown" in html


def test_names_are_escaped():
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.add_module("a<b>&c", nn.Conv2d(1, 2, 3))

        def forward(self, x):
            return getattr(self, "a<b>&c")(x)

    html = cnnscope.analyze(Odd(), (1, 1, 5, 5), name="<Odd>")._repr_html_()
    assert "a&lt;b&gt;&amp;c" in html and "&lt;Odd&gt;" in html and "<b>&c" not in html


def test_to_pandas_is_one_row_per_record_with_the_numbers():
    report = cnnscope.analyze("lenet5")
    frame = report.to_pandas()
    assert len(frame) == len(report.layers) and frame.index.name == "index"
    leaves = frame[frame.is_leaf]
    assert int(leaves.macs.sum()) == report.totals.macs == 416_520
    assert int(leaves.params.sum()) == report.totals.params == 61_706
    first = frame.loc[1]
    assert (first["type"], first["kernel_size"], first["rf_size"], first["output_shape"]) == \
        ("Conv2d", [5, 5], [5, 5], [1, 6, 28, 28])
