"""From names to a ready run: build the model (seeded random init), read the data set, and
make them fit each other.  What the command line and the app call before :func:`quick_train`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from torch import nn

from cnnscope.train.adapt import fit_classes, prepare_data, target_shape
from cnnscope.train.data import TrainData
from cnnscope.train.datasets import load_dataset


@dataclass
class PreparedRun:
    model: nn.Module
    data: TrainData
    config: dict                      # what rebuilds the model and describes the data
    notes: list[str] = field(default_factory=list)


def prepare_run(model_source: str, dataset: str = "digits", *, data_root: str | None = None,
                download: bool = False, val_split: float = 0.2, seed: int = 0) -> PreparedRun:
    from cnnscope.sources import load_model, seeded
    from cnnscope.zoo.user_file import is_file_reference

    with seeded(seed):  # one stream: the model's weights, then the head fit_classes may put in
        loaded = load_model(model_source, device="cpu", seed=None)
        model_shape = tuple(loaded.input_shape) if loaded.input_shape else None
        size = model_shape[1:] if model_shape and len(model_shape) == 3 else None
        channels = model_shape[0] if model_shape and len(model_shape) == 3 else None
        images = load_dataset(dataset, data_root, download, size=size, channels=channels)
        shape = target_shape(model_shape, images)
        data = prepare_data(images, shape, val_split=val_split, seed=seed, normalization=loaded.normalization)
        change = fit_classes(loaded.module, shape, data.num_classes, source=model_source)
    notes = ([change.note] if change else []) + list(data.notes)
    source = model_source
    if is_file_reference(model_source):
        path, _, name = model_source.rpartition(":")
        source = f"{Path(path).resolve()}:{name}"
    mean, std = data.normalization or (None, None)
    config = {
        "model": source, "model_input_shape": None, "dataset": dataset,
        "data_source": images.source, "data_root": str(data_root) if data_root else None,
        "input_shape": list(shape), "source_shape": list(images.shape), "val_split": val_split,
        "num_classes": data.num_classes, "classes": list(data.classes),
        "replaced_head": change.layer if change else None,
        "normalization": {"mean": list(mean) if mean else None, "std": list(std) if std else None},
    }
    return PreparedRun(loaded.module, data, config, notes)

