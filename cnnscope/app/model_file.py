"""A model file the visitor uploads (``.onnx``, ``.pt2``): size-capped like every upload, written once
under its digest (the same bytes are the same file, so the cached analysis is keyed by content), and
analysed at the input it was exported with.

A ``.pt2`` is read without unpickling or running anything from it (``modelfiles.pt2_archive``) and has
its own weights, so every page takes it (``real_models.real_model``).  An ``.onnx`` is analysed, never
run: the pages that need a PyTorch module with weights say so in one line.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

from cnnscope.app.model_choice import Choice
from cnnscope.errors import UsageError
from cnnscope.i18n import _

SUFFIXES = ("onnx", "pt2")
_FOLDER = "cnnscope-model-files"


def saved_path(name: str, data: bytes) -> Path:
    """Where the upload ``name`` with ``data`` is kept: ``<tmp>/cnnscope-model-files/<digest>/<name>``
    (the name made safe for a path, its suffix kept); written once, atomically."""
    digest = hashlib.sha256(data).hexdigest()[:32]
    stem, _unused, suffix = Path(name).name.rpartition(".")
    safe = (re.sub(r"[^A-Za-z0-9_.-]", "_", stem).strip("._") or "model")[:80] + "." + suffix.lower()
    folder = Path(tempfile.gettempdir()) / _FOLDER / digest
    path = folder / safe
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{safe}.partial"
        partial.write_bytes(data)
        partial.replace(path)
    return path


def uploaded_choice(upload) -> Choice:
    """The Choice of an uploaded model file, at the input shapes the file gives (its exported shapes)."""
    from cnnscope.app.model_choice import file_report
    from cnnscope.app.real_models import check_upload_size

    suffix = Path(upload.name).suffix.lower().lstrip(".")
    if suffix not in SUFFIXES:
        raise UsageError(_("{name}: not a model file (.onnx or .pt2)").format(name=upload.name))
    check_upload_size(upload)
    path = saved_path(upload.name, upload.getvalue())
    report = file_report(str(path))
    shapes = report.input_shape if isinstance(report.input_shape[0], list) else [report.input_shape]
    shapes = tuple(tuple(s) for s in shapes)
    form = "image" if len(shapes) == 1 and len(shapes[0]) == 4 else "file"
    return Choice("file", str(path), shapes[0], form, shapes[1:])


def is_onnx(choice: Choice) -> bool:
    return choice.kind == "file" and choice.value.lower().endswith(".onnx")
