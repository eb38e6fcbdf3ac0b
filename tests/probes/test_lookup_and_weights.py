"""Layer lookup in real models and the one weights loader: one-line errors, checks before loading."""

import pytest
import torch
from torch import nn

from cnnscope.errors import LayerNotFoundError, UsageError, WeightsError
from cnnscope.probes.activations import capture, conv_weight
from cnnscope.probes.lookup import module_named
from cnnscope.weights import check_weights, load_state_dict, load_weights, read_weights_file


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 2, 3), nn.Flatten(), nn.Linear(8, 3))


class Named(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.flatten = nn.Flatten()

    def forward(self, x):
        return self.flatten(self.conv(x))


def test_module_lookup_suggests_among_the_kinds_asked_for():
    model = _net()
    assert module_named(model, "2") is model[2]
    with pytest.raises(LayerNotFoundError) as caught:
        module_named(model, "3x", suggest=lambda module: isinstance(module, nn.Conv2d))
    assert str(caught.value) == "no layer named '3x' in this model"  # '3' is no convolution
    with pytest.raises(UsageError, match=r"no layer named '20' in this model; did you mean 2, 0\?"):
        conv_weight(model, "20")


def test_a_traced_row_that_is_absent_suggests_the_row_names():
    with pytest.raises(LayerNotFoundError, match="did you mean"):
        capture(Named(), torch.rand(1, 1, 6, 6), "flaten")


def test_weights_are_checked_then_loaded_and_described(tmp_path):
    source, target = _net(), nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 2, 3), nn.Flatten(),
                                           nn.Linear(8, 3))
    path = tmp_path / "w.pt"
    torch.save({"model_state_dict": {f"module.{k}": v for k, v in source.state_dict().items()}}, path)
    assert load_weights(target, path) == "checkpoint w.pt"
    assert all(torch.equal(a, b) for a, b in zip(source.state_dict().values(), target.state_dict().values()))
    assert set(load_state_dict(path)) == set(source.state_dict())
    with torch.device("meta"):
        check_weights(_net(), path)  # keys and shapes only: a meta model will do


def test_weights_that_do_not_fit_leave_the_model_untouched(tmp_path):
    path = tmp_path / "bad.pt"
    torch.save({"0.weight": torch.zeros(2, 1, 5, 5)}, path)
    model = _net()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(WeightsError, match=r"upload\.pt do not fit the model: missing keys: .*shape mismatches: "
                                           r"0\.weight \(2, 1, 5, 5\) vs model \(2, 1, 3, 3\)"):
        load_weights(model, path, source="upload.pt")
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_missing_and_unreadable_files_are_named_as_what_they_were_meant_to_be(tmp_path):
    with pytest.raises(WeightsError, match="no such checkpoint"):
        read_weights_file(tmp_path / "absent.pt", what="checkpoint")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a pickle at all")
    with pytest.raises(WeightsError, match="junk.pt: not a readable PyTorch weights file"):
        read_weights_file(junk)


@pytest.mark.parametrize("content", [bytes(range(256)) * 20, __import__("pickle").dumps({"a": 1}, protocol=4)])
def test_an_unreadable_file_is_one_plain_line_without_torchs_advice_to_load_it_unsafely(tmp_path, content):
    path = tmp_path / "upload.pt"
    path.write_bytes(content)
    with pytest.raises(WeightsError) as caught:
        read_weights_file(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"{path}: not a readable PyTorch weights file: ")
    assert "weights_only" not in message and "False" not in message, message  # never "retry unsafely"
    assert message.endswith("save model.state_dict() with torch.save")


def test_an_empty_file_says_it_is_empty(tmp_path):
    path = tmp_path / "upload.pt"
    path.write_bytes(b"")
    with pytest.raises(WeightsError, match=r"upload.pt: the file is empty \(0 bytes\), not a PyTorch weights file$"):
        read_weights_file(path)
