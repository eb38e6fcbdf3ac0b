"""``.pt2`` files (torch.export.save) as models: the same report as the original module, and read safely.

Every file is exported here, in a temporary folder.  The exactness checks compare against cnnscope's
own count of the module the file was exported from (params, MACs, buffers, rows, shapes, receptive
fields); the safety checks hand in files crafted to run code, and show first that torch's own loader
would run it (so the check can fail), then that cnnscope refuses in one line and runs nothing.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from torch import nn

from cnnscope import analyze
from cnnscope.errors import InputError
from cnnscope.modelfiles.pt2 import load_pt2

torchvision = pytest.importorskip("torchvision")


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                                      nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, stride=2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3)
        self.b = nn.Conv2d(3, 4, 3)

    def forward(self, x, y):
        return self.a(x) + self.b(y)


def export(module: nn.Module, path: Path, *inputs, batch_dim: bool = False) -> Path:
    dynamic = tuple({0: torch.export.Dim("batch")} for _ in inputs) if batch_dim else None
    torch.export.save(torch.export.export(module.eval(), tuple(inputs), dynamic_shapes=dynamic), path)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pt2")
    torch.manual_seed(0)
    return {
        "tiny": export(Tiny(), folder / "tiny.pt2", torch.randn(1, 3, 32, 32)),
        "two": export(TwoInputs(), folder / "two.pt2", torch.randn(1, 3, 16, 16), torch.randn(1, 3, 16, 16)),
        "folder": folder,
    }


def rewritten(source: Path, target: Path, replace: dict[str, bytes | None] = (), add: dict[str, bytes] = ()) -> Path:
    """A copy of the archive ``source`` with members replaced (None: removed) or added, by their path
    below the archive's top folder."""
    replace, add = dict(replace), dict(add)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as new:
        root = old.namelist()[0].split("/", 1)[0]
        for info in old.infolist():
            inner = info.filename.split("/", 1)[1]
            if inner in replace:
                if replace[inner] is not None:
                    new.writestr(info.filename, replace[inner])
            else:
                new.writestr(info.filename, old.read(info.filename))
        for inner, data in add.items():
            new.writestr(f"{root}/{inner}", data)
    return target


def program_json(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        root = archive.namelist()[0].split("/", 1)[0]
        return json.loads(archive.read(f"{root}/models/model.json"))


class _WritesMarker:
    """Unpickling this runs ``exec`` of code that writes the marker file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').write('ran')",)


def torch_load_runs_it(path: Path, marker: Path) -> bool:
    """Whether ``torch.export.load`` (in another process) writes the marker: the file really is an attack."""
    subprocess.run([sys.executable, "-c", f"import torch\ntry:\n torch.export.load({str(path)!r})\nexcept Exception:\n pass"],
                   capture_output=True, timeout=120)
    return marker.exists()


# --- the same report as the original module -------------------------------------------------------------


def same_report(original: nn.Module, path: Path, shape) -> None:
    ref = analyze(original, shape, name="x")
    got = analyze(str(path), name="x")
    assert got.input_shape == list(shape)
    assert (got.totals.params, got.totals.macs, got.totals.buffers) == (ref.totals.params, ref.totals.macs,
                                                                        ref.totals.buffers)
    rows = {(r.name, r.call): r for r in got.layers}
    ref_rows = {(r.name, r.call): r for r in ref.layers}
    # torch.export records no call for a module that does nothing in eval mode (StochasticDepth): no row,
    # and nothing counted in it in the original either
    for key in ref_rows.keys() - rows.keys():
        assert ref_rows[key].macs == 0 and ref_rows[key].params == 0 and ref_rows[key].other_ops == 0, key
    assert rows.keys() <= ref_rows.keys()
    for key, row in rows.items():
        expected = ref_rows[key]
        assert (row.type, row.output_shape, row.params, row.macs, row.rf) == (
            expected.type, expected.output_shape, expected.params, expected.macs, expected.rf), key


def test_tiny_model_matches_its_module(files):
    torch.manual_seed(0)
    same_report(Tiny(), files["tiny"], (1, 3, 32, 32))


@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v3_small", "squeezenet1_0"])
def test_torchvision_models_match(name, tmp_path):
    model = getattr(torchvision.models, name)()
    path = export(model, tmp_path / f"{name}.pt2", torch.randn(2, 3, 224, 224), batch_dim=True)
    same_report(model, path, (1, 3, 224, 224))  # the symbolic batch reads as 1


@pytest.mark.slow
@pytest.mark.parametrize("name", ["alexnet", "vgg11_bn", "googlenet", "densenet121", "efficientnet_b0",
                                  "shufflenet_v2_x0_5", "mnasnet0_5", "regnet_y_400mf", "convnext_tiny",
                                  "resnext50_32x4d", "mobilenet_v2", "inception_v3"])
def test_more_torchvision_models_match(name, tmp_path):
    size = 299 if name == "inception_v3" else 224
    kwargs = {"aux_logits": False, "init_weights": False} if name in ("googlenet", "inception_v3") else {}
    model = getattr(torchvision.models, name)(**kwargs)
    path = export(model, tmp_path / f"{name}.pt2", torch.randn(1, 3, size, size))
    same_report(model, path, (1, 3, size, size))


def test_weights_are_the_files(files):
    torch.manual_seed(0)
    original = Tiny().eval()  # the same seed as the exported one
    loaded = load_pt2(files["tiny"])
    state = loaded.module.state_dict()
    for key, value in original.state_dict().items():
        assert torch.equal(state[key], value), key
    x = torch.randn(1, 3, 32, 32)
    assert torch.allclose(loaded.module(x), original(x), atol=1e-6)
    assert type(loaded.module.get_submodule("features.0")) is nn.Conv2d


def test_static_shapes_are_kept(tmp_path):
    path = export(Tiny(), tmp_path / "b3.pt2", torch.randn(3, 3, 40, 48))
    assert load_pt2(path).input_shapes == [(3, 3, 40, 48)]
    assert analyze(str(path)).input_shape == [3, 3, 40, 48]


# --- commands ---------------------------------------------------------------------------------------------


def test_summary_rows_named_as_the_zoo_model(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("CNNSCOPE_CACHE", "0")
    path = export(torchvision.models.resnet18(), tmp_path / "resnet18.pt2", torch.randn(1, 3, 224, 224))
    code, out, err = run_cli("summary", path, "--format", "json")
    assert code == 0, err
    code, zoo, err = run_cli("summary", "resnet18", "--format", "json")
    assert code == 0, err
    got, expected = json.loads(out), json.loads(zoo)
    assert [r["name"] for r in got["layers"]] == [r["name"] for r in expected["layers"]]
    assert "layer1.0.conv1" in [r["name"] for r in got["layers"]]
    assert got["totals"]["params"] == expected["totals"]["params"] and got["totals"]["macs"] == expected["totals"]["macs"]


def test_commands_take_a_pt2(run_cli, files, tmp_path):
    from PIL import Image

    Image.new("RGB", (40, 40), (120, 30, 200)).save(tmp_path / "image.png")
    tiny = files["tiny"]
    for args in (("rf", tiny), ("graph", tiny, "-o", tmp_path / "g.dot"), ("filters", tiny, "-o", tmp_path / "f.png"),
                 ("features", tiny, "--layer", "features.2", "--image", tmp_path / "image.png", "-o", tmp_path / "m.png"),
                 ("explain", tiny, "--layer", "features.0"), ("compare", tiny, "resnet18")):
        code, out, err = run_cli(*args)
        assert code == 0, (args, err)
    code, out, _ = run_cli("filters", tiny, "-o", tmp_path / "f2.png")
    assert "weights: the weights in tiny.pt2" in out  # the file's own weights, not a random draw


def test_two_inputs(run_cli, files, tmp_path):
    report = analyze(str(files["two"]))
    assert report.input_shape == [[1, 3, 16, 16], [1, 3, 16, 16]]
    assert report.totals.macs == 2 * (4 * 3 * 9 * 14 * 14)  # two 3×3 convs, 3→4 channels, 14×14 outputs
    code, _, err = run_cli("explain", files["two"], "--layer", "a")
    run_cli.assert_one_line_error(code, err, "takes 2 inputs")


def test_a_rewritten_file_is_read_again(run_cli, tmp_path):
    """A .pt2 is never answered from the report cache (only zoo names are): same path, new model."""
    path = tmp_path / "model.pt2"
    results = []
    for channels in (8, 16):
        export(nn.Sequential(nn.Conv2d(3, channels, 3)), path, torch.randn(1, 3, 8, 8))
        code, out, err = run_cli("summary", path, "--format", "json")
        assert code == 0, err
        results.append(json.loads(out)["totals"]["params"])
    assert results == [8 * 27 + 8, 16 * 27 + 16]


# --- bad files: one line, nothing run ---------------------------------------------------------------------


def test_sample_inputs_that_run_code_are_refused(run_cli, files, tmp_path):
    marker = tmp_path / "marker"
    evil = rewritten(files["tiny"], tmp_path / "evil.pt2",
                     {"data/sample_inputs/model.pt": pickle.dumps(_WritesMarker(marker))})
    assert torch_load_runs_it(evil, marker), "torch.export.load should run this file's pickle"
    marker.unlink()
    code, _, err = run_cli("summary", evil)
    run_cli.assert_one_line_error(code, err, "example inputs are not only tensors", "weights_only=True")
    assert not marker.exists()


def test_pickled_weights_are_refused(files, tmp_path):
    marker = tmp_path / "marker"
    with zipfile.ZipFile(files["tiny"]) as archive:
        root = archive.namelist()[0].split("/", 1)[0]
        config = json.loads(archive.read(f"{root}/data/weights/model_weights_config.json"))
    first = next(iter(config["config"].values()))
    first["use_pickle"] = True
    evil = rewritten(files["tiny"], tmp_path / "evil.pt2", {
        "data/weights/model_weights_config.json": json.dumps(config).encode(),
        f"data/weights/{first['path_name']}": pickle.dumps(_WritesMarker(marker))})
    assert torch_load_runs_it(evil, marker)
    marker.unlink()
    with pytest.raises(InputError, match="pickled tensor subclass"):
        load_pt2(evil)
    assert not marker.exists()


def test_pickled_constants_are_refused(files, tmp_path):
    marker = tmp_path / "marker"
    config = {"config": {"thing": {"path_name": "opaque_obj_0", "is_param": False, "use_pickle": True,
                                   "tensor_meta": None}}}
    evil = rewritten(files["tiny"], tmp_path / "evil.pt2", {
        "data/constants/model_constants_config.json": json.dumps(config).encode()},
        {"data/constants/opaque_obj_0": pickle.dumps(_WritesMarker(marker))})
    assert torch_load_runs_it(evil, marker)
    marker.unlink()
    with pytest.raises(InputError, match="a pickled Python object") as error:
        load_pt2(evil)
    assert "\n" not in str(error.value) and not marker.exists()


def test_code_in_a_symbolic_size_is_refused(files, tmp_path):
    """sympy.sympify evaluates the expressions torch.export stores for symbolic sizes."""
    marker = tmp_path / "marker"
    dynamic = export(Tiny(), tmp_path / "dynamic.pt2", torch.randn(2, 3, 32, 32), batch_dim=True)
    text = json.dumps(program_json(dynamic))
    assert "Symbol(" in text
    attack = f"__import__('builtins').exec(\\\"open({str(marker)!r}, 'w').write('ran')\\\")"
    start = text.index('"expr_str": "') + len('"expr_str": "')
    end = text.index('"', start)
    evil = rewritten(dynamic, tmp_path / "evil.pt2", {"models/model.json": (text[:start] + attack + text[end:]).encode()})
    assert torch_load_runs_it(evil, marker)
    marker.unlink()
    with pytest.raises(InputError, match="not a plain expression"):
        load_pt2(evil)
    assert not marker.exists()


def test_a_call_outside_aten_is_refused(files, tmp_path):
    data = program_json(files["tiny"])
    data["graph_module"]["graph"]["nodes"][0]["target"] = "torch.os.system"
    evil = rewritten(files["tiny"], tmp_path / "evil.pt2", {"models/model.json": json.dumps(data).encode()})
    with pytest.raises(InputError, match="the graph calls 'torch.os.system', which is not an ATen operator"):
        load_pt2(evil)


def test_a_newer_schema_names_its_version(run_cli, files, tmp_path):
    data = program_json(files["tiny"])
    data["schema_version"] = {"major": 99, "minor": 3}
    newer = rewritten(files["tiny"], tmp_path / "newer.pt2", {"models/model.json": json.dumps(data).encode()})
    code, _, err = run_cli("summary", newer)
    run_cli.assert_one_line_error(code, err, "a newer torch.export (serialized schema version 99.3)",
                                  f"torch {torch.__version__} reads version")


def test_a_newer_archive_version_names_it(run_cli, files, tmp_path):
    newer = rewritten(files["tiny"], tmp_path / "newer.pt2", {"archive_version": b"7"})
    code, _, err = run_cli("summary", newer)
    run_cli.assert_one_line_error(code, err, ".pt2 archive version 7")


def test_truncated_file(run_cli, files, tmp_path):
    data = files["tiny"].read_bytes()
    cut = tmp_path / "cut.pt2"
    cut.write_bytes(data[: len(data) // 2])
    code, _, err = run_cli("summary", cut)
    run_cli.assert_one_line_error(code, err, "not a .pt2 archive")


def test_a_zip_that_is_not_a_pt2(run_cli, tmp_path):
    path = tmp_path / "other.pt2"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes/readme.txt", "hello")
    code, _, err = run_cli("summary", path)
    run_cli.assert_one_line_error(code, err, "without torch.export.save's layout")
    torch.save({"w": torch.zeros(2)}, tmp_path / "weights.pt2")  # a torch.save zip, named .pt2
    code, _, err = run_cli("summary", tmp_path / "weights.pt2")
    run_cli.assert_one_line_error(code, err, "not a .pt2 archive but a torch.save file")


def test_older_layouts_that_pickle_are_refused(files, tmp_path):
    old = tmp_path / "old.pt2"  # torch 2.7's layout: the program as JSON beside pickled weights
    with zipfile.ZipFile(old, "w") as archive:
        archive.writestr("old/serialized_exported_program.json", "{}")
        archive.writestr("old/serialized_state_dict.pt", b"")
        archive.writestr("old/version", "8.0")
    with pytest.raises(InputError, match="layout of torch 2.7 or older"):
        load_pt2(old)
    legacy = rewritten(files["tiny"], tmp_path / "legacy.pt2", add={"data/weights/model.pt": b"pickle"})
    with pytest.raises(InputError, match="its weights are one pickle"):
        load_pt2(legacy)


def test_empty_and_missing_files(run_cli, tmp_path):
    (tmp_path / "empty.pt2").write_bytes(b"")
    code, _, err = run_cli("summary", tmp_path / "empty.pt2")
    run_cli.assert_one_line_error(code, err, "the file is empty")
    code, _, err = run_cli("summary", tmp_path / "missing.pt2")
    run_cli.assert_one_line_error(code, err, "no such .pt2 file")
