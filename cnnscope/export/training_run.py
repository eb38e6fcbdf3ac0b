"""The files of a run folder, each written atomically:

``history.json``, ``history.csv`` and ``model.pt`` after every epoch (so that Ctrl-C, a crash or
a divergence leaves the last good state on disk), ``loss.html`` and ``loss.png`` at the end.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from cnnscope.train.history import TrainHistory

HISTORY_JSON, HISTORY_CSV, CHECKPOINT, LOSS_HTML, LOSS_PNG = (
    "history.json", "history.csv", "model.pt", "loss.html", "loss.png")


def write_history(folder: str | Path, history: TrainHistory) -> list[Path]:
    from cnnscope.export.files import write_text_atomic

    folder = Path(folder)
    return [write_text_atomic(folder / HISTORY_JSON, history.to_json()),
            write_text_atomic(folder / HISTORY_CSV, history.to_csv())]


def write_checkpoint(folder: str | Path, model: nn.Module, history: TrainHistory) -> Path:
    return save_checkpoint(Path(folder) / CHECKPOINT, model, history.config, len(history.epochs))


def save_checkpoint(path: str | Path, model: nn.Module, config: dict, epoch: int) -> Path:
    """Write atomically: a reader (or a Ctrl-C) never sees half a file."""
    from cnnscope.export.files import write_bytes_atomic
    from cnnscope.train.checkpoint import checkpoint_bytes

    return write_bytes_atomic(path, checkpoint_bytes(model, config, epoch))


def write_plots(folder: str | Path, history: TrainHistory) -> list[Path]:
    from cnnscope.export.files import write_bytes_atomic, write_text_atomic
    from cnnscope.vis import training_curves

    folder = Path(folder)
    return [write_text_atomic(folder / LOSS_HTML, training_curves.loss_html(history)),
            write_bytes_atomic(folder / LOSS_PNG, training_curves.loss_png(history))]


def write_all(folder: str | Path, model: nn.Module, history: TrainHistory) -> list[Path]:
    return [*write_history(folder, history), write_checkpoint(folder, model, history), *write_plots(folder, history)]
