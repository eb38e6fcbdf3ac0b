"""Several architectures side by side, from one ModelReport each (numbers are the reports'), and,
with ``--train``, one short training run each (a :class:`TrainHistory`) judged against chance."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING

from cnnscope.report import ModelReport

if TYPE_CHECKING:  # cnnscope.train's package imports torch
    from cnnscope.train.history import TrainHistory


@dataclass(frozen=True)
class ModelRow:
    """One model's line of the comparison table."""

    model: str
    input_shape: list
    params: int
    trainable_params: int
    frozen_params: int
    macs: int
    flops: int
    param_bytes: int
    activation_bytes: int
    training_bytes_sgd: int
    training_bytes_adam: int
    conv_layers: int
    linear_layers: int
    rf_layer: str | None  # the last feature map (last row with a local field)
    rf_size: list | None
    rf_jump: list | None
    latency_ms: float | None = None
    latency_batch: int | None = None
    latency_device: str | None = None
    final_val_acc: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Comparison:
    rows: list[ModelRow]
    reports: list[ModelReport]
    training: list[tuple[str, TrainHistory]] = field(default_factory=list)  # (source, its run) per row

    @property
    def histories(self) -> dict[str, TrainHistory]:
        """source -> run (with ``--train``), as the JSON's ``training`` and the loss chart name them."""
        return dict(self.training)

    def to_dict(self) -> dict:
        return {"models": self.model_dicts(), "reports": [r.to_dict() for r in self.reports],
                "training": {source: history.to_dict() for source, history in self.histories.items()}}

    def model_dicts(self) -> list[dict]:
        """One dict per model (the JSON's ``models``, the CSV's lines): its row and, with ``--train``,
        whether it learned (``learned``, ``majority_rate``, ``chance_margin``: :func:`chance`)."""
        if not self.training:
            return [row.to_dict() for row in self.rows]
        return [{**row.to_dict(), **chance(history)} for row, (_, history) in zip(self.rows, self.training)]

    def not_learned(self) -> list[dict]:
        """The trained models whose accuracy is not clearly above chance, in the table's order, each
        ``{"model" (its source), "final_val_acc", "majority_rate", "chance_margin"}``: said, not ranked."""
        return [{"model": source, **{k: row[k] for k in ("final_val_acc", "majority_rate", "chance_margin")}}
                for row, (source, _) in zip(self.model_dicts(), self.training) if row["learned"] is False]

    def set_latency(self, index: int, ms: float, batch: int, device: str) -> None:
        """Model ``index``'s measured median forward latency (``probes.latency.measure``)."""
        self.rows[index] = replace(self.rows[index], latency_ms=ms, latency_batch=batch, latency_device=device)

    def set_training(self, runs: list[tuple[str, TrainHistory]]) -> None:
        """One ``(source, history)`` per row, in the rows' order (matched by position: a spec's report
        is named "model", not after its text); each row gets its run's final validation accuracy."""
        if len(runs) != len(self.rows):
            raise ValueError(f"{len(runs)} training runs for {len(self.rows)} models")
        self.training = list(runs)
        self.rows = [replace(row, final_val_acc=history.final_val_acc) for row, (_, history) in zip(self.rows, runs)]


MAJORITY_RATE = "val_majority_rate"  # the config key under which a compare run records its split's majority rate


def chance(history: TrainHistory | None) -> dict:
    """Did the run learn? Its final validation accuracy against the majority-class rate of its
    validation split (``config["val_majority_rate"]``, over ``config["val_size"]`` images), by
    ``train.chance``: ``{"learned", "majority_rate", "chance_margin"}``, None where not known
    (no run, no validation split)."""
    from cnnscope.train.chance import chance_margin, learned

    rate = history.config.get(MAJORITY_RATE) if history is not None else None
    size = history.config.get("val_size") if history is not None else None
    if rate is None or not size:
        return {"learned": None, "majority_rate": rate, "chance_margin": None}
    return {"learned": learned(history.final_val_acc, rate, size), "majority_rate": rate,
            "chance_margin": chance_margin(rate, size)}


def depth_counts(report: ModelReport) -> tuple[int, int]:
    """(convolution rows, fully connected rows), by each row's op kind (modules and functional calls).
    Reports of schema v1 carry no op kind; read back, they count 0 of each."""
    convs = sum(1 for r in report.leaves() if r.op_kind in ("conv", "transposed_conv"))
    linears = sum(1 for r in report.leaves() if r.op_kind == "linear")
    return convs, linears


def row_for(report: ModelReport) -> ModelRow:
    t = report.totals
    convs, linears = depth_counts(report)
    last = report.last_feature_map()
    return ModelRow(
        model=report.model, input_shape=report.input_shape, params=t.params, trainable_params=t.trainable_params,
        frozen_params=t.frozen_params, macs=t.macs, flops=t.flops, param_bytes=t.param_bytes,
        activation_bytes=t.activation_bytes, training_bytes_sgd=t.training_bytes_sgd,
        training_bytes_adam=t.training_bytes_adam, conv_layers=convs, linear_layers=linears,
        rf_layer=last.name if last else None, rf_size=last.rf.size if last else None,
        rf_jump=last.rf.jump if last else None,
    )


def compare_reports(reports: list[ModelReport]) -> Comparison:
    return Comparison([row_for(r) for r in reports], list(reports))


def measure_latencies(comparison: Comparison, sources: list[str], device: str, seed: int = 0) -> None:
    """Median forward latency of each model (rebuilt on the CPU with seeded random weights, then
    moved to ``device``) at its report's input shape, recorded on ``comparison``."""
    from cnnscope.probes.latency import measure, resolve_device
    from cnnscope.sources import load_model

    device = str(resolve_device(device))
    for k, (source, report) in enumerate(zip(sources, comparison.reports)):
        shape = report.input_shapes()[0]
        module = load_model(source, device="cpu", input_shape=tuple(shape[1:]), seed=seed).module
        comparison.set_latency(k, measure(module, shape, device), shape[0], device)
