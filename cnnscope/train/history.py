"""What a training run recorded: per-epoch metrics, per-step losses, the config and the device.

``to_dict()`` is exactly the ``history.json`` schema::

    {"status": "completed",      # running | completed | interrupted | diverged | failed
     "message": "",               # why it ended early, when it did
     "epochs": [{"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds", "lr", "images_per_s"}],
     "steps":  [{"step", "epoch", "loss"}],
     "config": {...},             # includes "steps_per_epoch" (for placing a partial epoch)
     "device": "cpu"}

Epochs and steps count from 1; accuracies are fractions in [0, 1]; ``seconds`` is the epoch's
wall time (training and validation), ``images_per_s`` its training throughput; ``val_*`` are
``null`` without a validation split.  ``status`` is "running" in the files written after each
epoch while a run goes on, then one of "completed", "interrupted" (Ctrl-C or a stop request),
"diverged" or "failed" (an error in the middle of the run); files written before statuses
existed read back as "unknown".  A
non-finite loss (NaN, ±inf) is written as ``null``, since JSON has no such numbers.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field, fields

@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    train_loss: float
    train_acc: float
    val_loss: float | None
    val_acc: float | None
    seconds: float
    lr: float
    images_per_s: float | None = None   # training images per second of the epoch (validation excluded)


@dataclass(frozen=True)
class StepRecord:
    step: int
    epoch: int
    loss: float


STATUSES = ("running", "completed", "interrupted", "diverged", "failed")
EPOCH_FIELDS = tuple(f.name for f in fields(EpochRecord))
STEP_FIELDS = tuple(f.name for f in fields(StepRecord))


@dataclass(frozen=True)
class StepEvent:
    """What ``on_step`` receives: the step's record plus where the run stands."""

    step: int
    epoch: int
    loss: float
    epoch_step: int          # 1-based step within the epoch
    steps_per_epoch: int
    total_steps: int
    epochs: int
    images_per_s: float      # training images per second since the run started
    elapsed: float           # seconds since the run started


@dataclass
class TrainHistory:
    epochs: list[EpochRecord] = field(default_factory=list)
    steps: list[StepRecord] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    device: str = "cpu"
    status: str = "running"      # running | completed | interrupted | diverged | failed (STATUSES)
    message: str = ""            # why it stopped, when it did not complete
    # the weights at the end of :attr:`best_epoch` (a CPU state_dict kept by ``quick_train``); never
    # serialised (``best.pt`` in a run folder holds them), None for a history read back from a file
    best_state: dict | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "message": self.message,
            "epochs": [_record(e, EPOCH_FIELDS) for e in self.epochs],
            "steps": [_record(s, STEP_FIELDS) for s in self.steps],
            "config": dict(self.config),
            "device": self.device,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "TrainHistory":
        epochs = [EpochRecord(**{k: e.get(k) for k in EPOCH_FIELDS}) for e in data.get("epochs", [])]
        return cls(epochs, [StepRecord(**{k: s.get(k) for k in STEP_FIELDS}) for s in data.get("steps", [])],
                   dict(data.get("config", {})), data.get("device", "cpu"), status=data.get("status", "unknown"),
                   message=data.get("message", ""))

    def to_json(self) -> str:
        """Indented, with one line per epoch and per step (readable, and fast to rewrite every epoch)."""
        import json

        data = self.to_dict()
        lines = ["{", f' "status": {json.dumps(data["status"])},', f' "message": {json.dumps(data["message"])},']
        for key in ("epochs", "steps"):
            rows = ["  " + json.dumps(row, allow_nan=False) for row in data[key]]
            lines.append(f' "{key}": [' + ("\n" + ",\n".join(rows) + "\n ]," if rows else "],"))
        config = json.dumps(data["config"], indent=1, allow_nan=False).replace("\n", "\n ")
        lines.append(f' "config": {config},')
        lines.append(f' "device": {json.dumps(data["device"])}')
        lines.append("}")
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        """One row per epoch, the columns of ``EPOCH_FIELDS``; empty cells where a value is missing."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(EPOCH_FIELDS)
        for record in self.epochs:
            writer.writerow(["" if (v := _finite(getattr(record, k))) is None else v for k in EPOCH_FIELDS])
        return buffer.getvalue()

    # -- what a finished run comes to: every view (runs table, compare, summaries) reads these --

    @property
    def last(self) -> EpochRecord | None:
        return self.epochs[-1] if self.epochs else None

    @property
    def final_val_acc(self) -> float | None:
        """The validation accuracy after the last recorded epoch (None without one or without validation)."""
        return self.last.val_acc if self.last is not None else None

    @property
    def final_val_loss(self) -> float | None:
        return self.last.val_loss if self.last is not None else None

    @property
    def best_val_acc(self) -> float | None:
        """The validation accuracy of :attr:`best_epoch` (its highest; None without validation)."""
        best = self.best_epoch
        return best.val_acc if best is not None else None

    @property
    def seconds(self) -> float:
        """Wall time of the recorded epochs (training and validation)."""
        return sum(e.seconds for e in self.epochs)

    @property
    def images_per_s(self) -> float | None:
        """Mean training throughput over the epochs that recorded one (None when none did)."""
        rates = [e.images_per_s for e in self.epochs if e.images_per_s]
        return sum(rates) / len(rates) if rates else None

    @property
    def best_epoch(self) -> EpochRecord | None:
        """The epoch with the highest validation accuracy (the lowest validation loss breaks ties,
        the earliest epoch after that); without validation, the lowest training loss."""
        scored = [e for e in self.epochs if _finite(e.val_acc) is not None]
        if scored:
            def loss(e):
                value = _finite(e.val_loss)
                return math.inf if value is None else value

            return max(scored, key=lambda e: (e.val_acc, -loss(e), -e.epoch))
        scored = [e for e in self.epochs if _finite(e.train_loss) is not None]
        return min(scored, key=lambda e: (e.train_loss, e.epoch)) if scored else None

    @property
    def steps_per_epoch(self) -> int | None:
        """Steps in a full epoch: from the config, else the most steps any recorded epoch has."""
        value = self.config.get("steps_per_epoch")
        if isinstance(value, int) and value > 0:
            return value
        counts: dict[int, int] = {}
        for record in self.steps:
            counts[record.epoch] = counts.get(record.epoch, 0) + 1
        return max(counts.values()) if counts else None


def _record(record, keys) -> dict:
    return {k: _finite(getattr(record, k)) for k in keys}


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
