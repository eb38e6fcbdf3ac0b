"""Filters, feature maps and diagrams: real pixels, real activations, the diagram follows the report."""

import re

import numpy as np
import torch
from torch import nn

import cnnscope
from cnnscope.probes.activations import capture, conv_weight
from cnnscope.vis.feature_maps import feature_grid, select_channels
from cnnscope.vis.filters import filter_tiles
from cnnscope.vis.graph import count_leaf_nodes, to_dot


def test_a_hand_set_edge_kernel_renders_as_that_edge():
    conv = nn.Conv2d(1, 1, 3, bias=False)
    edge = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])  # Sobel: dark left, bright right
    conv.weight.data[0, 0] = edge
    _, weight = conv_weight(nn.Sequential(conv), None)
    tiles, labels, _ = filter_tiles(weight)
    tile = tiles[0].astype(int)
    assert labels == ["#0"]
    assert (tile[:, 0] < tile[:, 1]).all() and (tile[:, 1] < tile[:, 2]).all()  # left dark → right bright
    assert tile[1, 0] == 0 and tile[1, 2] == 255 and tile[0, 1] == tile[1, 1]  # the ±2 row holds the extremes


def test_rgb_filters_keep_colour_and_grey_filters_get_a_tile_per_channel():
    weight = np.zeros((2, 3, 2, 2), dtype=np.float32)
    weight[0, 0] = 1.0  # a pure red filter
    tiles, _, _ = filter_tiles(weight)
    assert tiles[0].shape == (2, 2, 3) and (tiles[0][..., 0] == 255).all() and (tiles[0][..., 1] == 0).all()
    tiles, labels, note = filter_tiles(np.random.default_rng(0).normal(size=(4, 16, 3, 3)))
    assert len(tiles) == 4 * 8 and labels[:2] == ["#0.0", "#0.1"] and "first 8 of 16 input channels" in note


def test_feature_maps_equal_a_direct_forward_pass():
    torch.manual_seed(0)
    model = cnnscope.build_model("resnet_mini").eval()
    x = torch.randn(1, 1, 28, 28)
    seen = {}
    model[3].conv2.register_forward_hook(lambda m, i, o: seen.__setitem__("conv2", o.detach().clone()))
    with torch.no_grad():
        reference = model[:3](x)
        expected_block = model[3](reference)
    np.testing.assert_allclose(capture(model, x, "3.conv2"), seen["conv2"].numpy(), rtol=0, atol=0)
    # a functional row, and one that a later in-place op would overwrite: the add, before its ReLU
    added = capture(model, x, "3.add")
    np.testing.assert_allclose(np.maximum(added, 0), expected_block.numpy(), atol=1e-6)
    assert (added < 0).any()  # truly the pre-ReLU sum


def test_top_k_picks_the_most_active_channels():
    activation = np.zeros((5, 4, 4), dtype=np.float32)
    activation[3] = 9.0
    activation[1] = -4.0
    chosen, note = select_channels(activation, top=2)
    assert chosen == [3, 1] and "2 most active of 5" in note
    picture = feature_grid(activation, "t", top=2)
    assert picture.width > 0 and picture.height > 0


def node_ids(dot: str) -> set[str]:
    """The ids of the node statements of a DOT text (not edges, not clusters)."""
    return set(re.findall(r'^\s*"(r\d+)" \[label=', dot, re.MULTILINE))


def test_diagram_has_one_node_per_call_and_collapses_repeats():
    report = cnnscope.analyze("resnet50")
    expanded = to_dot(report, expand=True)
    assert len(report.leaves()) == 175  # resnet50: 53 convs, 53 batch norms, 49 ReLUs, 16 adds, 2 pools, flatten, fc
    assert node_ids(expanded) == {f"r{row.index}" for row in report.leaves()}
    assert count_leaf_nodes(expanded) == len(report.leaves())
    collapsed = to_dot(report)
    assert "Bottleneck ×3" in collapsed and "Bottleneck ×6" in collapsed
    assert count_leaf_nodes(collapsed) == len(node_ids(collapsed)) < len(report.leaves())
    assert re.search(r'-> "r\d+" \[label="1×2048"\]', collapsed)  # edges carry the tensor shapes


def test_diagram_follows_the_data_flow_of_branches():
    report = cnnscope.analyze("inception_mini")
    dot = to_dot(report, expand=True)
    cat = report.layer("3.cat")
    sources = {f"r{i}" for i in cat.inputs}
    edges = set(re.findall(r'"(r\d+)" -> "r' + str(cat.index) + '"', dot))
    assert edges == sources and len(edges) == 4


def test_a_field_larger_than_the_picture_is_drawn_clipped_to_it():
    """The CLI picture: a box that reaches past the image is drawn on its edges, not off the canvas."""
    import numpy as np
    from PIL import Image

    from cnnscope.vis.rf_overlay import draw

    picture = Image.new("RGB", (32, 32), (128, 128, 128))
    canvas = draw(picture, (-10, -10, 50, 50), None, None, "t", (5, 5))
    pixels = np.asarray(canvas)
    red = (pixels[..., 0] > 200) & (pixels[..., 1] < 80)
    rows, cols = np.nonzero(red)
    factor = 320 // 32
    header = canvas.height - 32 * factor - 12
    # the red outline runs along the picture's own border (clipped), within the canvas
    assert rows.min() == header and rows.max() == header + 32 * factor - 1
    assert cols.min() == 12 and cols.max() == 12 + 32 * factor - 1
