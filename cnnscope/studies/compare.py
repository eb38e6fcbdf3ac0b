"""Several architectures side by side, from one ModelReport each (numbers are the reports')."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from cnnscope.report import ModelReport



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
    histories: dict = field(default_factory=dict)  # model -> training history dict (with --train)

    def to_dict(self) -> dict:
        return {"models": [r.to_dict() for r in self.rows], "reports": [r.to_dict() for r in self.reports],
                "training": self.histories}

    def set_latency(self, index: int, ms: float, batch: int, device: str) -> None:
        """Model ``index``'s measured median forward latency (``probes.latency.measure``)."""
        self.rows[index] = replace(self.rows[index], latency_ms=ms, latency_batch=batch, latency_device=device)

    def set_training(self, histories: dict) -> None:
        """Training histories (model -> history dict); each row gets its final validation accuracy."""
        self.histories = dict(histories)
        self.rows = [replace(row, final_val_acc=final_val_acc(self.histories.get(row.model))) for row in self.rows]


def final_val_acc(history: dict | None) -> float | None:
    """The validation accuracy after the last epoch of a training history dict, if it has one."""
    if not history or not history.get("epochs"):
        return None
    return history["epochs"][-1].get("val_acc")


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
