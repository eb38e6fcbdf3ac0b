"""The tensors a training run reads: images and labels, split into training and validation.

Small data sets are kept *resident*: already adapted to the model (resized, normalised, float)
and, on a GPU, already on the device, so that a step is one index gather and no copy.  Data
too large to adapt up front is kept in its source form (usually uint8) and ``transform`` adapts
each batch, on the training device, right before the forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch


@dataclass
class TrainData:
    x: torch.Tensor                        # N, C, H, W: model-ready floats, or source form if ``transform``
    y: torch.Tensor                        # N, int64 class indices
    x_val: torch.Tensor | None = None
    y_val: torch.Tensor | None = None
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None  # per batch, on the device
    classes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was adapted, for the user
    normalization: tuple | None = None     # (mean, std) per channel the images were normalised with

    def __post_init__(self):
        if self.x.shape[0] != self.y.shape[0]:
            raise ValueError(f"{self.x.shape[0]} images but {self.y.shape[0]} labels")
        if (self.x_val is None) != (self.y_val is None):
            raise ValueError("give both x_val and y_val, or neither")
        if not self.classes:
            labels = [t for t in (self.y, self.y_val) if t is not None and len(t)]
            count = max(int(t.max().item()) for t in labels) + 1 if labels else 0
            self.classes = [str(i) for i in range(count)]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def has_val(self) -> bool:
        return self.x_val is not None and len(self.x_val) > 0

    @classmethod
    def coerce(cls, data) -> "TrainData":
        """A :class:`TrainData`, ``(x, y)`` or ``(x, y, x_val, y_val)``."""
        if isinstance(data, cls):
            return data
        if isinstance(data, (tuple, list)) and len(data) in (2, 4):
            tensors = [torch.as_tensor(t) for t in data]
            tensors[1] = tensors[1].long()
            if len(tensors) == 4:
                tensors[3] = tensors[3].long()
            return cls(*tensors)
        raise TypeError("data must be a TrainData, (x, y) or (x, y, x_val, y_val)")
