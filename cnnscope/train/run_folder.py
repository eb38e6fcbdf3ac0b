"""A run folder on disk (``cnnscope train --out DIR``), each file written atomically:

``history.json``, ``history.csv`` and ``model.pt`` after every epoch (so that Ctrl-C, a crash or
a divergence leaves the last good state on disk), ``best.pt`` (the best validation epoch's
weights, ``TrainHistory.best_epoch``) after every epoch that improves, ``loss.html`` and
``loss.png`` at the end;
``read_run`` reads a folder back into its :class:`TrainHistory`.

The pictures are drawn by ``vis/training_curves.py``; the front end hands their bytes to
:func:`write_plots` (the core draws nothing and prints nothing).
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from cnnscope.files import write_bytes_atomic, write_text_atomic
from cnnscope.train.history import TrainHistory
from cnnscope.i18n import _

HISTORY_JSON, HISTORY_CSV, CHECKPOINT, BEST_CHECKPOINT, LOSS_HTML, LOSS_PNG = (
    "history.json", "history.csv", "model.pt", "best.pt", "loss.html", "loss.png")
RUN_FILES = (HISTORY_JSON, HISTORY_CSV, CHECKPOINT, BEST_CHECKPOINT, LOSS_HTML, LOSS_PNG)


def write_history(folder: str | Path, history: TrainHistory) -> list[Path]:
    folder = Path(folder)
    return [write_text_atomic(folder / HISTORY_JSON, history.to_json()),
            write_text_atomic(folder / HISTORY_CSV, history.to_csv())]


def write_checkpoint(folder: str | Path, model: nn.Module, history: TrainHistory, *, best: bool = True) -> Path:
    """``model.pt`` (the model as it is: the last epoch's weights); and, unless ``best=False``,
    ``best.pt`` when the last epoch is the best so far (called after every epoch, it keeps
    ``best.pt`` up to date)."""
    path = save_checkpoint(Path(folder) / CHECKPOINT, model, history.config, len(history.epochs))
    if best and history.epochs and history.best_epoch is history.last:
        write_best(folder, history)
    return path


def write_best(folder: str | Path, history: TrainHistory, *, when_final_too: bool = True) -> Path | None:
    """``best.pt``: the weights of ``history.best_epoch`` (``history.best_state``, kept by ``quick_train``),
    in ``model.pt``'s layout with ``epoch`` the best epoch's number.  None when the run kept none, or
    (``when_final_too=False``) when the best epoch is the last one, whose weights ``model.pt`` holds."""
    from cnnscope.files import write_bytes_atomic
    from cnnscope.train.checkpoint import state_checkpoint_bytes

    best = history.best_epoch
    if history.best_state is None or best is None or (not when_final_too and best is history.last):
        return None
    return write_bytes_atomic(Path(folder) / BEST_CHECKPOINT,
                              state_checkpoint_bytes(history.best_state, history.config, best.epoch))


def save_checkpoint(path: str | Path, model: nn.Module, config: dict, epoch: int) -> Path:
    """Write atomically: a reader (or a Ctrl-C) never sees half a file."""
    from cnnscope.train.checkpoint import checkpoint_bytes

    return write_bytes_atomic(path, checkpoint_bytes(model, config, epoch))


def write_plots(folder: str | Path, html: str, png: bytes) -> list[Path]:
    """``loss.html`` and ``loss.png``, drawn by the caller (``vis.training_curves.loss_html``/``loss_png``)."""
    folder = Path(folder)
    return [write_text_atomic(folder / LOSS_HTML, html), write_bytes_atomic(folder / LOSS_PNG, png)]


def write_all(folder: str | Path, model: nn.Module, history: TrainHistory, html: str, png: bytes) -> list[Path]:
    """Every file of the run folder: the history, the checkpoints and the pictures ``html``/``png``."""
    paths = [*write_history(folder, history), write_checkpoint(folder, model, history)]
    if history.best_state is not None and history.best_epoch is not None:
        # write_checkpoint wrote best.pt when the last epoch is the best; otherwise write it here
        paths.append(Path(folder) / BEST_CHECKPOINT if history.best_epoch is history.last
                     else write_best(folder, history))
    return [*paths, *write_plots(folder, html, png)]


def read_run(folder: str | Path) -> TrainHistory:
    """The history of a run folder written by ``cnnscope train``; a ``UsageError`` (one line) for a
    path that is missing, not a folder, or not a cnnscope run (no readable ``history.json`` with
    the run's ``epochs``/``steps``/``config``)."""
    import json

    from cnnscope.errors import UsageError

    folder = Path(folder)
    if not folder.exists():
        raise UsageError(_("{folder}: no such run folder").format(folder=folder))
    if not folder.is_dir():
        raise UsageError(_("{folder}: not a folder; pass the --out folder of a `cnnscope train` run").format(
                             folder=folder))
    path = folder / HISTORY_JSON
    if not path.is_file():
        raise UsageError(_("{folder}: not a cnnscope run (no {HISTORY_JSON}); pass the --out folder of a `cnnscope "
                           "train` run").format(folder=folder, HISTORY_JSON=HISTORY_JSON))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise UsageError(_("{path}: unreadable ({name}: {error})").format(
                             path=path, name=error.__class__.__name__, error=error)) from None
    if not (isinstance(data, dict) and isinstance(data.get("epochs"), list) and isinstance(data.get("steps"), list)
            and isinstance(data.get("config"), dict)):
        raise UsageError(_("{path}: not a cnnscope training history (no epochs/steps/config)").format(path=path))
    try:
        return TrainHistory.from_dict(data)
    except (TypeError, ValueError, AttributeError) as error:
        raise UsageError(_("{path}: not a cnnscope training history ({error})").format(path=path, error=error)) from None
