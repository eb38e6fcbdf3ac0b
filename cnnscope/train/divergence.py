"""When to call a run diverged.

The rule (also in docs/training.md):

* any step loss that is NaN or ±infinite, at once; or
* the mean of the last ``window`` (5) step losses above ``factor`` (10) × the *reference*.

The reference is the loss of the very first step (the untrained model's, about ln(classes) for
cross-entropy: 2.3 for ten classes); once the first epoch is over it becomes the smaller of that
and the first epoch's median step loss.  It is floored at 0.1 so that a run which fits almost
perfectly is not stopped by ordinary noise.  The reference never follows a loss that is already
exploding (a running median would: a learning rate of 1000 makes every later loss huge), and a
model that does ten times worse than it did untrained is not learning.
"""

from __future__ import annotations

import math
import statistics
from collections import deque


class DivergenceMonitor:
    def __init__(self, factor: float = 10.0, window: int = 5, floor: float = 0.1):
        self.factor, self.floor = factor, floor
        self.recent: deque[float] = deque(maxlen=window)
        self.initial: float | None = None
        self.first_epoch: list[float] = []
        self.reference: float | None = None

    def update(self, step: int, epoch: int, loss: float) -> str | None:
        """Feed one step's loss (in order); returns why the run diverged, or None."""
        if not math.isfinite(loss):
            return f"the loss became {loss} at step {step} (epoch {epoch})"
        if self.initial is None:
            self.initial = self.reference = max(loss, self.floor)
        if epoch == 1:
            self.first_epoch.append(loss)
        elif self.first_epoch:
            median = statistics.median(self.first_epoch)
            self.reference = max(min(self.initial, median), self.floor)
            self.first_epoch = []
        self.recent.append(loss)
        mean = sum(self.recent) / len(self.recent)
        if len(self.recent) == self.recent.maxlen and mean > self.factor * self.reference:
            return (f"the loss exploded to {mean:.4g} (mean of the last {len(self.recent)} steps) at step {step} "
                    f"(epoch {epoch}), over {self.factor:g}× the reference loss of {self.reference:.4g}")
        return None
