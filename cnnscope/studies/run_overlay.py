"""Several finished training runs side by side (``cnnscope runs``, the app's Train page).

Each run is summarised from its history (best/final validation accuracy, time, status) and from
the same :class:`~cnnscope.report.ModelReport` every other view uses: the trained model rebuilt
from its ``model.pt`` (head replacement included) and analysed at the input it was trained on,
so params, MACs and the receptive field of the last feature map are those of the net that ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cnnscope.train.history import TrainHistory


@dataclass(frozen=True)
class OverlaidRun:
    """One run of the table: its history and the architecture figures of its trained model.

    Everything else (status, accuracies, best epoch, time) is read from ``history``."""

    label: str
    history: TrainHistory
    params: int | None = None
    macs: int | None = None
    rf: list | None = None     # receptive field (H, W) of the last feature map
    note: str = ""             # why architecture figures are missing, when they are

    def to_dict(self) -> dict:
        """The run's row, as the table, CSV and JSON show it."""
        history = self.history
        best = history.best_epoch
        return {"label": self.label, "model": str(history.config.get("model", "?")),
                "dataset": str(history.config.get("dataset", "?")), "status": history.status,
                "epochs": len(history.epochs), "params": self.params, "macs": self.macs, "rf": self.rf,
                "best_val_acc": history.best_val_acc, "best_epoch": best.epoch if best is not None else None,
                "final_val_acc": history.final_val_acc, "final_val_loss": history.final_val_loss,
                "seconds": history.seconds, "images_per_s": history.images_per_s, "note": self.note}


def summarize(label: str, history: TrainHistory, report=None, note: str = "") -> OverlaidRun:
    """``history`` with the params, MACs and last feature map's field of ``report`` (its trained net)."""
    if report is None:
        return OverlaidRun(label, history, note=note)
    feature_map = report.last_feature_map()
    rf = list(feature_map.rf.size) if feature_map is not None and feature_map.rf is not None else None
    return OverlaidRun(label, history, report.totals.params, report.totals.macs, rf, note)


def run_report(folder: str | Path, history: TrainHistory):
    """``(ModelReport | None, note)``: the trained model of the run folder, analysed at its input."""
    from cnnscope.analysis.analyze import analyze
    from cnnscope.errors import CnnscopeError

    config = history.config
    shape = config.get("input_shape")
    if not shape:
        return None, "no input_shape in the run's config"
    checkpoint = Path(folder) / "model.pt"
    try:
        if checkpoint.is_file():
            from cnnscope.train.checkpoint import rebuild_model

            model = rebuild_model(checkpoint)
            return analyze(model, [(1, *shape)], name=str(config.get("model"))), ""
        return analyze(str(config["model"]), [(1, *shape)]), "no model.pt: the untrained architecture"
    except (CnnscopeError, KeyError, OSError, RuntimeError) as error:
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return None, f"architecture not analysed: {first}"


def labels_for(folders: list[str | Path]) -> list[str]:
    """Short, unique labels: the folder names, with their parents where names repeat."""
    paths = [Path(f) for f in folders]
    labels = [p.name or str(p) for p in paths]
    if len(set(labels)) < len(labels):
        labels = [str(p) for p in paths]
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return unique
