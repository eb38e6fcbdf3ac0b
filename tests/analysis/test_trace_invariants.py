"""analyze() leaves the model as it found it, handles real modules, several inputs and outputs."""

import pytest
import torch
from torch import nn

import cnnscope
from cnnscope.errors import ShapeError


def _state(model):
    return {
        "training": [m.training for m in model.modules()],
        "hooks": [(len(m._forward_hooks), len(m._forward_pre_hooks)) for m in model.modules()],
        "devices": {n: t.device.type for n, t in model.state_dict().items()},
        "requires_grad": [p.requires_grad for p in model.parameters()],
        "values": {n: t.clone() for n, t in model.state_dict().items()},
    }


def test_model_is_left_exactly_as_found():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Dropout(0.5), nn.Flatten())
    model.train()
    model[0].weight.requires_grad_(False)
    model[1].register_forward_hook(lambda *a: None)
    before = _state(model)
    report = cnnscope.analyze(model, (2, 3, 8, 8))
    after = _state(model)
    assert before["training"] == after["training"] and all(after["training"])
    assert before["hooks"] == after["hooks"]
    assert before["devices"] == after["devices"] == {k: "cpu" for k in before["devices"]}
    assert before["requires_grad"] == after["requires_grad"]
    for key, value in before["values"].items():
        assert torch.equal(value, after["values"][key]), key  # BatchNorm statistics untouched
    assert report.traced_on == "meta"


def test_training_flag_kept_when_model_is_in_eval():
    model = nn.Sequential(nn.Linear(3, 3)).eval()
    cnnscope.analyze(model, (1, 3))
    assert not model.training


def test_trace_failure_still_restores_the_model():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Linear(10, 2)).train()
    model[0].register_forward_hook(lambda *a: None)
    before = _state(model)
    # the Linear acts on the last axis: 8 − 3 + 1 = 6 features, not 10
    with pytest.raises(ShapeError, match=r"layer 1 \(Linear\) expects 10 input features but receives 6"):
        cnnscope.analyze(model, (1, 3, 8, 8))
    after = _state(model)
    assert after["training"] == before["training"] == [True, True, True]
    assert after["hooks"] == before["hooks"] == [(0, 0), (1, 0), (0, 0)]  # the user's hook only
    assert after["devices"] == before["devices"] and after["requires_grad"] == before["requires_grad"]


class TwoInTwoOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.image = nn.Conv2d(3, 4, 3, padding=1)
        self.meta = nn.Linear(5, 4)

    def forward(self, image, extra):
        features = self.image(image).mean(dim=(2, 3))
        return features + self.meta(extra), features


def test_several_inputs_and_outputs():
    r = cnnscope.analyze(TwoInTwoOut(), [(2, 3, 6, 6), (2, 5)])
    assert r.input_shape == [[2, 3, 6, 6], [2, 5]]
    assert r.output_shape == [[2, 4], [2, 4]]
    assert r.layer("image").inputs == [-1]
    assert r.layer("meta").inputs == [-2]
    add = r.layer("add")
    assert sorted(add.inputs) == sorted([r.layer("mean").index, r.layer("meta").index])


class DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        if x.sum().item() > 1e9:  # needs real values: impossible on the meta device
            return x
        return self.fc(x)


def test_models_that_need_real_values_are_traced_on_cpu_and_say_so():
    r = cnnscope.analyze(DataDependent(), (1, 4))
    assert r.traced_on == "cpu"
    assert any(d.code == "traced-on-cpu" for d in r.diagnostics)
    assert r.totals.macs == 16


def test_report_round_trips_through_json():
    import json

    from cnnscope.report import ModelReport

    r = cnnscope.analyze("resnet_mini")
    data = json.loads(json.dumps(r.to_dict()))
    assert ModelReport.from_dict(data) == r
    assert list(data)[0] == "schema_version"


def test_shape_errors_name_the_layer():
    import pytest

    from cnnscope.errors import ShapeError

    with pytest.raises(ShapeError, match=r"layer 0 \(Conv2d\) expects 1 input channels but receives 3"):
        cnnscope.analyze("lenet5", (1, 3, 28, 28))
    with pytest.raises(ShapeError, match=r"features\.30 \(MaxPool2d\).*floor\(\(1 \+ 2·0 − 1·\(2−1\) − 1\) / 2\) \+ 1 = 0"
                       r".*smallest square input that fits is 32×32"):
        cnnscope.analyze("vgg16", (1, 3, 16, 16))
    with pytest.raises(ShapeError, match=r"fc1 \(Linear\) expects 2000 input features but receives 2880 \(20×12×12"):
        cnnscope.analyze("tutorial_cnn", (1, 1, 32, 32))


def test_cpu_fallback_for_a_file_model_reports_its_own_parameters(tmp_path):
    path = tmp_path / "dd.py"
    path.write_text(
        "import torch\nfrom torch import nn\n\n"
        "class DataDependent(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 4)\n\n"
        "    def forward(self, x):\n        return x if x.sum().item() > 1e9 else self.fc(x)\n")
    report = cnnscope.analyze(f"{path}:DataDependent", (1, 4))
    assert report.traced_on == "cpu" and report.totals.params == 20
    assert not any(d.code == "unused-parameters" for d in report.diagnostics)


def test_weights_used_functionally_are_not_reported_unused():
    # ViT's attention passes out_proj's weights to F.multi_head_attention_forward without calling out_proj.
    assert not any(d.code == "unused-parameters" for d in cnnscope.analyze("vit_b_16").diagnostics)


class CalledTwiceBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv(x))


class Twice(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = CalledTwiceBlock()

    def forward(self, x):
        return self.block(self.block(x))


def test_a_block_called_twice_repeats_its_row_names_with_the_call_index():
    report = cnnscope.analyze(Twice(), (1, 2, 5, 5))
    relus = [(r.name, r.call) for r in report.layers if r.type == "relu"]
    assert relus == [("block.relu", 0), ("block.relu", 1)]


def test_unbatched_input_gets_a_clear_message():
    import pytest

    from cnnscope.errors import ShapeError

    with pytest.raises(ShapeError, match="is the batch dimension missing"):
        cnnscope.analyze("resnet18", (3, 224, 224))
