"""When to call a run diverged.

The rule (documented in docs/training.md):

* any step loss that is NaN or ±infinite, at once; or
* the mean of the last ``window`` (5) step losses above ``factor`` (10) × the *reference*, where
  the reference is the median step loss of the first epoch (its first 200 steps at most; while
  they run, the median of the steps so far), floored at 0.1 so that a run which fits almost
  perfectly in its first epoch is not stopped by ordinary noise.  Checked from the 5th step on.

Cross-entropy of a fresh classifier is about ln(classes) (2.3 for ten), so the threshold of a
typical run is around 23: far above any loss a learning run revisits, and reached within a few
steps by a learning rate that is too large.
"""

from __future__ import annotations

import math
import statistics
from collections import deque


class DivergenceMonitor:
    def __init__(self, factor: float = 10.0, window: int = 5, floor: float = 0.1, reference_steps: int = 200):
        self.factor, self.floor, self.reference_steps = factor, floor, reference_steps
        self.recent: deque[float] = deque(maxlen=window)
        self.first_epoch: list[float] = []
        self.reference: float | None = None   # frozen after the first epoch / reference_steps
        self.steps = 0

    def update(self, step: int, epoch: int, loss: float) -> str | None:
        """Feed one step's loss; returns why the run diverged, or None."""
        if not math.isfinite(loss):
            return f"the loss became {loss} at step {step} (epoch {epoch})"
        self.steps += 1
        self.recent.append(loss)
        if self.reference is None:
            if epoch == 1 and len(self.first_epoch) < self.reference_steps:
                self.first_epoch.append(loss)
            else:
                self.reference = self._median()
        if self.steps < self.recent.maxlen:
            return None
        reference = self.reference if self.reference is not None else self._median()
        mean = sum(self.recent) / len(self.recent)
        if mean > self.factor * reference:
            return (f"the loss exploded to {mean:.4g} (mean of the last {len(self.recent)} steps) at step {step} "
                    f"(epoch {epoch}), over {self.factor:g}× the first epoch's median of {reference:.4g}")
        return None

    def _median(self) -> float:
        return max(statistics.median(self.first_epoch), self.floor) if self.first_epoch else self.floor
