"""A cache of zoo-model reports for the command line, so a repeated ``cnnscope summary vgg16``
needs no torch import.

Keyed by content, never by name alone: the model name, the input shapes, the installed torch
and torchvision versions, and a hash of cnnscope's own source files -- any change to any of them
is a miss.  Only zoo models are stored (user files and specs can change under the same name).
``CNNSCOPE_CACHE=0`` turns it off; ``CNNSCOPE_CACHE=/path`` moves it.  Imports no torch.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from importlib import metadata
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def directory() -> Path | None:
    setting = os.environ.get("CNNSCOPE_CACHE", "")
    if setting.lower() in ("0", "off", "no", "false"):
        return None
    if setting:
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cnnscope" / "reports"


@lru_cache(maxsize=1)
def fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("torch", "torchvision"):
        try:
            digest.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=absent;".encode())
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _path(model: str, shapes) -> Path | None:
    folder = directory()
    if folder is None:
        return None
    key = hashlib.sha256(json.dumps([fingerprint(), model, shapes]).encode()).hexdigest()[:32]
    return folder / f"{key}.json"


def load(model: str, shapes) -> dict | None:
    """The stored ``report.to_dict()``, for ``ModelReport.from_dict``; None on a miss."""
    from cnnscope.report import READABLE_SCHEMA_VERSIONS

    path = _path(model, shapes)
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a damaged entry is a miss, and is overwritten by the next store
    if not isinstance(data, dict) or data.get("schema_version") not in READABLE_SCHEMA_VERSIONS:
        return None  # a schema this cnnscope cannot read is a miss too
    return data


def store(model: str, shapes, data: dict) -> None:
    path = _path(model, shapes)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        from cnnscope.files import write_text_atomic

        write_text_atomic(path, json.dumps(data))
    except Exception:  # noqa: BLE001 - a read-only or full disk must never fail the command
        pass


def looks_like_zoo_name(source: str) -> bool:
    return source.replace("_", "").isalnum() and source.islower()


def cached_report(source: str, shapes, analyze, is_zoo_model):
    """The ModelReport of a zoo model from the cache, or ``analyze()``'s, stored for next time.

    ``shapes`` are the input shapes asked for (None: the model's natural input); anything that is
    not a zoo name is analysed every time.  ``is_zoo_model(source)`` decides what may be stored: the
    caller's question, so that this module imports nothing of the zoo (which reads ``directory()``
    for its timm name list)."""
    key = [list(s) for s in shapes] if shapes else None
    zoo_like = looks_like_zoo_name(source)
    data = load(source, key) if zoo_like else None
    if data is not None:
        from cnnscope.report import ModelReport

        try:
            return ModelReport.from_dict(data)
        except Exception:  # noqa: BLE001 - a damaged or foreign entry (any content) is a miss, overwritten below
            pass
    report = analyze()
    if zoo_like and is_zoo_model(source):
        store(source, key, report.to_dict())
    return report
