"""Several architectures side by side, from one ModelReport each (numbers are the reports')."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from cnnscope.report import ModelReport

_CONV_TYPES = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
_FUNCTION_CONVS = ("conv1d", "conv2d", "conv3d")


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


def depth_counts(report: ModelReport) -> tuple[int, int]:
    convs = sum(1 for r in report.leaves() if r.type in _CONV_TYPES or (r.kind == "function" and r.type in _FUNCTION_CONVS))
    linears = sum(1 for r in report.leaves() if r.type == "Linear" or (r.kind == "function" and r.type == "linear"))
    return convs, linears


def last_feature_map(report: ModelReport):
    local = [r for r in report.layers if r.rf and not r.rf["global"] and r.name]
    return local[-1] if local else None


def row_for(report: ModelReport) -> ModelRow:
    t = report.totals
    convs, linears = depth_counts(report)
    last = last_feature_map(report)
    return ModelRow(
        model=report.model, input_shape=report.input_shape, params=t.params, trainable_params=t.trainable_params,
        frozen_params=t.frozen_params, macs=t.macs, flops=t.flops, param_bytes=t.param_bytes,
        activation_bytes=t.activation_bytes, training_bytes_sgd=t.training_bytes_sgd,
        training_bytes_adam=t.training_bytes_adam, conv_layers=convs, linear_layers=linears,
        rf_layer=last.name if last else None, rf_size=last.rf["size"] if last else None,
        rf_jump=last.rf["jump"] if last else None,
    )


def compare_reports(reports: list[ModelReport]) -> Comparison:
    return Comparison([row_for(r) for r in reports], list(reports))
