"""The sidebar's "File" source: an uploaded .pt2 or .onnx, analysed at the input it was exported with.

The files are exported here from a small CNN; the Summary page's totals are checked against
cnnscope's count of that module.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest
from torch import nn

from cnnscope import analyze, units

from .shown import shown

APP = str(Path(__file__).resolve().parents[2] / "app.py")
SHAPE = (1, 3, 32, 32)


def small_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, stride=2),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10)).eval()


def pt2_bytes() -> bytes:
    buffer = io.BytesIO()
    torch.export.save(torch.export.export(small_cnn(), (torch.zeros(SHAPE),)), buffer)
    return buffer.getvalue()


def onnx_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "small.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(small_cnn(), (torch.zeros(SHAPE),), str(path), dynamo=False, opset_version=17)
    return path.read_bytes()


def uploaded(name: str, data: bytes) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.sidebar.radio(key="source").set_value("File").run()
    assert not at.exception
    at.sidebar.file_uploader(key="model_file").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception
    return at


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def errors(at) -> list[str]:
    return [shown(e.value) for e in at.error]


def test_an_uploaded_pt2_is_analysed_and_run():
    at = uploaded("small.pt2", pt2_bytes())
    expected = analyze(small_cnn(), SHAPE).totals
    assert not errors(at)
    assert metrics(at)["Parameters"] == units.count(expected.params) == "1,562"  # 3·8·9+8 + 8·16·9+16 + 16·10+10
    assert metrics(at)["MACs"] == units.si(expected.macs)
    assert any("small.pt2: input 1×3×32×32 (as exported), with its own weights" in shown(c.value)
               for c in at.sidebar.caption)
    at.sidebar.radio(key="page").set_value("Filters & feature maps").run()
    assert not at.exception and not errors(at)
    assert any("Weights: the weights in small.pt2" in shown(c.value) for c in at.caption)


def test_an_uploaded_onnx_is_analysed_not_run(tmp_path):
    pytest.importorskip("onnx")
    at = uploaded("small.onnx", onnx_bytes(tmp_path))
    expected = analyze(small_cnn(), SHAPE).totals
    assert not errors(at)
    assert metrics(at)["MACs"] == units.si(expected.macs)
    assert metrics(at)["Parameters"] == units.count(expected.params)  # no batch norm to fold
    at.sidebar.radio(key="page").set_value("Filters & feature maps").run()
    assert not at.exception
    assert errors(at) == [errors(at)[0]] and "small.onnx is an ONNX file: it is analysed" in errors(at)[0]
    assert "\n" not in errors(at)[0]


def test_a_bad_upload_is_one_line_naming_the_upload():
    at = uploaded("broken.pt2", b"PK\x03\x04 not really a zip")
    lines = errors(at)
    assert lines and all("broken.pt2: not a .pt2 archive" in line for line in lines), lines
    assert not any("cnnscope-model-files" in line for line in lines)  # the upload's name, not the server's path


@pytest.mark.parametrize("suffix", ["pt2", "onnx"])
def test_every_page_takes_an_uploaded_file(suffix, tmp_path):
    """No page breaks on a model file: each draws, or says in one line what it cannot do with it."""
    from cnnscope.app.pages import TITLES

    if suffix == "onnx":
        pytest.importorskip("onnx")
    at = uploaded(f"small.{suffix}", pt2_bytes() if suffix == "pt2" else onnx_bytes(tmp_path))
    for title in TITLES:
        at.sidebar.radio(key="page").set_value(title).run()
        assert not at.exception, title
        lines = errors(at)
        assert not any("internal error" in line for line in lines), (title, lines)
        if suffix == "pt2":
            assert not lines, (title, lines)
