"""The data model shared by every view: pure data, JSON-safe, no torch import.

``ModelReport.to_dict()`` is exactly what ``cnnscope summary --format json`` prints, and
``ModelReport.from_dict(report.to_dict()) == report`` holds.  Bump ``SCHEMA_VERSION`` when a
field changes meaning or disappears (and keep reading the old versions in ``from_dict``); adding
a field is backwards compatible.  docs/report-schema.md describes every field.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any
from cnnscope.i18n import _, ngettext

SCHEMA_VERSION = 2
READABLE_SCHEMA_VERSIONS = (1, 2)  # v1: rf was a loose dict and rows had no op_kind

Shape = list[int]


# The diagnostic of a training-mode trace moved from the natural batch of 1 to 2 (batch norm needs
# two values per channel); the summary's header names it too.
TRAIN_BATCH_CODE = "train-batch-2"


@dataclass(frozen=True)
class Diagnostic:
    """Something the analysis could not measure, or that the user should know."""

    level: str  # "info" | "warning"
    code: str  # stable identifier, e.g. "unused-parameters"
    message: str
    layer: str | None = None


@dataclass(frozen=True)
class ReceptiveField:
    """The receptive field of a row's output, per spatial axis (H, W for images; T, H, W for video).

    ``size``: input pixels that can influence one unit; ``jump``: input pixels between
    neighbouring units; ``start``: input coordinate of the first unit's field (negative where it
    reaches into padding).  A global field sees the whole input: ``size`` is the input's spatial
    size and ``jump``/``start`` are None.  ``gated``: a global context (squeeze-and-excitation)
    rescales the local path.  ``recurrence``: the arithmetic of this row, written out.
    """

    size: list
    jump: list | None = None
    start: list | None = None
    is_global: bool = False
    gated: bool = False
    recurrence: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"size": list(self.size), "jump": None if self.jump is None else list(self.jump),
                "start": None if self.start is None else list(self.start), "global": self.is_global,
                "gated": self.gated, "recurrence": self.recurrence}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "ReceptiveField | None":
        """Reads v2 and v1 dicts alike (v1 left ``gated``/``recurrence`` out when unset)."""
        if data is None:
            return None
        return cls(size=list(data["size"]), jump=data.get("jump"), start=data.get("start"),
                   is_global=bool(data.get("global", False)), gated=bool(data.get("gated", False)),
                   recurrence=data.get("recurrence"))


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
    rf: ReceptiveField | None = None
    macs_by_operator: dict = field(default_factory=dict)  # this row's ``macs`` by ATen op (rows with MACs only)
    op_kind: str | None = None  # the row's kind in analysis/ops (conv, pool, pointwise, merge, ...); None for containers

    def to_dict(self) -> dict[str, Any]:
        """The row as the JSON writes it (``rf`` with its JSON key names, see ``ReceptiveField.to_dict``)."""
        data = asdict(self)
        data["rf"] = self.rf.to_dict() if self.rf is not None else None
        return data


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
    macs_by_operator: dict = field(default_factory=dict)  # ATen op name -> MACs; sums to ``macs``


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
    # ATen ops that did multiply-accumulate work with no formula (counted as 0): op, calls,
    # shapes (first few), layers.  Empty when every MAC was counted.
    uncounted_ops: list = field(default_factory=list)
    input_dtypes: list = field(default_factory=list)  # one per input, e.g. ["int64"] for token ids
    mode: str = "eval"  # "train": traced in training mode (dropout, batch statistics, auxiliary heads)
    # Inputs passed by keyword: their names, in order.  ``input_shape``/``input_dtypes`` list the
    # positional inputs first, then these (the last ``len(input_keywords)`` entries).
    input_keywords: list = field(default_factory=list)
    # ``summary --measure`` / ``probes.memory.measure_report``: peaks measured on a real pass
    # (device, forward/inference/training peak bytes, ...); None when nothing was measured.
    measured: dict | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["layers"] = [row.to_dict() for row in self.layers]  # asdict would name rf's keys as its fields
        # Put the version first so that a reader sees it before anything else.
        return {"schema_version": data.pop("schema_version"), **data}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelReport":
        version = data.get("schema_version")
        if version not in READABLE_SCHEMA_VERSIONS:
            raise ValueError(f"unsupported report schema_version {version!r} (this cnnscope reads "
                             f"{', '.join(map(str, READABLE_SCHEMA_VERSIONS))})")
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        # Unknown keys are ignored everywhere, so that a newer writer's additions do not break a reader.
        kwargs["totals"] = Totals(**_known(Totals, data["totals"]))
        kwargs["layers"] = [_layer_from_dict(row) for row in data["layers"]]
        kwargs["schema_version"] = SCHEMA_VERSION  # read into the current model
        kwargs["diagnostics"] = [Diagnostic(**_known(Diagnostic, d)) for d in data["diagnostics"]]
        return cls(**kwargs)

    def layer(self, name: str, call: int = 0) -> LayerRecord:
        """The row called ``name`` (``call`` picks a repeated call).

        Absent: :class:`~cnnscope.errors.LayerNotFoundError` (a ``UsageError`` and a ``KeyError``)
        with a one-line message that suggests the closest row names.
        """
        calls = [row for row in self.layers if row.name == name]
        for row in calls:
            if row.call == call:
                return row
        from cnnscope.errors import LayerNotFoundError

        if calls:
            n = len(calls)
            raise LayerNotFoundError(name, message=ngettext(
                "{model} has {n} call of {name!r} (call 0), not call {call}",
                "{model} has {n} calls of {name!r} (calls 0..{last}), not call {call}", n).format(
                    model=self.model, n=n, name=name, last=n - 1, call=call))
        raise LayerNotFoundError(name, [row.name for row in self.layers], where=self.model)

    def last_feature_map(self) -> LayerRecord | None:
        """The last feature map: the last named row whose field is still local (the input of global
        pooling), or None when no row has a local field.

        A block that returns that row's output stands for it, the outermost one first (ResNet-18:
        ``layer4``, not ``layer4.1.relu``): its name then reaches the same output with ``call`` 0,
        where a module called twice (ResNet's ``relu``) would name its first call.
        """
        local = [row for row in self.layers if row.name and row.rf is not None and not row.rf.is_global]
        if not local:
            return None
        last = local[-1]
        holders = [row for row in self.layers if row.name and row.output_from == [last.index]
                   and row.rf is not None and not row.rf.is_global]
        return min(holders, key=lambda row: (row.depth, row.index)) if holders else last

    def input_shapes(self) -> list[list[int]]:
        """Every input's shape, one list per input, whether the model takes one or several."""
        return [list(self.input_shape)] if isinstance(self.input_shape[0], int) else [list(s) for s in self.input_shape]

    def leaves(self) -> list[LayerRecord]:
        return [row for row in self.layers if row.is_leaf]

    def _repr_html_(self) -> str:
        """Jupyter's view: the layer table (depth ≤ 2) and the totals (``cnnscope/notebook.py``)."""
        from cnnscope.notebook import to_html

        return to_html(self)

    def to_pandas(self):
        """A ``pandas.DataFrame`` with one row per layer record (pandas is imported here, not before)."""
        from cnnscope.notebook import to_pandas

        return to_pandas(self)


def _layer_from_dict(row: dict[str, Any]) -> LayerRecord:
    values = _known(LayerRecord, row)
    values["rf"] = ReceptiveField.from_dict(values.get("rf"))
    return LayerRecord(**values)


def _known(cls, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}
