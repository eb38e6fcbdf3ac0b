"""The census's columns (format version 1): their order, types and meaning, and the versions a row records.

Every file format writes these columns in this order (a CSV's header is exactly these names, a JSON row's
keys are these names); they are data, never translated.  A new or changed column is a new ``VERSION``.
"""

from __future__ import annotations

from importlib import metadata

FORMAT = "cnnscope-census"
VERSION = 1

# (name, type, description); type is "str", "int" or "float".  Numeric columns are null on failed rows.
COLUMNS: list[tuple[str, str, str]] = [
    ("name", "str", "the model's name as given to the census (resnet18, timm:convnext_tiny)"),
    ("group", "str", "the zoo group: tutorial, torchvision, detection, segmentation, video, optical_flow, timm"),
    ("family", "str", "the module that defines the model (torchvision's resnet, timm's convnext; a tutorial net's "
                      "own name)"),
    ("input", "str", "the natural input without the batch, as 3×224×224 ('' when the model has none)"),
    ("params", "int", "parameters (shared tensors once)"),
    ("macs", "int", "multiply-accumulates of one forward pass at the natural input"),
    ("activation_bytes", "int", "bytes of every row's output (the forward activations)"),
    ("training_bytes_adam", "int", "training memory with Adam: weights, gradients, two moments, activations"),
    ("rf_layer", "str", "the last spatial feature map (the last row whose field is still local)"),
    ("rf_size_h", "int", "its receptive field's height in input pixels"),
    ("rf_size_w", "int", "its receptive field's width in input pixels"),
    ("rf_jump_h", "int", "input pixels between vertically neighbouring units there"),
    ("rf_jump_w", "int", "input pixels between horizontally neighbouring units there"),
    ("conv_rows", "int", "convolution rows (transposed ones included)"),
    ("linear_rows", "int", "fully connected rows"),
    ("uncounted_ops", "int", "distinct ATen ops with multiply-accumulates and no formula (0: all counted)"),
    ("acc1", "float", "published top-1 accuracy of the DEFAULT weights (torchvision classification and video)"),
    ("acc5", "float", "published top-5 accuracy of the DEFAULT weights (torchvision classification and video)"),
    ("status", "str", "ok, error, timeout or crashed"),
    ("error", "str", "the one-line message of a failed row ('' when ok)"),
    ("seconds", "float", "wall time of this model's build and analysis"),
    ("peak_memory_bytes", "int", "the worker's peak resident memory during this model's analysis"),
    ("torch", "str", "torch's version"),
    ("torchvision", "str", "torchvision's version"),
    ("timm", "str", "timm's version ('' when timm is not installed)"),
    ("cnnscope", "str", "cnnscope's version"),
]
NAMES: list[str] = [name for name, _, _ in COLUMNS]
TYPES: dict[str, str] = {name: kind for name, kind, _ in COLUMNS}
VERSION_COLUMNS = ("torch", "torchvision", "timm", "cnnscope")
STATUSES = ("ok", "error", "timeout", "crashed")
DONE_STATUSES = ("ok", "error")  # a rerun with the same versions skips these; timeout and crashed are retried


def versions() -> dict[str, str]:
    """{torch, torchvision, timm, cnnscope: version}; timm is '' when absent.  Read from the installed
    packages' metadata, never from an imported module, so that the process that plans a resume (torch not
    imported) and the workers that made the rows (torch imported) read the same strings."""
    from cnnscope._version import __version__

    def installed(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return ""

    return {"torch": installed("torch"), "torchvision": installed("torchvision"), "timm": installed("timm"),
            "cnnscope": __version__}


def empty_row(name: str) -> dict:
    """A row of ``name`` with every other column null (strings ''), the versions filled in."""
    row = {column: ("" if TYPES[column] == "str" else None) for column in NAMES}
    row.update(versions())
    row["name"] = name
    return row


def failed_row(name: str, status: str, message: str, seconds: float | None = None, **known) -> dict:
    """The row of a model that did not finish: ``status`` error, timeout or crashed, with its one-line
    ``message``; ``known`` fills columns already known (group, family, input)."""
    if status not in STATUSES or status == "ok":
        raise ValueError(f"a failed row's status is error, timeout or crashed, not {status!r}")
    row = empty_row(name)
    row.update({k: v for k, v in known.items() if k in TYPES})
    row.update(status=status, error=" ".join(str(message).split()) or status,
               seconds=None if seconds is None else float(seconds))
    return row


def conform(row: dict) -> dict:
    """``row`` with exactly the columns, in order, each of its type (a missing column is null): what a
    reader hands back whatever the file format stored (a CSV's text, a JSON's numbers)."""
    result = {}
    for column in NAMES:
        value = row.get(column)
        kind = TYPES[column]
        if kind == "str":
            result[column] = "" if value is None else str(value)
        elif value is None or value == "" or (isinstance(value, float) and value != value):
            result[column] = None
        elif kind == "int":
            result[column] = _integer(value)
        else:
            result[column] = float(value)
    return result


def _integer(value) -> int:
    """An int from a stored value: 12, 12.0 or "12" (a CSV's text)."""
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return int(float(value))
    return int(value)
