"""The filters, features and graph commands: real images, one-line errors, real graphviz.

(The library tests of the pictures are tests/vis/test_visual.py.)
"""

import shutil

import numpy as np
import pytest
import torch
from PIL import Image

import cnnscope


def test_filters_and_features_commands(run_cli, tmp_path):
    target = tmp_path / "filters.png"
    code, out, _ = run_cli("filters", "alexnet_mnist", "-o", str(target))
    assert code == 0 and "96 filters 11×11×1" in out and "random initialisation (seed 0)" in out
    with Image.open(target) as picture:
        assert picture.width > 300
    weights = tmp_path / "run.pt"
    torch.save({"state_dict": cnnscope.build_model("lenet5").state_dict(),
                "config": {"model": "lenet5", "dataset": "digits", "epochs": 3}}, weights)
    code, out, _ = run_cli("filters", "lenet5", "--weights", str(weights), "-o", str(target))
    assert "cnnscope train checkpoint run.pt (lenet5 on digits, 3 epochs)" in out
    maps = tmp_path / "maps.png"
    code, out, _ = run_cli("features", "tutorial_cnn", "--image", "digits:17", "--layer", "max_pool2d",
                       "--top", "4", "-o", str(maps))
    assert code == 0 and "max_pool2d · 10×12×12" in out


def _write(path, mode, size=(20, 16), **kwargs):
    Image.new(mode, size, **kwargs).save(path)
    return path


def test_unusual_images_are_handled(run_cli, tmp_path):
    maps = tmp_path / "maps.png"
    sixteen = tmp_path / "deep.png"
    Image.fromarray((np.arange(400, dtype=np.uint16).reshape(20, 20) * 150)).save(sixteen)
    palette = _write(tmp_path / "palette.png", "P")
    alpha = _write(tmp_path / "alpha.png", "RGBA", color=(255, 0, 0, 0))
    cmyk = _write(tmp_path / "cmyk.jpg", "CMYK", color=(0, 0, 0, 0))
    for image in (sixteen, palette, alpha, cmyk):
        code, _, err = run_cli("features", "lenet5", "--image", str(image), "-o", str(maps))
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
def test_bad_images_and_layers_are_one_line_and_write_nothing(run_cli, tmp_path, setup, argv, fragment):
    if setup:
        setup(tmp_path)
    target = tmp_path / "maps.png"
    target.write_bytes(b"previous result")
    code, _, err = run_cli("features", "tutorial_cnn", *[a.replace("{tmp}", str(tmp_path)) for a in argv],
                       "-o", str(target))
    assert code != 0 and len(err.strip().splitlines()) == 1 and fragment in err
    assert target.read_bytes() == b"previous result"  # nothing already written is lost
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary left


def test_no_conv_layer(run_cli, tmp_path):
    code, _, err = run_cli("filters", "in1x8x8,flat,fc4", "-o", str(tmp_path / "f.png"))
    assert code != 0 and "has no convolution layer" in err


def test_pretrained_weights_are_never_downloaded_unasked(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "hub"))
    code, _, err = run_cli("filters", "alexnet", "--pretrained", "-o", str(tmp_path / "f.png"))
    assert code == 1 and "not in the local cache" in err and "--download" in err


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
def test_graph_command_renders_svg_png_and_dot(run_cli, tmp_path):
    for suffix in ("svg", "png", "dot"):
        target = tmp_path / f"arch.{suffix}"
        code, _, err = run_cli("graph", "resnet18", "-o", str(target))
        assert code == 0, err
    svg = (tmp_path / "arch.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "layer1.0" in svg
    assert (tmp_path / "arch.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_without_dot_writes_the_dot_and_says_how(run_cli, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code, _, err = run_cli("graph", "lenet5", "-o", str(tmp_path / "arch.svg"))
    assert code == 1 and "dot -Tsvg" in err and (tmp_path / "arch.dot").exists()
    assert not (tmp_path / "arch.svg").exists() and f"or write {tmp_path / 'arch.html'}, a page that draws it" in err


def test_graph_to_html_is_one_interactive_page_with_or_without_dot(run_cli, tmp_path, monkeypatch):
    import json
    import re

    pages = {}
    for name, which in (("arch", shutil.which), ("nodot", lambda name: None)):
        monkeypatch.setattr(shutil, "which", which)
        code, _, err = run_cli("graph", "lenet5", "--depth", "2", "-o", str(tmp_path / f"{name}.html"))
        assert code == 0, err
        pages[name] = (tmp_path / f"{name}.html").read_text()
    for page in pages.values():
        assert "Architecture: lenet5" in page and "Plotly" not in page and "Viz.js" not in page  # no charts, no dot
        assert 'id="layer-details"' in page and 'data-depth="2"' in page
        data = json.loads(re.search(r'class="cnn-diagram-data">(.*?)</script>', page, re.S).group(1))
        assert [row["n"] for row in data["rows"]] == [r.name or "(model)" for r in cnnscope.analyze("lenet5").layers]
