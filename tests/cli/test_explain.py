"""``cnnscope explain``: one unit's arithmetic from the command line, in every output form, on the
inputs a user hands in (a picture, digits:N, x.pt, x.npy) and the weights they have (--weights, --run)."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from cnnscope.sources import load_model


def _json(run_cli, *argv):
    code, out, err = run_cli("explain", *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def _lenet():
    return load_model("lenet5", device="cpu", seed=0).module.eval()


def test_json_has_the_documented_keys_and_the_model_value(run_cli, tmp_path):
    x = torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(3))
    torch.save(x, tmp_path / "x.pt")
    doc = _json(run_cli, "lenet5", "--layer", "0", "--unit", "4,10,3", "--image", tmp_path / "x.pt", "--top", "5")
    for key in ("layer", "unit", "kind", "value", "sum", "bias", "terms", "field", "top"):
        assert key in doc
    assert doc["unit"] == [4, 10, 3] and doc["kind"] == "conv" and doc["terms"] == 25
    with torch.no_grad():  # the model itself, on the same tensor (used exactly as it is)
        expected = _lenet()[0](x)[0, 4, 10, 3].item()
    assert doc["value"] == pytest.approx(expected, abs=1e-7)
    assert doc["sum"] == pytest.approx(expected, abs=1e-5)
    # LeNet-5's first conv: 5×5, padding 2, stride 1 -> unit (10, 3) reads rows 8..12, columns 1..5
    assert doc["field"] == [[8, 12], [1, 5]]
    products = [t["product"] for t in doc["top"]]
    assert len(products) == 5 and products == sorted(products, key=abs, reverse=True)
    assert sum(products) + doc["rest"]["sum"] + doc["bias"] == pytest.approx(doc["sum"], abs=1e-12)
    top = doc["top"][0]
    assert top["input"] == pytest.approx(x[0, 0, top["at"][0], top["at"][1]].item(), abs=1e-7)
    assert top["weight"] == pytest.approx(_lenet()[0].weight[4, 0, top["ky"], top["kx"]].item(), abs=1e-7)
    assert doc["check"]["ok"] is True


def test_a_npy_input_is_used_as_it_is(run_cli, tmp_path):
    array = np.random.default_rng(0).normal(size=(1, 28, 28)).astype(np.float32)
    np.save(tmp_path / "x.npy", array)
    doc = _json(run_cli, "lenet5", "--layer", "2", "--unit", "1,6,6", "--image", tmp_path / "x.npy")
    with torch.no_grad():
        model = _lenet()
        expected = model[:3](torch.from_numpy(array)[None])[0, 1, 6, 6].item()
    assert doc["kind"] == "avg_pool" and doc["value"] == pytest.approx(expected, abs=1e-7)
    assert doc["details"]["divisor"] == 4 and len(doc["details"]["window"]) == 4


def test_text_shows_every_product_of_a_small_kernel_and_the_check(run_cli):
    code, out, _ = run_cli("explain", "lenet5", "--unit", "2,12,12", "--image", "digits:17")
    assert code == 0
    assert "layer 0 (conv2d, output 6×28×28) · unit 2,12,12 =" in out
    assert "input channel 0: input × weight = product" in out
    assert "receptive field: y 10..14, x 10..14 (input pixels)" in out
    assert "equals the model's value" in out and "within its rounding" in out and "the other 15 terms sum to" in out


def test_follow_goes_from_the_first_conv_to_the_class_probabilities(run_cli):
    docs = _json(run_cli, "lenet5", "--unit", "0,14,14", "--follow", "20")
    kinds = [d["kind"] for d in docs]
    assert kinds[:3] == ["conv", "activation", "avg_pool"] and kinds[-1] == "linear"
    assert docs[2]["unit"] == [0, 7, 7]  # the 2×2 pool window that holds (14, 14)
    probabilities = docs[-1]["details"]["softmax"]
    assert len(probabilities) == 10 and sum(p["probability"] for p in probabilities) == pytest.approx(1.0)
    assert docs[-1]["unit"][0] == max(probabilities, key=lambda p: p["probability"])["class"]
    assert all(d["check"]["ok"] for d in docs)


def test_pictures_and_pages(run_cli, tmp_path):
    for name in ("unit.png", "unit.html", "unit.json", "unit.txt"):
        code, out, err = run_cli("explain", "lenet5", "--unit", "1,3,3", "-o", tmp_path / name)
        assert code == 0, err
        assert out.startswith(f"wrote {tmp_path / name}: lenet5 · layer 0 · unit 1,3,3 = ")
    assert Image.open(tmp_path / "unit.png").size[0] > 600
    page = (tmp_path / "unit.html").read_text()
    assert "data:image/png;base64," in page and "<script" not in page
    assert json.loads((tmp_path / "unit.json").read_text())["unit"] == [1, 3, 3]
    assert "unit 1,3,3" in (tmp_path / "unit.txt").read_text()


def test_a_training_run_is_explained_with_its_own_input_pipeline(run_cli, tmp_path):
    code, _, err = run_cli("train", "lenet5", "--epochs", "1", "--out", tmp_path / "run")
    assert code == 0, err
    doc = _json(run_cli, "--run", tmp_path / "run", "--image", "digits:17", "--layer", "11", "--unit", "7")
    from cnnscope.train.adapt import InputAdapter
    from cnnscope.train.checkpoint import load_checkpoint, rebuild_model
    from cnnscope.train.datasets import load_digits

    file = tmp_path / "run" / ("best.pt" if (tmp_path / "run" / "best.pt").exists() else "model.pt")
    checkpoint = load_checkpoint(file)
    norm = checkpoint.config["normalization"]
    x = InputAdapter(1, (1, 28, 28), scale=16.0, mean=tuple(norm["mean"]), std=tuple(norm["std"]))(
        load_digits().images[17][None])
    with torch.no_grad():
        logits = rebuild_model(checkpoint)(x)[0]
    assert doc["value"] == pytest.approx(logits[7].item(), abs=1e-6)
    names = [p["name"] for p in doc["details"]["softmax"]]
    assert names == [str(d) for d in range(10)]
    assert doc["weights"].startswith(str(file))


def test_arithmetic_is_reached_through_explain(run_cli):
    code, out, _ = run_cli("explain", "--arithmetic", "--size", "5", "--kernel", "3", "--padding", "1")
    assert code == 0 and "= 5" in out
