"""The prediction: softmax probabilities against hand-computed numbers, the top-k order, the class names."""

import math

import numpy as np
import pytest
import torch

from cnnscope.probes.prediction import class_logits, class_names, softmax, top_k


def test_softmax_of_one_two_three_by_hand():
    # e^1 + e^2 + e^3 = 2.718282 + 7.389056 + 20.085537 = 30.192875
    p = softmax([1.0, 2.0, 3.0])
    assert p == pytest.approx([2.718282 / 30.192875, 7.389056 / 30.192875, 20.085537 / 30.192875], abs=1e-6)
    assert p == pytest.approx([0.090031, 0.244728, 0.665241], abs=1e-6)


def test_softmax_does_not_overflow_and_equal_logits_share_evenly():
    assert softmax([1000.0, 1000.0]) == pytest.approx([0.5, 0.5])
    assert softmax([0.0, math.log(3.0)]) == pytest.approx([0.25, 0.75])  # e^0 : e^ln3 = 1 : 3


def test_top_k_orders_by_probability_with_names_and_ties_by_class_number():
    guesses = top_k([0.0, math.log(3.0), math.log(3.0), math.log(2.0)], k=3, names=["a", "b", "c", "d"])
    # exp: 1, 3, 3, 2 -> sum 9
    assert [(g.index, g.name) for g in guesses] == [(1, "b"), (2, "c"), (3, "d")]
    assert [g.probability for g in guesses] == pytest.approx([3 / 9, 3 / 9, 2 / 9])
    assert top_k([5.0, 1.0], k=5)[1].name == "class 1" and len(top_k([5.0, 1.0], k=5)) == 2


def test_class_names_come_from_the_weights_then_the_data_set_then_numbers():
    assert class_names(3, categories=("cat", "dog", "fox")) == ["cat", "dog", "fox"]
    assert class_names(10, dataset="digits") == [str(d) for d in range(10)]
    assert class_names(10, dataset="cifar10")[3] == "cat"
    assert class_names(10, categories=("a", "b"), dataset="digits")[7] == "7"  # 2 names for 10 outputs: not used
    assert class_names(4, dataset="digits") == ["class 0", "class 1", "class 2", "class 3"]


def test_class_logits_only_for_a_batch_of_class_scores():
    output = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    assert np.array_equal(class_logits(output), [1.0, 2.0, 3.0])  # the first image
    assert class_logits(torch.zeros(1, 8, 4, 4)) is None            # a map, not class scores
    assert class_logits(torch.zeros(1, 1)) is None                  # one output: no choice to make
    assert class_logits({"out": torch.zeros(1, 3)}) is None and class_logits([torch.zeros(1, 3)]) is None
