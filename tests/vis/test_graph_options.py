"""Diagram options: depth, rolled calls, shapes and costs on or off, directions, a graphviz Source."""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn

import cnnscope
from cnnscope.vis.graph import to_dot, to_source


def _nodes(dot: str) -> list[str]:
    return re.findall(r'^\s*"([rcg]\d+)" \[label=', dot, flags=re.M)  # rows, collapsed blocks, groups


def test_depth_draws_each_block_as_one_node():
    report = cnnscope.analyze("resnet18")
    dot = to_dot(report, depth=1)
    nodes = _nodes(dot)
    # conv1, bn1, relu, maxpool, layer1..4, avgpool, flatten, fc: 11 rows at depth 1
    assert len(nodes) == 11 and sum(n.startswith("c") for n in nodes) == 4
    assert 'label="layer3\nSequential\n1×256×14×14\n2.10 M params · 411.04 M MACs · RF 211"' in dot
    assert "cluster_" not in dot


class Loop(nn.Module):
    """One block called three times, as a recurrent refinement does."""

    def __init__(self):
        super().__init__()
        self.block = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        for _ in range(3):
            x = torch.relu(self.block(x))
        return x


def test_rolled_calls_are_one_node_with_a_loop():
    report = cnnscope.analyze(Loop(), (1, 4, 8, 8))
    plain, rolled = to_dot(report), to_dot(report, roll=True)
    assert plain.count('[label="block') == 3 and "(call 3)" in plain
    assert rolled.count('[label="block') == 1 and "(call" not in rolled
    assert '"r1" -> "r1" [label="×3", style=dashed];' in rolled


def test_shapes_and_costs_can_be_left_off():
    report = cnnscope.analyze("lenet5")
    dot = to_dot(report, shapes=False, costs=False, rankdir="BT")
    assert "rankdir=BT;" in dot
    assert "MACs" not in dot and "params" not in dot and "RF " not in dot
    edges = [line for line in dot.splitlines() if "->" in line]
    assert edges and all("label=" not in line for line in edges)
    assert "1×6×28×28" not in dot  # no shape on nodes either
    with pytest.raises(ValueError, match="depth must be 1 or more"):
        to_dot(report, depth=0)


def test_a_graphviz_source_for_notebooks():
    source = to_source(cnnscope.analyze("lenet5"), depth=1)
    assert type(source).__name__ == "Source" and source.source.startswith('digraph "lenet5"')


@pytest.mark.skipif(__import__("shutil").which("dot") is None, reason="graphviz's dot is not installed")
def test_a_layer_name_is_drawn_as_written_entities_and_quotes_included():
    import html
    import subprocess

    model = nn.Sequential()
    model.add_module('a&lt;b "q" \\', nn.Conv2d(1, 2, 3))
    dot = to_dot(cnnscope.analyze(model, (1, 1, 8, 8)))
    svg = subprocess.run(["dot", "-Tsvg"], input=dot.encode(), capture_output=True, check=True).stdout.decode()
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)]
    assert 'a&lt;b "q" \\' in texts, texts  # graphviz read no entity, no quote, no escape out of it
