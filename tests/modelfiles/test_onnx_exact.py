"""ONNX files from both PyTorch exporters give cnnscope's count of the original module: MACs exactly,
parameters less exactly what batch-norm folding removes, every node's shape as ONNX's own shape inference
has it, and the receptive field of the last convolution as the PyTorch trace has it."""

from __future__ import annotations

import pytest

pytest.importorskip("onnx")

import cnnscope  # noqa: E402
from tests.modelfiles.onnx_export import (build, export, folded_channels, inferred_data_shapes,  # noqa: E402
                                          leaf_shapes)

SHAPE = (1, 3, 224, 224)
EXPORTERS = ("legacy13", "legacy17", "dynamo")
DEFAULT_MODELS = ("resnet18", "mobilenet_v3_small", "squeezenet1_1", "alexnet")
SLOW_MODELS = ("resnet50", "densenet121", "mobilenet_v2", "efficientnet_b0", "shufflenet_v2_x1_0", "mnasnet0_5",
               "regnet_x_400mf", "googlenet", "vgg11_bn", "resnext50_32x4d", "convnext_tiny")

_torch_reports: dict = {}
_models: dict = {}


def _torch_report(name: str):
    if name not in _torch_reports:
        _models[name] = build(name)
        _torch_reports[name] = cnnscope.analyze(_models[name], SHAPE, name=name)
    return _torch_reports[name]


def _needs(exporter: str) -> None:
    if exporter == "dynamo":
        pytest.importorskip("onnxscript")


def check_exact(name: str, exporter: str, folder) -> None:
    _needs(exporter)
    path = export(build(name), SHAPE, folder / f"{name}.onnx", exporter)
    torch_report = _torch_report(name)
    report = cnnscope.analyze(path)

    assert report.totals.macs == torch_report.totals.macs
    assert report.totals.macs == sum(row.macs for row in report.leaves())
    # Folding a batch norm over C channels into the convolution before it removes its γ and β (2·C) and gives
    # the convolution a bias of C where it had none.
    channels, without_bias = folded_channels(torch_report, _models[name])
    assert report.totals.params == torch_report.totals.params - 2 * channels + without_bias
    assert report.totals.params == sum(row.params for row in report.leaves())
    folded = [d for d in report.diagnostics if d.code == "onnx-folded-batch-norm"]
    if channels:
        assert f"{2 * channels:,} parameters and {2 * channels:,} buffers" in folded[0].message
        assert f"{torch_report.totals.params - report.totals.params:,} more" in folded[0].message

    ours, reference = leaf_shapes(report), inferred_data_shapes(path, SHAPE)
    assert len(ours) == len(reference) and all(shape is not None for shape in ours)
    assert [a for a, b in zip(ours, reference) if b is not None] == [b for b in reference if b is not None]
    assert report.output_shape == torch_report.output_shape

    last_conv = [row for row in report.leaves() if row.op_kind == "conv"][-1]
    torch_last = [row for row in torch_report.leaves() if row.op_kind == "conv"][-1]
    assert last_conv.rf == torch_last.rf
    assert last_conv.name == torch_last.name  # module paths survive both exporters


@pytest.mark.parametrize("exporter", EXPORTERS)
@pytest.mark.parametrize("name", DEFAULT_MODELS)
def test_exact(name, exporter, tmp_path):
    check_exact(name, exporter, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("exporter", ("legacy17", "dynamo"))
@pytest.mark.parametrize("name", SLOW_MODELS)
def test_exact_sweep(name, exporter, tmp_path):
    check_exact(name, exporter, tmp_path)


@pytest.mark.slow
def test_exact_vision_transformer(tmp_path):
    """Attention as MatMul and Softmax (the legacy exporter cannot export torch's fused attention path)."""
    check_exact("vit_b_16", "dynamo", tmp_path)


@pytest.mark.parametrize("exporter", ("legacy17", "dynamo"))
def test_symbolic_batch(exporter, tmp_path):
    """A symbolic batch is 1 by default (said in a diagnostic); an input shape fixes it."""
    _needs(exporter)
    path = export(build("resnet18"), (2, 3, 224, 224), tmp_path / "r.onnx", exporter, dynamic_batch=True)
    one = cnnscope.analyze(path)
    assert one.input_shape == [1, 3, 224, 224]
    assert one.totals.macs == _torch_report("resnet18").totals.macs
    assert any(d.code == "onnx-symbolic-dims" for d in one.diagnostics)
    four = cnnscope.analyze(path, (4, 3, 224, 224))
    assert four.input_shape == [4, 3, 224, 224] and four.output_shape == [4, 1000]
    assert four.totals.macs == cnnscope.analyze(build("resnet18"), (4, 3, 224, 224)).totals.macs
    assert not any(d.code == "onnx-symbolic-dims" for d in four.diagnostics)


def test_external_data(tmp_path):
    """Weights beside the file give the same report; the data file is checked, never read."""
    import onnx

    path = export(build("resnet18"), SHAPE, tmp_path / "inside.onnx", "legacy17")
    inside = cnnscope.analyze(path)
    outside = tmp_path / "outside.onnx"
    onnx.save(onnx.load(path), str(outside), save_as_external_data=True, all_tensors_to_one_file=True,
              location="outside.weights", size_threshold=1024)
    assert (tmp_path / "outside.weights").stat().st_size > 40_000_000
    assert outside.stat().st_size < 1_000_000
    report = cnnscope.analyze(str(outside))
    assert report.totals == inside.totals
    assert [r.output_shape for r in report.layers] == [r.output_shape for r in inside.layers]


def test_rows_read_like_the_torch_report(tmp_path):
    """Both exporters keep the module paths: the ONNX rows are the torch report's rows less the batch norms."""
    _needs("dynamo")
    torch_names = [r.name for r in _torch_report("resnet18").leaves() if not r.type.startswith("BatchNorm")]
    for exporter in ("legacy17", "dynamo"):
        report = cnnscope.analyze(export(build("resnet18"), SHAPE, tmp_path / f"{exporter}.onnx", exporter))
        names = [r.name for r in report.leaves()]
        # the legacy exporter names a module's second call relu_1 (the dynamo one keeps relu, call 1);
        # torch.export records torch.flatten as the view it decomposes to
        assert [n.replace("relu_1", "relu") for n in names] == [n if exporter != "dynamo" or n != "flatten" else "view"
                                                                for n in torch_names]
        blocks = [r.name for r in report.layers if not r.is_leaf]
        assert blocks[:4] == ["", "layer1", "layer1.0", "layer1.1"]
