"""studies.diff: the alignment of two architectures, checked against the models themselves (parameter
counts from torch, window arithmetic by hand), never against the diff's own rendering."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from cnnscope.studies.diff import ADDED, CHANGED, REMOVED, SAME, Block, Entry, Unchanged, diff_reports


def _numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_resnet18_against_resnet34_lists_the_added_blocks_and_the_totals_change(analyze):
    from torchvision.models import resnet18, resnet34

    diff = diff_reports(analyze("resnet18"), analyze("resnet34"), "resnet18", "resnet34")
    blocks = [line for line in diff.lines() if isinstance(line, Block)]
    assert [(b.status, b.name, b.type, len(b.entries)) for b in blocks] == [
        (ADDED, name, "BasicBlock", 7)  # conv, bn, relu, conv, bn, add, relu
        for name in ("layer1.2", "layer2.2", "layer2.3", "layer3.2", "layer3.3", "layer3.4", "layer3.5", "layer4.2")]
    with torch.device("meta"):
        small, big = resnet18(), resnet34()
    # each added block holds what torch counts in that block of resnet34
    for block in blocks:
        assert block.params == _numel(big.get_submodule(block.name))
    assert diff.count(REMOVED) == diff.count(CHANGED) == 0
    assert diff.count(ADDED) == 8 * 7 and diff.count(SAME) == diff.a.rows == 69
    totals = {name: (a, b, d) for name, a, b, d in diff.totals()}
    assert totals["params"] == (_numel(small), _numel(big), _numel(big) - _numel(small))
    assert totals["params"][2] == 10_108_160
    assert not diff.identical


def test_an_architecture_against_itself_is_identical(analyze):
    diff = diff_reports(analyze("resnet18"), analyze("resnet18"))
    assert diff.identical and diff.count(SAME) == 69 and diff.notes == []
    assert all(d == 0 for name, _, _, d in diff.totals())
    assert [type(line) for line in diff.lines()] == [Unchanged]


def test_timm_and_torchvision_resnet50_are_the_same_architecture_under_other_names(analyze):
    pytest.importorskip("timm")
    diff = diff_reports(analyze("timm:resnet50"), analyze("resnet50"), "timm:resnet50", "resnet50")
    assert diff.identical
    # timm's blocks hold Identity modules where a feature is off (drop_block, aa, drop_path): left out, said
    assert diff.a.left_out == 32 and "32 Identity rows left out" in diff.notes[0]
    renamed = [e for e in diff.entries if e.a.name != e.b.name]
    assert ("act1", "relu") in [(e.a.name, e.b.name) for e in renamed]


def test_a_norm_whose_container_holds_its_weights_lines_up_with_nn_batchnorm(analyze):
    """timm's BatchNormAct2d calls F.batch_norm on its own weights (the report counts them on the container):
    against torchvision's nn.BatchNorm2d rows every norm is the same row; what differs is real: the 16
    squeeze-excitations pool with x.mean instead of AdaptiveAvgPool2d, and torchvision's StochasticDepth rows
    (inactive in eval) and classifier Dropout have no counterpart."""
    pytest.importorskip("timm")
    from torchvision.models import efficientnet_b0
    from torchvision.ops import SqueezeExcitation

    diff = diff_reports(analyze("efficientnet_b0"), analyze("timm:efficientnet_b0"))
    with torch.device("meta"):
        model = efficientnet_b0()
    norms = [e for e in diff.entries if e.a and e.a.type == "BatchNorm2d"]
    assert len(norms) == sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 49
    assert all(e.status == SAME and e.b.type == "batch_norm" for e in norms)
    changed = [e for e in diff.entries if e.status == CHANGED]
    assert len(changed) == sum(isinstance(m, SqueezeExcitation) for m in model.modules())
    assert {(e.a.type, e.b.type) for e in changed} == {("AdaptiveAvgPool2d", "mean")}
    assert {e.a.type for e in diff.entries if e.status == REMOVED} == {"StochasticDepth", "Dropout"}
    assert not diff.count(ADDED) and diff.a.params == diff.b.params


def _stem(kernel: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, kernel, padding=kernel // 2), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())


def test_a_kernel_that_grew_is_one_changed_row_with_hand_computed_numbers(analyze):
    diff = diff_reports(analyze(_stem(3), (1, 3, 16, 16)), analyze(_stem(5), (1, 3, 16, 16)))
    changed = [e for e in diff.entries if e.status == CHANGED]
    assert len(changed) == 1 and diff.count(SAME) == 4 and not diff.count(ADDED) and not diff.count(REMOVED)
    first = changed[0]
    assert first.a.name == first.b.name == "0"
    assert first.changes["kernel_size"] == ([3, 3], [5, 5])
    assert first.changes["padding"] == ([1, 1], [2, 2])
    assert first.changes["params"] == (3 * 8 * 9 + 8, 3 * 8 * 25 + 8)
    assert first.changes["macs"] == (8 * 16 * 16 * 3 * 9, 8 * 16 * 16 * 3 * 25)
    assert first.changes["rf"] == ([3, 3], [5, 5])
    # downstream the fields widen by 2 too (the later conv sees 5 → 7), but the row itself is the same
    later = [e for e in diff.entries if e.a.name == "3"][0]
    assert later.status == SAME and (later.a.rf, later.b.rf) == ([5, 5], [7, 7])


def test_batch_norm_folded_into_the_conv_shows_as_a_removed_row_and_a_changed_conv(analyze):
    """What an exporter does: the BN's scale and shift go into the conv, which gains a bias."""
    plain = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU())
    folded = nn.Sequential(nn.Conv2d(3, 8, 3, bias=True), nn.ReLU())
    diff = diff_reports(analyze(plain, (1, 3, 8, 8)), analyze(folded, (1, 3, 8, 8)))
    assert [(e.status, e.a and e.a.type, e.b and e.b.type) for e in diff.entries] == [
        (CHANGED, "Conv2d", "Conv2d"), (REMOVED, "BatchNorm2d", None), (SAME, "ReLU", "ReLU")]
    assert diff.entries[0].changes == {"params": (3 * 8 * 9, 3 * 8 * 9 + 8)}
    assert diff.a.params - diff.b.params == 2 * 8 - 8  # BN's weight and bias, less the conv's new bias


class _Named(nn.Module):
    def __init__(self, names: tuple[str, str]):
        super().__init__()
        self.add_module(names[0], nn.Conv2d(1, 4, 3))
        self.add_module(names[1], nn.ReLU())
        self.names = names

    def forward(self, x):
        return getattr(self, self.names[1])(getattr(self, self.names[0])(x))


def test_rows_named_otherwise_are_aligned_by_what_they_do(analyze):
    diff = diff_reports(analyze(_Named(("conv", "act")), (1, 1, 8, 8)),
                        analyze(_Named(("stem", "relu")), (1, 1, 8, 8)))
    assert diff.identical
    assert [(e.a.name, e.b.name) for e in diff.entries] == [("conv", "stem"), ("act", "relu")]


def test_a_row_of_another_kind_in_the_same_place_is_changed_and_a_longer_stretch_added(analyze):
    a = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten())
    b = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Tanh(), nn.Flatten())
    diff = diff_reports(analyze(a, (1, 1, 8, 8)), analyze(b, (1, 1, 8, 8)))
    assert [e.status for e in diff.entries] == [SAME, CHANGED, SAME]
    assert diff.entries[1].changes == {"kind": ("pointwise:relu", "pointwise:tanh")}
    c = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Tanh(), nn.Sigmoid(), nn.Flatten())
    diff = diff_reports(analyze(a, (1, 1, 8, 8)), analyze(c, (1, 1, 8, 8)))
    assert [e.status for e in diff.entries] == [SAME, REMOVED, ADDED, ADDED, SAME]


def test_every_row_appears_once_in_order_and_the_lines_cover_the_entries(analyze):
    a, b = analyze("resnet18"), analyze("resnet34")
    diff = diff_reports(a, b)
    assert [e.a.index for e in diff.entries if e.a] == [r.index for r in a.leaves()]
    assert [e.b.index for e in diff.entries if e.b] == [r.index for r in b.leaves()]
    covered = [e for line in diff.lines()
               for e in (line.entries if isinstance(line, (Block, Unchanged)) else [line])]
    assert covered == diff.entries and all(isinstance(e, Entry) for e in covered)


def test_the_dict_is_json_and_says_what_changed(analyze):
    data = json.loads(json.dumps(diff_reports(analyze(_stem(3), (1, 3, 16, 16)),
                                              analyze(_stem(5), (1, 3, 16, 16))).to_dict()))
    assert data["identical"] is False and data["counts"] == {"added": 0, "removed": 0, "changed": 1, "same": 4}
    assert data["rows"][0]["changes"]["kernel_size"] == {"a": [3, 3], "b": [5, 5]}
    assert data["totals"]["params"]["change"] == 3 * 8 * 16


def test_formats_are_named_in_a_note_when_the_sides_differ():
    from cnnscope.studies.diff import source_format

    assert source_format("resnet18") == source_format("net.py:Net") == "PyTorch module"
    assert source_format("exported/Resnet18.ONNX") == "ONNX file"
    assert source_format("resnet18.pt2") == "torch.export file"


# -- across formats: a torch module against its own export ---------------------------------------------------

@pytest.fixture(scope="module")
def resnet18_module():
    from torchvision.models import resnet18

    torch.manual_seed(0)
    return resnet18().eval()


def test_resnet18_against_its_torch_export_is_identical(analyze, resnet18_module, tmp_path):
    exported = torch.export.export(resnet18_module, (torch.randn(1, 3, 224, 224),))
    torch.export.save(exported, tmp_path / "resnet18.pt2")
    diff = diff_reports(analyze("resnet18"), analyze(str(tmp_path / "resnet18.pt2")),
                        "resnet18", str(tmp_path / "resnet18.pt2"))
    assert diff.identical and diff.count(SAME) == 69
    assert diff.notes[0].startswith("the two sides come from different formats: resnet18 is a PyTorch module, ")
    assert "a torch.export file" in diff.notes[0]


def test_resnet18_against_its_onnx_export_shows_the_folded_batch_norms(analyze, resnet18_module, tmp_path):
    """The TorchScript exporter folds every BN into the conv before it, whose bias now holds the shift: the
    BN rows are removed and each of those convs gains out_channels parameters; no MAC changes."""
    pytest.importorskip("onnx")
    path = str(tmp_path / "resnet18.onnx")
    torch.onnx.export(resnet18_module, (torch.randn(1, 3, 224, 224),), path, dynamo=False, opset_version=17)
    diff = diff_reports(analyze("resnet18"), analyze(path), "resnet18", path)
    norms = [name for name, m in resnet18_module.named_modules() if isinstance(m, nn.BatchNorm2d)]
    convs = {name: m for name, m in resnet18_module.named_modules() if isinstance(m, nn.Conv2d)}
    assert [e.a.name for e in diff.entries if e.status == REMOVED] == norms
    assert not diff.count(ADDED)
    changed = [e for e in diff.entries if e.status == CHANGED]
    assert {e.a.name for e in changed} == set(convs)  # every conv of resnet18 is followed by a BN
    for entry in changed:
        conv = convs[entry.a.name]
        assert entry.changes == {"params": (conv.weight.numel(), conv.weight.numel() + conv.out_channels)}
    totals = {name: (a, b, d) for name, a, b, d in diff.totals()}
    assert totals["macs"][2] == 0 and totals["rows"][2] == -len(norms)
    assert totals["params"][2] == sum(c.out_channels for c in convs.values()) - sum(
        _numel(m) for m in resnet18_module.modules() if isinstance(m, nn.BatchNorm2d))
    assert any("ONNX file" in note for note in diff.notes)
