"""Weights files a user hands in: always ``torch.load(..., weights_only=True)``.

Accepted: a bare state_dict, or a checkpoint dict holding one under ``state_dict``, ``model``
or ``model_state_dict`` (what ``cnnscope train`` writes).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import torch
from torch import nn

from cnnscope.errors import WeightsError

_NESTED_KEYS = ("state_dict", "model_state_dict", "model")


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True, mmap=_is_zip(path))
    except Exception as exc:  # noqa: BLE001 - a corrupt file can fail in any layer of the unpickler
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WeightsError(f"{path}: not a readable PyTorch weights file ({first})") from exc
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
