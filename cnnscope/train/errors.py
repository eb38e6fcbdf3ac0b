"""Training errors: each carries one line a user can act on (see :mod:`cnnscope.errors`)."""

from __future__ import annotations

from cnnscope.errors import CnnscopeError


class DatasetError(CnnscopeError):
    """A data set that is unknown, missing from disk, or unreadable."""


class DeviceError(CnnscopeError):
    """A device that is not available (``--device cuda`` without a GPU)."""


class ModelDataMismatch(CnnscopeError):
    """A model that cannot take the data's images or produce its classes."""


class TrainingDiverged(CnnscopeError):
    """The loss became NaN/infinite or exploded; ``history`` holds the run so far and the model
    has been put back to its last good weights (the end of the last completed epoch)."""

    def __init__(self, message: str, history=None):
        super().__init__(message)
        self.history = history


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training; ``history`` holds the run so far, the model its last good weights.

    A ``KeyboardInterrupt`` so that code which does not know about training still stops."""

    def __init__(self, history=None):
        super().__init__("training interrupted")
        self.history = history


class TrainingFailed(CnnscopeError):
    """An error in the middle of a run (out of memory, a bad batch, ...): ``history`` holds the run
    so far (status "failed") and the model its last good weights; the original error is the
    ``__cause__``."""

    def __init__(self, message: str, history=None):
        super().__init__(message)
        self.history = history
