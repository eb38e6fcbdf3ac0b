"""Short, identical training runs for ``compare --train`` and ``kernels --train``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from cnnscope.train.history import TrainHistory

KERNEL_INPUT = 16  # digits (8×8) are upsampled so that a 7×7 field is a part of the image, not all of it


def _budget(max_steps: int | None):
    if not max_steps:
        return None, None
    count = {"steps": 0}

    def on_step(event) -> None:
        count["steps"] = event.step

    return on_step, (lambda: count["steps"] >= max_steps)


def train_for_comparison(source: str, *, dataset: str = "digits", data_root: str | None = None, epochs: int = 2,
                         seed: int = 0, device: str = "cpu", max_steps: int | None = None,
                         batch_size: int = 32) -> TrainHistory:
    """Train a zoo model, spec or file (``source`` text) on the same budget as the others; its history's
    config also records the validation split's majority-class rate (``studies.compare.chance`` reads it)."""
    from cnnscope.studies.compare import MAJORITY_RATE
    from cnnscope.train import prepare_run, quick_train
    from cnnscope.train.chance import majority_rate

    run = prepare_run(source, dataset, data_root=data_root, seed=seed)
    data = run.data
    config = {**run.config, MAJORITY_RATE: majority_rate(data.y_val) if data.has_val else None}
    on_step, stop = _budget(max_steps)
    return quick_train(run.model, data, epochs=epochs, batch_size=batch_size, device=device, seed=seed,
                       on_step=on_step, stop=stop, config=config)


class KernelClassifier(nn.Sequential):
    """1×1 stem to C channels, the variant under study, global pooling, a linear head."""

    def __init__(self, variant: nn.Module, channels: int, in_channels: int, classes: int, size: int):
        super().__init__(nn.Conv2d(in_channels, channels, 1), nn.ReLU(), variant, nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(channels, classes))
        self.input_shape = (in_channels, size, size)


def kernel_classifier(kind: str, rf: int, channels: int, dataset: str = "digits", data_root: str | None = None,
                      seed: int = 0, size: int | None = None, spec: str | None = None,
                      images=None) -> KernelClassifier:
    """The same small classifier around each variant, seeded alike (``seed`` sets the initialisation),
    sized for the data set: ``size`` (default ``max(16, rf + 2)``) square inputs.  ``spec``: a user
    variant's spec block (C channels in and out) instead of a built-in ``kind``; ``images``: the data
    set, when the caller has already read it."""
    from cnnscope.studies.kernel_study import build_variant, build_user_variant
    from cnnscope.train.datasets import load_dataset

    images = images if images is not None else load_dataset(dataset, data_root)
    in_channels = images.shape[0]
    size = size or max(KERNEL_INPUT, rf + 2)
    torch.manual_seed(seed)
    variant = build_user_variant(spec, channels, size) if spec is not None else build_variant(kind, rf, channels)[0]
    return KernelClassifier(variant, channels, in_channels, len(images.classes), size)
