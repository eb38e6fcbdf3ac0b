"""Nothing silent: MACs by operator sum to the total, ops without a formula are listed, modules
never called are listed, and a user's formula changes the total by exactly its count."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import cnnscope


def test_macs_by_operator_sum_to_the_total():
    report = cnnscope.analyze("resnet18")
    by_op = report.totals.macs_by_operator
    assert by_op == {"aten.convolution": 1_813_561_344, "aten.addmm": 512_000}  # conv layers + fc (512·1000)
    assert sum(by_op.values()) == report.totals.macs
    assert report.layer("fc").macs_by_operator == {"aten.addmm": 512_000}
    layer1 = report.layer("layer1")
    assert sum(layer1.macs_by_operator.values()) == layer1.macs
    assert report.to_dict()["totals"]["macs_by_operator"] == by_op and report.uncounted_ops == []


def test_attention_models_break_down_into_mm_and_bmm():
    by_op = cnnscope.analyze("vit_b_16").totals.macs_by_operator
    assert set(by_op) == {"aten.addmm", "aten.bmm", "aten.convolution"}
    assert by_op["aten.convolution"] == 768 * 3 * 16 * 16 * 14 * 14  # the patch embedding


class Spectral(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)

    def forward(self, x):
        return torch.fft.rfft2(self.conv(x)).abs()


def test_an_op_without_a_formula_is_listed():
    report = cnnscope.analyze(Spectral(), (1, 1, 8, 8))
    assert report.uncounted_ops == [{"op": "aten._fft_r2c", "calls": 1, "shapes": [[[1, 2, 6, 6]]], "layers": [""]}]
    assert any(d.code == "uncounted-ops" and "aten._fft_r2c ×1" in d.message for d in report.diagnostics)
    assert report.to_dict()["uncounted_ops"][0]["op"] == "aten._fft_r2c"


def test_an_op_formula_counts_it_and_clears_the_warning():
    before = cnnscope.analyze(Spectral(), (1, 1, 8, 8))
    # A real FFT of n points costs about n·log2(n) butterflies; here a made-up, exact count.
    handle = cnnscope.register_formula(torch.ops.aten._fft_r2c, lambda args, kwargs, out: 1234)
    try:
        after = cnnscope.analyze(Spectral(), (1, 1, 8, 8))
        with pytest.raises(ValueError, match="duplicate"):
            cnnscope.register_formula(torch.ops.aten._fft_r2c, lambda args, kwargs, out: 1)
    finally:
        handle.remove()
    assert after.totals.macs == before.totals.macs + 1234
    assert after.uncounted_ops == [] and after.totals.macs_by_operator["aten._fft_r2c"] == 1234


class Gate(nn.Module):
    """A user's layer: its internals cost 16·4 MACs by matmul, but the user says 1000."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(4, 4))

    def forward(self, x):
        return x @ self.weight


def test_a_module_formula_replaces_the_ops_inside_it():
    model = nn.Sequential(nn.Linear(8, 4), Gate())
    before = cnnscope.analyze(model, (4, 8))
    assert before.layer("1").macs == 4 * 4 * 4
    handle = cnnscope.register_formula(Gate, lambda module, inputs, output: 1000)
    try:
        after = cnnscope.analyze(model, (4, 8))
    finally:
        handle.remove()
    assert after.layer("1").macs == 1000
    assert after.totals.macs == before.totals.macs - 64 + 1000
    assert after.totals.macs_by_operator["formula:Gate"] == 1000
    with pytest.raises(TypeError, match="ATen operator or an nn.Module class"):
        cnnscope.register_formula("conv2d", lambda *a: 0)


def test_modules_never_called_are_listed():
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.used = nn.Conv2d(1, 2, 3)
            self.spare = nn.Sequential(nn.Conv2d(2, 2, 3), nn.ReLU())
            self.dropout = nn.Dropout()

        def forward(self, x):
            return self.used(x)

    report = cnnscope.analyze(Branchy(), (1, 1, 8, 8))
    message = next(d.message for d in report.diagnostics if d.code == "uncalled-modules")
    assert message == "modules never called in this forward: spare, dropout"
    aux = next(d.message for d in cnnscope.analyze("inception_v3").diagnostics if d.code == "uncalled-modules")
    assert aux == "modules never called in this forward: AuxLogits"


def test_attention_projections_used_directly_are_not_uncalled():
    assert not any(d.code == "uncalled-modules" for d in cnnscope.analyze("vit_b_16").diagnostics)


def test_training_mode_calls_the_auxiliary_head_and_restores_the_model():
    shape = (2, 3, 299, 299)  # batch norm in training mode needs two values per channel
    evaluated = cnnscope.analyze("inception_v3", shape)
    trained = cnnscope.analyze("inception_v3", shape, mode="train")
    # AuxLogits per image: 1×1 conv 768→128 on 5×5 (2,457,600) + 5×5 conv 128→768 (2,457,600) + fc 768→1000
    assert trained.layer("AuxLogits").macs == 2 * (2_457_600 + 2_457_600 + 768_000)
    assert trained.totals.macs - evaluated.totals.macs == 11_366_400
    assert trained.mode == "train" and evaluated.mode == "eval"
    assert not any(d.code == "uncalled-modules" for d in trained.diagnostics)

    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Dropout(0.5)).eval()
    running = model[1].running_mean.clone()
    cnnscope.analyze(model, (2, 3, 8, 8), device="cpu", mode="train")
    assert not model.training and not model[1].training
    assert torch.equal(model[1].running_mean, running) and int(model[1].num_batches_tracked) == 0


def test_training_mode_at_the_natural_batch_traces_at_batch_two(run_cli):
    """inception_v3's auxiliary head pools to 1×1 before a batch norm: at batch 1 it would see one value
    per channel, which training mode refuses.  The user asked for train mode, not a batch size."""
    report = cnnscope.analyze("inception_v3", mode="train")
    assert report.input_shape == [2, 3, 299, 299] and report.mode == "train"
    (note,) = [d for d in report.diagnostics if d.code == "train-batch-2"]
    assert note.layer == "AuxLogits.conv1.bn" and "batch 2" in note.message
    # the same model at an explicit batch of 2: the same numbers, and no diagnostic
    explicit = cnnscope.analyze("inception_v3", (2, 3, 299, 299), mode="train")
    assert explicit.totals == report.totals and not [d for d in explicit.diagnostics if d.code == "train-batch-2"]
    # --input still wins: an explicit batch of 1 is refused with the way out
    code, out, err = run_cli("summary", "inception_v3", "--mode", "train", "--input", "1,3,299,299")
    run_cli.assert_one_line_error(code, err, "in training mode batch norm needs a batch of 2 or more, e.g. 2,3,299,299")


def test_training_mode_googlenet_with_its_auxiliary_heads():
    """The zoo's googlenet is its DEFAULT weights' configuration (no aux heads, as num_params
    counts); built with aux_logits=True, training mode calls them and eval mode does not."""
    model = cnnscope.build_model("googlenet", device="meta", aux_logits=True).eval()
    evaluated = cnnscope.analyze(model, (2, 3, 224, 224))
    trained = cnnscope.analyze(model, (2, 3, 224, 224), mode="train")
    # aux1 per image: 1×1 conv 512→128 on 4×4 (1,048,576) + fc 2048→1024 (2,097,152) + fc 1024→1000 (1,024,000)
    assert trained.layer("aux1").macs == 2 * (16 * 128 * 512 + 2048 * 1024 + 1024 * 1000)
    # aux2: the same on 528 channels
    assert trained.layer("aux2").macs == 2 * (16 * 128 * 528 + 2048 * 1024 + 1024 * 1000)
    assert trained.totals.macs == evaluated.totals.macs + trained.layer("aux1").macs + trained.layer("aux2").macs
    assert model.aux1 is not None and not model.training
