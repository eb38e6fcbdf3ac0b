"""Short, identical training runs for ``compare --train`` (the kernel experiment's classifier is in
``studies/kernels/variants.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cnnscope.train.history import TrainHistory


def train_for_comparison(source: str, *, dataset: str = "digits", data_root: str | None = None, epochs: int = 2,
                         seed: int = 0, device: str = "cpu", max_steps: int | None = None,
                         batch_size: int = 32) -> TrainHistory:
    """Train a zoo model, spec or file (``source`` text) on the same budget as the others; its history's
    config also records the validation split's majority-class rate (``studies.compare.chance`` reads it)."""
    from cnnscope.studies.compare import MAJORITY_RATE
    from cnnscope.train import prepare_run, quick_train
    from cnnscope.train.chance import majority_rate
    from cnnscope.train.loop import step_budget

    run = prepare_run(source, dataset, data_root=data_root, seed=seed)
    data = run.data
    config = {**run.config, MAJORITY_RATE: majority_rate(data.y_val) if data.has_val else None}
    on_step, stop = step_budget(max_steps)
    return quick_train(run.model, data, epochs=epochs, batch_size=batch_size, device=device, seed=seed,
                       on_step=on_step, stop=stop, config=config)
