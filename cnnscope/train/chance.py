"""Did a model learn anything? Its accuracy against the rate of guessing the majority class.

A model that always answers the most frequent class scores that class's share of the
validation labels, the *majority rate* ``p``; an accuracy measured on ``n`` samples fluctuates
by about one binomial standard error, ``sqrt(p(1 - p) / n)``.  A model *learned* when its
accuracy beats ``p`` by more than ``max(5 points, 3 standard errors)``: the 5 points keep a
large validation split from calling a 1-point edge "learned", the 3 standard errors keep a
small one from calling luck "learned".  Torch-free: labels may be any iterable of ints (a 1-D
tensor too), so the rule serves every front end.
"""

from __future__ import annotations

import math
from collections import Counter

MIN_MARGIN = 0.05       # accuracy points above the majority rate, at the least
STANDARD_ERRORS = 3     # binomial standard errors of an accuracy measured at the majority rate


def majority_rate(labels) -> float:
    """The share of the most frequent label: the accuracy of always guessing it (0.0 without labels)."""
    values = labels.tolist() if hasattr(labels, "tolist") else labels
    counts = Counter(int(v) for v in values)
    total = sum(counts.values())
    return max(counts.values()) / total if total else 0.0


def chance_margin(rate: float, n: int) -> float:
    """How far above ``rate`` an accuracy on ``n`` samples must be to count as learned."""
    if n <= 0:
        return math.inf
    return max(MIN_MARGIN, STANDARD_ERRORS * math.sqrt(rate * (1.0 - rate) / n))


def learned(accuracy: float | None, rate: float, n: int) -> bool:
    """Whether ``accuracy`` (a fraction, on ``n`` samples) is clearly above the majority ``rate``."""
    if accuracy is None or not math.isfinite(accuracy):
        return False
    return accuracy - rate > chance_margin(rate, n)
