"""Receptive fields through reductions, stacks and pixel shuffles (held-out cases a new user's
trial found wrong), each checked against an independent oracle: the support of one unit's
input gradient on a real CPU forward pass (no cnnscope code involved)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import cnnscope

SIZE = 32


def gradient_box(model: nn.Module, channels: int, pick) -> list[tuple[int, int]]:
    """(first, last) input coordinate per spatial axis whose value changes ``pick(output)``."""
    torch.manual_seed(0)
    for p in model.parameters():
        nn.init.uniform_(p, 0.01, 0.1)  # small positive weights: no cancellation, no saturated sigmoid
    x = torch.rand(1, channels, SIZE, SIZE, dtype=torch.float64, requires_grad=True)
    pick(model.double()(x)).backward()
    support = x.grad[0].abs().sum(0) > 0
    rows, cols = support.any(1).nonzero().flatten(), support.any(0).nonzero().flatten()
    return [(int(rows[0]), int(rows[-1])), (int(cols[0]), int(cols[-1]))]


def analytic_box(rf, unit: tuple[int, int]) -> list[tuple[int, int]]:
    box = []
    for a in range(2):
        first = rf.start[a] + unit[a] * rf.jump[a]
        box.append((max(0, first), min(SIZE - 1, first + rf.size[a] - 1)))
    return box


class StackMean(nn.Module):
    """``torch.stack([a(x), b(x)]).mean(0)``: the mean runs over the stack axis, not over space."""

    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Conv2d(3, 4, 3, padding=1), nn.Conv2d(3, 4, 1)
        self.head = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return self.head(torch.stack([self.a(x), self.b(x)]).mean(0))


class SpatialAttention(nn.Module):
    """CBAM-style: channel mean and max, a 7×7 conv, a sigmoid gate; then a 3×3 conv and a channel sum."""

    def __init__(self, reduce):
        super().__init__()
        self.reduce = reduce
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.gate = nn.Conv2d(2, 1, 7, padding=3)
        self.head = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        x = self.stem(x)
        mean, peak = self.reduce(x)
        x = x * torch.sigmoid(self.gate(torch.cat([mean, peak], 1)))
        return self.head(x).sum(1)


class AxisMean(nn.Module):
    """A mean over the width only (keepdim): every unit sees the whole row, the height stays local."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.head = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return self.head(self.stem(x).mean(-1, keepdim=True))


REDUCTIONS = {
    "mean-amax keepdim": lambda x: (x.mean(1, keepdim=True), x.amax(1, keepdim=True)),
    "sum-max unsqueezed": lambda x: (x.sum(1).unsqueeze(1), x.max(dim=1)[0].unsqueeze(1)),
    "torch.mean-amin dims": lambda x: (torch.mean(x, dim=[1], keepdim=True), torch.amin(x, 1, True)),
}


def test_stack_then_mean_over_the_stack_axis():
    report = cnnscope.analyze(StackMean(), (1, 3, SIZE, SIZE))
    assert report.layer("mean").rf.size == [3, 3] and not report.layer("mean").rf.is_global
    assert report.layer("head").rf.size == [5, 5]
    assert analytic_box(report.layer("head").rf, (16, 16)) == gradient_box(
        StackMean(), 3, lambda y: y[0, :, 16, 16].sum())


@pytest.mark.parametrize("name", REDUCTIONS)
def test_channel_reductions_keep_the_spatial_field(name):
    model = SpatialAttention(REDUCTIONS[name])
    report = cnnscope.analyze(model, (1, 3, SIZE, SIZE))
    fields = {row.name: row.rf for row in report.layers if row.name}
    assert all(rf is not None and not rf.is_global for rf in fields.values()), fields
    assert fields["gate"].size == [9, 9] and fields["head"].size == [11, 11]
    last = report.layers[-1]  # the channel sum
    assert last.op_kind == "reduction" and last.rf.size == [11, 11]
    assert not [d for d in report.diagnostics if d.code.startswith("rf-")]
    assert analytic_box(last.rf, (16, 16)) == gradient_box(model, 3, lambda y: y[0, 16, 16])


def test_mean_over_one_spatial_axis_is_global_along_it_only():
    report = cnnscope.analyze(AxisMean(), (1, 3, SIZE, SIZE))
    rf = report.layer("head").rf
    assert not rf.is_global
    assert rf.size[0] == 5  # height: 3×3 then 3×3
    assert rf.size[1] >= SIZE  # width: the whole row (and the padding around it)
    assert analytic_box(rf, (16, 0)) == gradient_box(AxisMean(), 3, lambda y: y[0, :, 16, 0].sum())


def test_reduction_over_every_spatial_axis_is_global():
    class Pool(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            return self.stem(x).mean((2, 3))

    assert cnnscope.analyze(Pool(), (1, 3, 16, 16)).layer("mean").rf.is_global


def test_removing_one_spatial_axis_is_said_not_silent():
    class Squash(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            return self.stem(x).amax(2)

    report = cnnscope.analyze(Squash(), (1, 3, 16, 16))
    assert report.layer("amax").rf is None
    assert any(d.code == "rf-untracked" and d.layer == "amax" for d in report.diagnostics)


def test_elementwise_max_with_a_constant_is_not_a_reduction():
    class Clip(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 4, 3)
            self.register_buffer("floor", torch.zeros(1))

        def forward(self, x):
            return torch.max(self.stem(x), self.floor)

    assert cnnscope.analyze(Clip(), (1, 3, 16, 16)).layer("max").rf.size == [3, 3]


class Shuffle(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.up = nn.PixelShuffle(2)
        self.head = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return self.head(self.up(self.stem(x)))


def test_pixel_shuffle_and_unshuffle_fields():
    report = cnnscope.analyze(Shuffle(), (1, 3, 16, 16))
    up = report.layer("up").rf
    assert (up.size, up.jump, up.start) == ([3.5, 3.5], [0.5, 0.5], [-1.5, -1.5])  # widened by (2−1)/2·1
    assert any(d.code == "rf-approximate" and d.layer == "up" for d in report.diagnostics)

    class Unshuffle(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 4, 3, padding=1)
            self.head = nn.Conv2d(16, 4, 3, padding=1)

        def forward(self, x):
            return self.head(F.pixel_unshuffle(self.stem(x), 2))

    report = cnnscope.analyze(Unshuffle(), (1, 3, SIZE, SIZE))
    down = report.layer("pixel_unshuffle").rf
    assert (down.size, down.jump, down.start) == ([4, 4], [2, 2], [-1, -1])
    head = report.layer("head").rf
    assert head.size == [8, 8]  # 4 + (3−1)·2
    assert analytic_box(head, (8, 8)) == gradient_box(Unshuffle(), 3, lambda y: y[0, :, 8, 8].sum())


def test_pixel_shuffle_field_bounds_the_gradient():
    report = cnnscope.analyze(Shuffle(), (1, 3, 16, 16))
    rf = report.layer("head").rf
    torch.manual_seed(0)
    model = Shuffle().double()
    x = torch.rand(1, 3, 16, 16, dtype=torch.float64, requires_grad=True)
    model(x)[0, :, 16, 16].sum().backward()
    support = (x.grad[0].abs().sum(0) > 0).nonzero()
    for a in range(2):
        first = rf.start[a] + 16 * rf.jump[a]
        assert first <= int(support[:, a].min()) and int(support[:, a].max()) <= first + rf.size[a] - 1


def test_an_image_written_into_a_padded_batch_keeps_its_field():
    """torchvision's detection transform: ``batch = x.new_full(...)``, ``batch[..].copy_(image)``."""

    class Batcher(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, images):
            batch = images.new_full((1, 3, 40, 40), 0.0)
            batch[:, :, : images.shape[-2], : images.shape[-1]].copy_(images)
            return self.conv(batch)

    report = cnnscope.analyze(Batcher(), (1, 3, SIZE, SIZE))
    assert report.layer("new_full").rf is None  # constants carry no field
    assert report.layer("conv").rf.size == [3, 3]
    assert not any(d.code == "rf-untracked" for d in report.diagnostics)


def test_detection_backbones_have_fields():
    report = cnnscope.analyze("ssdlite320_mobilenet_v3_large")
    # The transform's bilinear resize reaches one more input step (r = 2), then the 3×3 stride-2 stem.
    assert report.layer("transform.interpolate").rf.size == [2, 2]
    stem = report.layer("backbone.features.0.0.0")
    assert (stem.rf.size, stem.rf.jump, stem.rf.start) == ([4, 4], [2, 2], [-1, -1])
