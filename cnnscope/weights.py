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

from cnnscope.errors import WeightsError, require_file

_NESTED_KEYS = ("state_dict", "model_state_dict", "model")


def read_weights_file(path: str | Path, what: str = "weights file"):
    """What ``path`` holds, read with ``torch.load(..., weights_only=True)`` onto the CPU; a missing or
    unreadable file is a one-line WeightsError that calls it a ``what``."""
    import pickle
    import re
    import warnings

    path = Path(path)
    require_file(path, WeightsError, f"a {what}", what)
    try:
        with warnings.catch_warnings():  # torch's advice to pass weights_only=False is not for us to give
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True, mmap=_is_zip(path))
    except pickle.UnpicklingError as exc:
        if "Weights only load failed" not in str(exc) or "GLOBAL" not in str(exc):
            raise WeightsError(f"{path}: not a readable PyTorch {what} ({_first_line(exc)})") from exc
        found = re.search(r"GLOBAL (\S+)", str(exc))
        detail = f" ({found.group(1)})" if found else ""
        raise WeightsError(f"{path}: holds Python objects{detail}, not only tensors; it is refused for safety "
                           "(cnnscope loads weights with weights_only=True): save model.state_dict() instead") from None
    except Exception as exc:  # noqa: BLE001 - a corrupt file can fail in any layer of the unpickler
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        reason = first if len(first) > 12 else f"{type(exc).__name__}{': ' + first if first else ''}"
        raise WeightsError(f"{path}: not a readable PyTorch {what} ({reason})") from exc


def _first_line(exc) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return first[:200] or type(exc).__name__


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
    """The pretrained weights of zoo model ``name`` into ``model`` (torchvision's DEFAULT, or timm's
    default tag for ``timm:NAME``), from the local cache unless ``download``; returns where they came from."""
    if name.startswith("timm:"):
        state, origin = load_timm_pretrained(model, name, download=download)
        apply_state_dict(model, state, source=f"{name}'s pretrained weights")
        return origin
    apply_state_dict(model, load_pretrained(name, download=download), source=f"{name}'s pretrained weights")
    return "torchvision pretrained weights (DEFAULT)"


_TIMM_FILES = ("model.safetensors", "pytorch_model.bin")


def timm_cache_file(hub_id: str) -> str | None:
    """The local Hugging Face cache copy of a timm checkpoint (``HF_HUB_CACHE`` is read at call time)."""
    import os

    from huggingface_hub import try_to_load_from_cache

    cache_dir = os.environ.get("HF_HUB_CACHE") or None
    for filename in _TIMM_FILES:
        path = try_to_load_from_cache(hub_id, filename, cache_dir=cache_dir)
        if isinstance(path, str):
            return path
    return None


def load_timm_pretrained(model: nn.Module, name: str, download: bool = False) -> tuple[dict, str]:
    """(state_dict, origin) of timm's pretrained weights for ``timm:NAME``: the local Hugging Face
    cache copy, read through timm (so its key remapping applies; safetensors, or a ``.bin`` with
    ``weights_only=True``); a download only with ``download``."""
    import timm

    arch = name.split(":", 1)[1]
    cfg = getattr(model, "pretrained_cfg", None) or {}
    hub_id = cfg.get("hf_hub_id")
    path = timm_cache_file(hub_id) if hub_id else None
    if path is None and not download:
        where = f"Hugging Face repo {hub_id}" if hub_id else "its pretrained config"
        raise WeightsError(f"{name}: its pretrained weights ({where}) are not in the local cache; cnnscope "
                           "never downloads unless asked: add --download")
    try:
        if path is not None and path.endswith(".bin"):
            state = torch.load(path, map_location="cpu", weights_only=True)
        else:
            overlay = {"file": path} if path is not None else None
            state = timm.create_model(arch, pretrained=True, pretrained_cfg_overlay=overlay).state_dict()
    except WeightsError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged cache file or no network: one line either way
        raise WeightsError(f"{name}: cannot read its pretrained weights ({_first_line(exc)})") from exc
    tag = cfg.get("tag") or hub_id or arch
    return state, f"timm pretrained weights ({tag}{', downloaded' if path is None else ''})"


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
