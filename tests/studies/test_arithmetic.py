"""Convolution arithmetic against torch itself: output sizes from conv2d / conv_transpose2d shapes, and each
frame's taps from which one-hot input cells change that output cell (with the kernel position they meet)."""

from __future__ import annotations

import random

import pytest
import torch
import torch.nn.functional as F

from cnnscope.errors import UsageError
from cnnscope.studies.arithmetic import CLASSIC, PAD, ZERO, describe, plan


def _torch_output(size, kernel, stride=1, padding=0, dilation=1, transposed=False, output_padding=0, x=None,
                  weight=None):
    x = torch.zeros(1, 1, size, size, dtype=torch.float64) if x is None else x
    weight = torch.zeros(1, 1, kernel, kernel, dtype=torch.float64) if weight is None else weight
    if transposed:
        return F.conv_transpose2d(x, weight, stride=stride, padding=padding, dilation=dilation,
                                  output_padding=output_padding)
    return F.conv2d(x, weight, stride=stride, padding=padding, dilation=dilation)


def _torch_taps(settings: dict) -> dict:
    """{output cell: {input cell: kernel value met}} from n² one-hot inputs through a kernel whose entries are
    1..k² (so the value names the kernel position that touched the input)."""
    n, k = settings["size"], settings["kernel"]
    x = torch.eye(n * n, dtype=torch.float64).reshape(n * n, 1, n, n)
    weight = torch.arange(1, k * k + 1, dtype=torch.float64).reshape(1, 1, k, k)
    y = _torch_output(**settings, x=x, weight=weight)[:, 0]  # (n², out, out)
    taps = {}
    for i in range(y.shape[1]):
        for j in range(y.shape[2]):
            hits = torch.nonzero(y[:, i, j]).flatten().tolist()
            taps[(i, j)] = {(h // n, h % n): int(y[h, i, j]) for h in hits}
    return taps


def _kernel_value(settings: dict, ky: int, kx: int) -> int:
    """The weight (1..k²) a window position uses: flipped for transposed (the equivalent direct convolution)."""
    k = settings["kernel"]
    if settings["transposed"]:
        ky, kx = k - 1 - ky, k - 1 - kx
    return ky * k + kx + 1


def _check_against_torch(settings: dict) -> None:
    shown = plan(**settings)
    assert shown.out == _torch_output(**settings).shape[-1] == _torch_output(**settings).shape[-2]
    assert len(shown.frames) == shown.out ** 2
    assert [f.out_cell for f in shown.frames] == [(i, j) for i in range(shown.out) for j in range(shown.out)]
    expected = _torch_taps(settings)
    for frame in shown.frames:
        assert len(frame.taps) == settings["kernel"] ** 2
        ours = {t.source: _kernel_value(settings, *t.kernel) for t in frame.taps if t.source is not None}
        assert ours == expected[frame.out_cell], (settings, frame.out_cell)
        for tap in frame.taps:  # every tap without an input cell is padding or an inserted zero, and vice versa
            assert (tap.source is None) == (shown.kind(*tap.grid) in (PAD, ZERO))
            assert 0 <= tap.grid[0] < shown.grid and 0 <= tap.grid[1] < shown.grid


@pytest.mark.parametrize("case", CLASSIC, ids=lambda c: c.name)
def test_every_classic_case_matches_torch(case):
    _check_against_torch(case.settings())
    assert plan(**case.settings()).name == case.name


def test_the_classic_output_sizes_of_the_guide():
    """Dumoulin & Visin's figures 2.1-2.7, 4.1-4.7 and 5.1: the output sides they draw."""
    drawn = {"no padding, unit strides": 2, "arbitrary padding": 6, "half (same) padding": 5, "full padding": 7,
             "no padding, strides": 2, "padding, strides": 3, "padding, strides (odd)": 3, "dilation": 3,
             "no padding, unit strides, transposed": 4, "arbitrary padding, transposed": 5,
             "half (same) padding, transposed": 5, "full padding, transposed": 5,
             "no padding, strides, transposed": 5, "padding, strides, transposed": 5,
             "padding, strides (odd), transposed": 6, "dilation, transposed": 7}
    assert {c.name: plan(**c.settings()).out for c in CLASSIC} == drawn


def _random_settings(rng: random.Random) -> dict:
    stride, dilation = rng.randint(1, 3), rng.randint(1, 3)
    transposed = rng.random() < 0.5
    return dict(size=rng.randint(1, 9), kernel=rng.randint(1, 5), stride=stride, padding=rng.randint(0, 3),
                dilation=dilation, transposed=transposed,
                output_padding=rng.randint(0, max(stride, dilation) - 1) if transposed else 0)


@pytest.mark.parametrize("seed", range(8))
def test_random_configurations_match_torch(seed):
    rng = random.Random(seed)
    checked = refused = 0
    for _ in range(25):
        settings = _random_settings(rng)
        try:
            plan(**settings)
        except UsageError:
            with pytest.raises(RuntimeError):  # torch refuses the same settings: no output cell
                _torch_output(**settings)
            refused += 1
            continue
        _check_against_torch(settings)
        checked += 1
    assert checked >= 10  # most draws are valid convolutions


def test_the_grid_marks_input_padding_and_inserted_zeros():
    forward = plan(5, 3, padding=1)
    assert forward.grid == 7 and forward.kind(0, 3) == PAD and forward.source(1, 1) == (0, 0)
    transposed = plan(3, 3, stride=2, padding=1, transposed=True, output_padding=1)
    # 3 inputs with one zero between each -> 5 cells, d(k-1)-p = 1 padding each side, 1 more on the far side
    assert transposed.grid == 5 + 2 + 1
    assert [transposed.axis_kind(g) for g in range(8)] == [PAD, "input", ZERO, "input", ZERO, "input", PAD, PAD]
    assert transposed.source(3, 5) == (1, 2) and transposed.kind(2, 3) == ZERO


def test_the_formula_is_worked_out_with_the_numbers():
    assert plan(5, 3, stride=2, padding=1).worked == "⌊(5 + 2·1 − 1·(3−1) − 1)/2⌋ + 1 = 3"
    assert plan(3, 3, stride=2, padding=1, transposed=True, output_padding=1).worked == \
        "(3 − 1)·2 − 2·1 + 1·(3−1) + 1 + 1 = 6"
    assert plan(5, 3).formula == "out = ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1"


def test_describe_names_each_output_cell_and_the_cells_it_reads():
    lines = describe(plan(5, 3, padding=1))
    assert lines[2] == "    = ⌊(5 + 2·1 − 1·(3−1) − 1)/1⌋ + 1 = 5"
    frames = [line for line in lines if line.startswith("out (")]
    assert len(frames) == 25
    assert frames[0] == "out (0,0) ← in pad pad pad | pad (0,0) (0,1) | pad (1,0) (1,1)"
    assert frames[6] == "out (1,1) ← in (0,0) (0,1) (0,2) | (1,0) (1,1) (1,2) | (2,0) (2,1) (2,2)"
    transposed = describe(plan(2, 3, stride=2, transposed=True))
    assert "out (2,2) ← in (0,0) zero (0,1) | zero zero zero | (1,0) zero (1,1)" in transposed


@pytest.mark.parametrize("settings, message", [
    (dict(size=4, kernel=7), "kernel 7 (dilated span 7) is larger than the padded input 4 + 2·0 = 4: "
                             "⌊(4 + 2·0 − 1·(7−1) − 1)/1⌋ + 1 = -2 outputs"),
    (dict(size=5, kernel=3, dilation=3), "kernel 3 (dilated span 7) is larger than the padded input 5 + 2·0 = 5: "
                                         "⌊(5 + 2·0 − 3·(3−1) − 1)/1⌋ + 1 = -1 outputs"),
    (dict(size=0, kernel=3), "size must be a positive whole number, not 0"),
    (dict(size=5, kernel=0), "kernel must be a positive whole number, not 0"),
    (dict(size=5, kernel=3, stride=0), "stride must be a positive whole number, not 0"),
    (dict(size=5, kernel=3, dilation=-1), "dilation must be a positive whole number, not -1"),
    (dict(size=5, kernel=3, padding=-1), "padding must be a whole number ≥ 0, not -1"),
    (dict(size=33, kernel=3), "size 33 is too large to animate: at most 32 (one frame per output cell)"),
    (dict(size=3, kernel=3, stride=2, transposed=True, output_padding=2),
     "output padding 2 must be smaller than the stride (2) or the dilation (1), as in PyTorch"),
    (dict(size=5, kernel=3, output_padding=1), "output padding applies to a transposed convolution only"),
    (dict(size=1, kernel=1, padding=1, transposed=True), "padding 1 crops more than the transposed convolution "
                                                         "makes: (1 − 1)·1 − 2·1 + 1·(1−1) + 0 + 1 = -1 outputs"),
])
def test_bad_settings_say_why_in_one_line(settings, message):
    with pytest.raises(UsageError) as caught:
        plan(**settings)
    assert str(caught.value) == message and "\n" not in message


def test_the_kernel_too_large_for_torch_too():
    with pytest.raises(RuntimeError):
        _torch_output(4, 7)
    with pytest.raises(UsageError):
        plan(4, 7)


def test_the_docs_table_of_the_classic_set_is_what_plan_gives():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "conv-arithmetic.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 9 and cells[1].isdigit():
            rows[cells[0]] = cells[1:]
    assert set(rows) == {c.name for c in CLASSIC}
    for case in CLASSIC:
        shown = plan(**case.settings())
        n, k, s, p, d, op, out, frames = rows[case.name]
        assert (int(n), int(k), int(s), int(p), int(d)) == (case.size, case.kernel, case.stride, case.padding,
                                                            case.dilation)
        assert op == (str(case.output_padding) if case.transposed else "–")
        assert (int(out), int(frames)) == (shown.out, len(shown.frames))
