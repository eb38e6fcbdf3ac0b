"""The data model shared by every view: pure data, JSON-safe, no torch import.

``ModelReport.to_dict()`` is exactly what ``cnnscope summary --format json`` prints, and
``ModelReport.from_dict(report.to_dict()) == report`` holds.  Bump ``SCHEMA_VERSION`` when a
field changes meaning or disappears; adding a field is backwards compatible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

SCHEMA_VERSION = 1

Shape = list[int]


@dataclass(frozen=True)
class Diagnostic:
    """Something the analysis could not measure, or that the user should know."""

    level: str  # "info" | "warning"
    code: str  # stable identifier, e.g. "unused-parameters"
    message: str
    layer: str | None = None


@dataclass(frozen=True)
class LayerRecord:
    """One row: a module call or a functional op made inside a module's forward.

    ``macs``/``flops``/``other_ops``/``params`` of a container row include its descendants.
    The leaf rows add up to the totals, except for work done and parameters held directly by a
    container (ViT's class token, ConvNeXt's layer scale): those count on the container row.  ``inputs`` lists the rows whose outputs this
    row consumed (``index`` values; ``-1`` is model input 0, ``-2`` input 1, ...).
    """

    index: int
    name: str
    type: str
    kind: str  # "module" | "function"
    depth: int
    parent: str | None
    is_leaf: bool
    call: int  # 0 for the first call of a module, 1 for the second, ...
    input_shapes: list[Shape]
    output_shape: Any  # a shape, or a list of shapes for several outputs
    params: int
    trainable_params: int
    macs: int
    flops: int
    other_ops: int
    output_bytes: int
    inputs: list[int] = field(default_factory=list)
    output_from: list[int] = field(default_factory=list)  # containers: the rows that produced their output
    kernel_size: list[int] | None = None
    stride: list[int] | None = None
    padding: list[int] | None = None
    dilation: list[int] | None = None
    groups: int | None = None
    ceil_mode: bool | None = None
    rf: dict | None = None


@dataclass(frozen=True)
class Totals:
    params: int
    trainable_params: int
    frozen_params: int
    buffers: int
    macs: int
    flops: int
    other_ops: int
    param_bytes: int
    buffer_bytes: int
    input_bytes: int
    activation_bytes: int
    training_bytes_sgd: int
    training_bytes_adam: int
    layers: int


@dataclass(frozen=True)
class ModelReport:
    model: str
    input_shape: Any  # a shape, or a list of shapes for several inputs
    output_shape: Any
    totals: Totals
    layers: list[LayerRecord]
    diagnostics: list[Diagnostic]
    traced_on: str  # "meta" or the real device used when the meta trace was impossible
    dtype: str
    cnnscope_version: str
    torch_version: str
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        # Put the version first so that a reader sees it before anything else.
        return {"schema_version": data.pop("schema_version"), **data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelReport":
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"unsupported report schema_version {version!r} (this cnnscope reads {SCHEMA_VERSION})")
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        # Unknown keys are ignored everywhere, so that a newer writer's additions do not break a reader.
        kwargs["totals"] = Totals(**_known(Totals, data["totals"]))
        kwargs["layers"] = [LayerRecord(**_known(LayerRecord, row)) for row in data["layers"]]
        kwargs["diagnostics"] = [Diagnostic(**_known(Diagnostic, d)) for d in data["diagnostics"]]
        return cls(**kwargs)

    def layer(self, name: str, call: int = 0) -> LayerRecord:
        """The row called ``name`` (``call`` picks a repeated call); KeyError if absent."""
        for row in self.layers:
            if row.name == name and row.call == call:
                return row
        raise KeyError(name)

    def leaves(self) -> list[LayerRecord]:
        return [row for row in self.layers if row.is_leaf]


def _known(cls, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}
