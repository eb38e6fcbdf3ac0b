"""The chance rule: majority rate, margin arithmetic (hand-computed), and ``learned``."""

import math

import pytest
import torch

from cnnscope.train.chance import chance_margin, learned, majority_rate


def test_majority_rate_of_lists_and_tensors():
    assert majority_rate([0, 1, 1, 2]) == 0.5
    assert majority_rate(torch.tensor([3, 3, 3, 1])) == 0.75
    assert majority_rate(range(10)) == 0.1
    assert majority_rate([]) == 0.0


@pytest.mark.parametrize("rate, n, margin", [
    (0.1, 360, 0.05),                       # 3·sqrt(0.09/360) = 0.0474 < 5 points
    (0.5, 100, 0.15),                       # 3·sqrt(0.25/100) = 0.15
    (0.1, 100, 0.09),                       # 3·sqrt(0.09/100) = 0.09
    (1.0, 50, 0.05),                        # one class: no fluctuation, 5 points
])
def test_margin_is_the_larger_of_five_points_and_three_standard_errors(rate, n, margin):
    assert chance_margin(rate, n) == pytest.approx(margin)
    assert 3 * math.sqrt(0.09 / 360) == pytest.approx(0.0474, abs=1e-4)


def test_no_samples_means_nothing_can_be_shown_learned():
    assert chance_margin(0.5, 0) == math.inf
    assert not learned(1.0, 0.5, 0)


def test_learned_is_strictly_above_rate_plus_margin():
    assert learned(0.16, 0.1, 360)
    assert not learned(0.15, 0.1, 360)        # exactly at rate + margin: not clearly above
    assert not learned(0.64, 0.5, 100)
    assert learned(0.66, 0.5, 100)
    assert not learned(None, 0.1, 360)
    assert not learned(float("nan"), 0.1, 360)
