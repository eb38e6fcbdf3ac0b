"""Bad .onnx input is one line and a non-zero exit, nothing written; an op cnnscope does not know is
analysed as far as it goes and listed, never a silent 0."""

from __future__ import annotations

import pytest

onnx = pytest.importorskip("onnx")

import numpy as np  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import cnnscope  # noqa: E402
from cnnscope.cli.main import main  # noqa: E402
from cnnscope.errors import InputError, ShapeError, UsageError  # noqa: E402


def _model(nodes, inputs, outputs, initializers=(), value_info=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers), value_info=list(value_info))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid("my.ops", 1)])
    return model


def _conv_net(path, custom: str | None = None, value_info: bool = True):
    """x (1×3×16×16) -> Conv 8×3×3×3 (pads 1, stride 2) -> [my.ops.Frob] -> Relu -> y."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 16, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    w = numpy_helper.from_array(np.full((8, 3, 3, 3), 0.5, dtype=np.float32), "w")  # raw data: can go outside
    b = numpy_helper.from_array(np.full((8,), 0.1, dtype=np.float32), "b")
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1], strides=[2, 2])]
    infos = []
    if custom:
        nodes.append(helper.make_node(custom, ["c"], ["f"], name="frob", domain="my.ops"))
        if value_info:
            infos.append(helper.make_tensor_value_info("f", TensorProto.FLOAT, [1, 8, 8, 8]))
        nodes.append(helper.make_node("Relu", ["f"], ["y"], name="relu"))
    else:
        nodes.append(helper.make_node("Relu", ["c"], ["y"], name="relu"))
    onnx.save(_model(nodes, [x], [y], [w, b], infos), str(path))
    return str(path)


def test_a_hand_made_graph(tmp_path):
    """Flat rows named after the nodes; MACs, parameters and the field by hand."""
    report = cnnscope.analyze(_conv_net(tmp_path / "net.onnx"))
    assert [r.name for r in report.leaves()] == ["conv", "relu"]
    conv = report.layer("conv")
    assert conv.output_shape == [1, 8, 8, 8]
    assert conv.macs == 8 * 8 * 8 * (3 * 3 * 3)  # output elements × C_in·k·k
    assert conv.params == 216 + 8
    assert (conv.kernel_size, conv.stride, conv.padding) == ([3, 3], [2, 2], [1, 1])
    assert (conv.rf.size, conv.rf.jump, conv.rf.start) == ([3, 3], [2, 2], [-1, -1])
    assert report.totals.other_ops == 8 * 8 * 8  # one op per ReLU output
    assert report.uncounted_ops == []
    symbolic = [d.message for d in report.diagnostics if d.code == "onnx-symbolic-dims"]
    assert symbolic == ["x: symbolic dimension 'batch' set to 1 (--input sets another)"]


def test_shared_weights_and_scalar_constants(tmp_path):
    """A tensor two nodes read counts once and is said; a one-element scale is a constant, not a parameter."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    gamma = numpy_helper.from_array(np.ones(6, dtype=np.float32), "gamma")
    scale = numpy_helper.from_array(np.array([0.5], dtype=np.float32), "scale")
    nodes = [helper.make_node("LayerNormalization", ["x", "gamma"], ["a"], name="ln1", axis=-1),
             helper.make_node("Mul", ["a", "scale"], ["b"], name="half"),
             helper.make_node("LayerNormalization", ["b", "gamma"], ["y"], name="ln2", axis=-1)]
    onnx.save(_model(nodes, [x], [y], [gamma, scale]), str(tmp_path / "ln.onnx"))
    report = cnnscope.analyze(str(tmp_path / "ln.onnx"))
    assert report.totals.params == 6
    assert [r.params for r in report.leaves()] == [6, 0, 0]
    shared = [d.message for d in report.diagnostics if d.code == "onnx-shared-weights"]
    assert shared and shared[0].startswith("1 weight tensor is read by several nodes (6 values)")
    assert report.totals.other_ops == 2 * 24 + 24 + 2 * 24  # norms: 2 per element; the Mul: 1


def test_an_unknown_op_is_analysed_and_listed(tmp_path):
    report = cnnscope.analyze(_conv_net(tmp_path / "net.onnx", custom="Frob"))
    frob = report.layer("frob")
    assert frob.op_kind == "unknown" and frob.macs == 0 and frob.type == "my.ops.Frob"
    assert report.uncounted_ops == [{"op": "my.ops.Frob", "calls": 1, "shapes": [[[1, 8, 8, 8]]], "layers": ["frob"]}]
    assert any(d.code == "uncounted-ops" and "my.ops.Frob ×1" in d.message for d in report.diagnostics)
    assert report.layer("relu").rf.size == [3, 3]  # kept its shape: taken as pointwise, and said so
    assert any(d.code == "rf-assumed-pointwise" for d in report.diagnostics)


def test_an_op_shape_inference_cannot_follow_is_named(tmp_path):
    path = _conv_net(tmp_path / "net.onnx", custom="Frob", value_info=False)
    with pytest.raises(InputError, match=r"shape inference cannot follow node 'frob' \(my\.ops\.Frob, an op ONNX"):
        cnnscope.analyze(path)


def test_a_wrong_input_shape_names_the_node(tmp_path):
    path = _conv_net(tmp_path / "net.onnx")
    with pytest.raises(UsageError, match="has 4 dimensions"):
        cnnscope.analyze(path, (3, 16, 16))
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [1, 100])
    onnx.save(_model([helper.make_node("Reshape", ["x", "shape"], ["y"], name="to_100")], [x], [y], [shape]),
              str(tmp_path / "reshape.onnx"))
    with pytest.raises(ShapeError, match=r"node 'to_100' \(Reshape, to_100\) cannot turn 1×3×4×4 into 1×100"):
        cnnscope.analyze(str(tmp_path / "reshape.onnx"))


def _cli_error(capsys, *args) -> str:
    assert main(list(args)) not in (0, None)
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.fixture
def good(tmp_path):
    return _conv_net(tmp_path / "good.onnx")


def test_truncated_file(tmp_path, good, capsys):
    data = open(good, "rb").read()
    bad = tmp_path / "cut.onnx"
    bad.write_bytes(data[: len(data) // 2])
    out = tmp_path / "report.html"
    assert "cut.onnx: truncated" in _cli_error(capsys, "summary", str(bad), "-o", str(out))
    assert not out.exists()


def test_random_bytes(tmp_path, capsys):
    bad = tmp_path / "noise.onnx"
    bad.write_bytes(bytes(range(256)) * 40)
    assert "noise.onnx: not an ONNX model" in _cli_error(capsys, "summary", str(bad))


def test_a_protobuf_that_is_not_a_model(tmp_path, capsys):
    bad = tmp_path / "tensor.onnx"
    bad.write_bytes(helper.make_tensor("t", TensorProto.FLOAT, [4, 4], [1.0] * 16).SerializeToString())
    assert "tensor.onnx: not an ONNX model" in _cli_error(capsys, "rf", str(bad))


def test_missing_and_short_external_data(tmp_path, capsys):
    path = tmp_path / "ext.onnx"
    model = onnx.load(_conv_net(tmp_path / "inside.onnx"))
    onnx.save(model, str(path), save_as_external_data=True, location="ext.weights", size_threshold=0)
    assert cnnscope.analyze(str(path)).totals.params == 224
    data = tmp_path / "ext.weights"
    data.write_bytes(data.read_bytes()[:100])
    with pytest.raises(InputError, match="ext.weights is truncated"):
        cnnscope.analyze(str(path))
    data.unlink()
    err = _cli_error(capsys, "summary", str(path))
    assert f"stored in {data}, which does not exist" in err


def test_missing_file_and_folder(tmp_path, capsys):
    assert "no such ONNX file" in _cli_error(capsys, "summary", str(tmp_path / "absent.onnx"))
    (tmp_path / "dir.onnx").mkdir()
    assert "is a folder" in _cli_error(capsys, "summary", str(tmp_path / "dir.onnx"))


def test_commands_that_run_a_model_refuse(good, tmp_path):
    from cnnscope.sources import load_model

    with pytest.raises(UsageError, match="an ONNX file is analysed .*, not run"):
        load_model(good, device="cpu")
    with pytest.raises(UsageError, match="eval mode"):
        cnnscope.analyze(good, mode="train")


def test_an_edited_file_is_not_served_from_the_cache(tmp_path, monkeypatch, capsys):
    """The report cache keeps zoo models only: an .onnx is read every time, so an edit shows at once."""
    monkeypatch.setenv("CNNSCOPE_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "net.onnx"
    _conv_net(path)
    assert main(["summary", str(path), "--format", "json"]) == 0
    before = capsys.readouterr().out
    model = onnx.load(str(path))
    model.graph.node[0].attribute[1].ints[:] = [1, 1]  # strides 2 -> 1: four times the MACs
    onnx.save(model, str(path))
    assert main(["summary", str(path), "--format", "json"]) == 0
    after = capsys.readouterr().out
    import json

    assert json.loads(after)["totals"]["macs"] == 4 * json.loads(before)["totals"]["macs"]
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())
