"""Filters, feature maps and diagrams: real pixels, real activations, real graphviz."""

import re
import shutil

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import cnnscope
from cnnscope.probes.activations import capture, conv_weight
from cnnscope.cli import main
from cnnscope.vis.feature_maps import feature_grid, select_channels
from cnnscope.vis.filters import filter_tiles
from cnnscope.vis.graph import count_leaf_nodes, to_dot


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


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


def test_filters_and_features_commands(capsys, tmp_path):
    target = tmp_path / "filters.png"
    code, out, _ = run(capsys, "filters", "alexnet_mnist", "-o", str(target))
    assert code == 0 and "96 filters 11×11×1" in out and "random initialisation (seed 0)" in out
    with Image.open(target) as picture:
        assert picture.width > 300
    weights = tmp_path / "run.pt"
    torch.save({"state_dict": cnnscope.build_model("lenet5").state_dict(),
                "config": {"model": "lenet5", "dataset": "digits", "epochs": 3}}, weights)
    code, out, _ = run(capsys, "filters", "lenet5", "--weights", str(weights), "-o", str(target))
    assert "cnnscope train checkpoint run.pt (lenet5 on digits, 3 epochs)" in out
    maps = tmp_path / "maps.png"
    code, out, _ = run(capsys, "features", "tutorial_cnn", "--image", "digits:17", "--layer", "max_pool2d",
                       "--top", "4", "-o", str(maps))
    assert code == 0 and "max_pool2d · 10×12×12" in out


def _write(path, mode, size=(20, 16), **kwargs):
    Image.new(mode, size, **kwargs).save(path)
    return path


def test_unusual_images_are_handled(capsys, tmp_path):
    maps = tmp_path / "maps.png"
    sixteen = tmp_path / "deep.png"
    Image.fromarray((np.arange(400, dtype=np.uint16).reshape(20, 20) * 150)).save(sixteen)
    palette = _write(tmp_path / "palette.png", "P")
    alpha = _write(tmp_path / "alpha.png", "RGBA", color=(255, 0, 0, 0))
    cmyk = _write(tmp_path / "cmyk.jpg", "CMYK", color=(0, 0, 0, 0))
    for image in (sixteen, palette, alpha, cmyk):
        code, _, err = run(capsys, "features", "lenet5", "--image", str(image), "-o", str(maps))
        assert code == 0, err
    from cnnscope.vis.images import open_image

    assert open_image(alpha).getpixel((0, 0)) == (255, 255, 255)  # transparent → white, not black
    assert open_image(sixteen).getpixel((19, 19))[0] > 200  # 16-bit scaled down, not clipped


@pytest.mark.parametrize("setup,argv,fragment", [
    (lambda p: p.joinpath("fake.png").write_text("not an image"), ["--image", "{tmp}/fake.png"], "not a readable image"),
    (lambda p: _write(p / "tiny.png", "RGB", size=(1, 1)), ["--image", "{tmp}/tiny.png"], "is 1×1"),
    (None, ["--image", "{tmp}/absent.png"], "no such image file"),
    (None, ["--image", "digits:5000"], "samples 0..1796"),
    (None, ["--image", "digits:17", "--layer", "conv9"], "no layer named 'conv9'"),
])
def test_bad_images_and_layers_are_one_line_and_write_nothing(capsys, tmp_path, setup, argv, fragment):
    if setup:
        setup(tmp_path)
    target = tmp_path / "maps.png"
    target.write_bytes(b"previous result")
    code, _, err = run(capsys, "features", "tutorial_cnn", *[a.replace("{tmp}", str(tmp_path)) for a in argv],
                       "-o", str(target))
    assert code != 0 and len(err.strip().splitlines()) == 1 and fragment in err
    assert target.read_bytes() == b"previous result"  # nothing already written is lost
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary left


def test_no_conv_layer(capsys, tmp_path):
    code, _, err = run(capsys, "filters", "in1x8x8,flat,fc4", "-o", str(tmp_path / "f.png"))
    assert code != 0 and "has no convolution layer" in err


def test_pretrained_weights_are_never_downloaded_unasked(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "hub"))
    code, _, err = run(capsys, "filters", "alexnet", "--pretrained", "-o", str(tmp_path / "f.png"))
    assert code == 1 and "not in the local cache" in err and "--download" in err


def test_diagram_has_one_node_per_call_and_collapses_repeats():
    report = cnnscope.analyze("resnet50")
    expanded = to_dot(report, expand=True)
    assert count_leaf_nodes(expanded) == len(report.leaves())
    collapsed = to_dot(report)
    assert "Bottleneck ×3" in collapsed and "Bottleneck ×6" in collapsed
    assert count_leaf_nodes(collapsed) < len(report.leaves())
    assert re.search(r'-> "r\d+" \[label="1×2048"\]', collapsed)  # edges carry the tensor shapes


def test_diagram_follows_the_data_flow_of_branches():
    report = cnnscope.analyze("inception_mini")
    dot = to_dot(report, expand=True)
    cat = report.layer("3.cat")
    sources = {f"r{i}" for i in cat.inputs}
    edges = set(re.findall(r'"(r\d+)" -> "r' + str(cat.index) + '"', dot))
    assert edges == sources and len(edges) == 4


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
def test_graph_command_renders_svg_png_and_dot(capsys, tmp_path):
    for suffix in ("svg", "png", "dot"):
        target = tmp_path / f"arch.{suffix}"
        code, _, err = run(capsys, "graph", "resnet18", "-o", str(target))
        assert code == 0, err
    svg = (tmp_path / "arch.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "layer1.0" in svg
    assert (tmp_path / "arch.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_without_dot_writes_the_dot_and_says_how(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code, _, err = run(capsys, "graph", "lenet5", "-o", str(tmp_path / "arch.svg"))
    assert code == 1 and "dot -Tsvg" in err and (tmp_path / "arch.dot").exists()
    assert not (tmp_path / "arch.svg").exists()
