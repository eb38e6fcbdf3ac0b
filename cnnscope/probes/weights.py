"""Weights files a user hands in: always ``torch.load(..., weights_only=True)``.

Accepted: a bare state_dict, or a checkpoint dict holding one under ``state_dict``, ``model``
or ``model_state_dict`` (what ``cnnscope train`` writes).  Every reader of such a file goes
through here: ``read_weights_file`` (the one ``torch.load``), ``load_state_dict`` (the tensors),
``check_state_dict`` (keys and shapes against a model), and ``load_weights`` /
``load_pretrained_weights`` / ``apply_state_dict``, which check and then load into a model.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import torch
from torch import nn

from cnnscope.errors import WeightsError

_NESTED_KEYS = ("state_dict", "model_state_dict", "model")


def read_weights_file(path: str | Path, what: str = "weights file"):
    """What ``path`` holds, read with ``torch.load(..., weights_only=True)`` onto the CPU; a missing or
    unreadable file is a one-line WeightsError that calls it a ``what``."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no such {what}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=_is_zip(path))
    except Exception as exc:  # noqa: BLE001 - a corrupt file can fail in any layer of the unpickler
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        reason = first if len(first) > 12 else f"{type(exc).__name__}{': ' + first if first else ''}"
        raise WeightsError(f"{path}: not a readable PyTorch {what} ({reason})") from exc


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The state_dict in a weights file or checkpoint (prefixes of DataParallel/compile removed)."""
    return _state_dict_of(read_weights_file(path), Path(path))


def _state_dict_of(data, path: Path) -> dict[str, torch.Tensor]:
    for key in _NESTED_KEYS:
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            data = data[key]
            break
    if not isinstance(data, dict) or not all(isinstance(v, torch.Tensor) for v in data.values()):
        raise WeightsError(f"{path}: holds a {type(data).__name__}, not a state_dict of tensors")
    # Checkpoints of DataParallel / torch.compile models prefix every key.
    for prefix in ("module.", "_orig_mod."):
        if data and all(k.startswith(prefix) for k in data):
            data = {k[len(prefix):]: v for k, v in data.items()}
    return data


def _is_zip(path: Path) -> bool:
    return zipfile.is_zipfile(path)


def check_state_dict(model: nn.Module, state: dict[str, torch.Tensor], source: str = "weights") -> None:
    """Raise WeightsError listing a few missing/unexpected keys or mismatched shapes."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    mismatched = [f"{k} {tuple(state[k].shape)} vs model {tuple(v.shape)}"
                  for k, v in expected.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]
    problems = []
    for label, items in (("missing keys", missing), ("unexpected keys", unexpected), ("shape mismatches", mismatched)):
        if items:
            shown = ", ".join(items[:3]) + (f", … ({len(items)} in all)" if len(items) > 3 else "")
            problems.append(f"{label}: {shown}")
    if problems:
        raise WeightsError(f"{source} do not fit the model: " + "; ".join(problems))


def apply_state_dict(model: nn.Module, state: dict[str, torch.Tensor], source: str = "weights") -> None:
    """Check ``state`` against ``model`` (one-line WeightsError), then load it."""
    check_state_dict(model, state, source=source)
    model.load_state_dict(state)


def load_weights(model: nn.Module, path: str | Path, source: str | None = None) -> str:
    """Load the weights file ``path`` into ``model`` (keys and shapes checked first); returns where the
    weights came from, for figure titles (``describe_checkpoint``).  ``source`` names the file in errors."""
    data = read_weights_file(path)
    apply_state_dict(model, _state_dict_of(data, Path(path)), source=source or str(path))
    return _describe(data, Path(path))


def check_weights(model: nn.Module, path: str | Path) -> None:
    """Check that the weights file ``path`` fits ``model`` (which may be on the meta device), loading nothing."""
    check_state_dict(model, load_state_dict(path), source=str(path))


def load_pretrained_weights(model: nn.Module, name: str, download: bool = False) -> str:
    """torchvision's DEFAULT weights of zoo model ``name`` into ``model``; returns where they came from."""
    apply_state_dict(model, load_pretrained(name, download=download), source=f"{name}'s pretrained weights")
    return "torchvision pretrained weights (DEFAULT)"


def describe_checkpoint(path: str | Path) -> str:
    """Where weights came from, for figure titles: a cnnscope training run says what it was."""
    return _describe(read_weights_file(path), Path(path))


def _describe(data, path: Path) -> str:
    if isinstance(data, dict) and isinstance(data.get("config"), dict) and "state_dict" in data:
        config = data["config"]
        parts = [str(config.get(k)) for k in ("model", "dataset") if config.get(k)]
        epochs = config.get("epochs")
        detail = " on ".join(parts) + (f", {epochs} epochs" if epochs else "")
        return f"cnnscope train checkpoint {path.name}" + (f" ({detail})" if detail else "")
    if isinstance(data, dict) and any(isinstance(data.get(k), dict) for k in _NESTED_KEYS):
        return f"checkpoint {path.name}"
    return f"state_dict {path.name}"


def pretrained_cache_path(name: str) -> Path:
    """Where torch.hub keeps torchvision's DEFAULT weights for ``name`` (may not exist)."""
    from torchvision.models import get_model_weights

    weights = get_model_weights(name).DEFAULT
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name


def load_pretrained(name: str, download: bool = False) -> dict:
    """torchvision's DEFAULT weights from the local torch hub cache; downloads only if asked."""
    from torchvision.models import get_model_weights

    try:
        weights = get_model_weights(name).DEFAULT
    except (ValueError, KeyError):
        raise WeightsError(f"{name} has no torchvision pretrained weights") from None
    path = pretrained_cache_path(name)
    if path.is_file():
        return load_state_dict(path)
    if not download:
        raise WeightsError(f"torchvision's pretrained weights for {name} are not in the local cache ({path}); "
                           "pass --download to fetch them (needs internet)")
    try:
        weights.get_state_dict(progress=True, check_hash=True)
    except Exception as exc:  # noqa: BLE001 - network failures come in many types
        raise WeightsError(f"downloading {weights.url} failed: {exc}") from exc
    return load_state_dict(path)
