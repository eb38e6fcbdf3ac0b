"""Weights files a user hands in: always ``torch.load(..., weights_only=True)``.

Accepted: a bare state_dict, or a checkpoint dict holding one under ``state_dict``, ``model``
or ``model_state_dict`` (what ``cnnscope train`` writes).  Every reader of such a file goes
through here: ``read_weights_file`` (the one ``torch.load``), ``load_state_dict`` (the tensors),
``check_state_dict`` (keys and shapes against a model), and ``load_weights`` /
``load_pretrained_weights`` / ``apply_state_dict``, which check and then load into a model.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from cnnscope.errors import WeightsError, require_file
from cnnscope.i18n import N_, _, ngettext

# what the file is called in a message -> the same with its article (``is a folder, not a checkpoint``)
_A_KIND = {"weights file": N_("a weights file"), "checkpoint": N_("a checkpoint"), "tensor file": N_("a tensor file")}
_NESTED_KEYS = ("state_dict", "model_state_dict", "model")


def read_weights_file(path: str | Path, what: str = N_("weights file")):
    """What ``path`` holds, read with ``torch.load(..., weights_only=True)`` onto the CPU; a missing or
    unreadable file is a one-line WeightsError that calls it a ``what``."""
    import pickle
    import re
    import warnings

    path = Path(path)
    require_file(path, WeightsError, _A_KIND.get(what, what), what)
    if path.stat().st_size == 0:  # an empty upload or a save cut short: say so, not torch's EOFError
        raise WeightsError(_("{path}: the file is empty (0 bytes), not a PyTorch {what}").format(path=path, what=_(what)))
    try:
        with warnings.catch_warnings():  # torch's advice to pass weights_only=False is not for us to give
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True, mmap=_is_zip(path))
    except pickle.UnpicklingError as exc:
        if "Weights only load failed" not in str(exc) or "GLOBAL" not in str(exc):
            # torch's own text goes on to suggest weights_only=False: advice to run the file's code, never ours
            raise WeightsError(_("{path}: not a readable PyTorch {what}: torch.save writes a zip of tensors and "
                                 "this file is not one that loads safely ({exc}); save model.state_dict() with "
                                 "torch.save").format(path=path, what=_(what), exc=_unpickler_reason(exc))) from None
        found = re.search(r"GLOBAL (\S+)", str(exc))
        detail = f" ({found.group(1)})" if found else ""
        raise WeightsError(_("{path}: holds Python objects{detail}, not only tensors; it is refused for safety "
                             "(cnnscope loads weights with weights_only=True): save model.state_dict() instead").format(
                               path=path, detail=detail)) from None
    except Exception as exc:  # noqa: BLE001 - a corrupt file can fail in any layer of the unpickler
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        reason = first if len(first) > 12 else f"{type(exc).__name__}{': ' + first if first else ''}"
        raise WeightsError(_("{path}: not a readable PyTorch {what} ({reason})").format(
                               path=path, what=_(what), reason=reason)) from exc


def _unpickler_reason(exc) -> str:
    """What torch's safe unpickler stopped at (``Unsupported operand 146``), without torch's advice around it."""
    import re

    found = re.search(r"WeightsUnpickler error:\s*(.+)", str(exc))
    return found.group(1).strip()[:200] if found else "not a pickle of tensors"


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
        raise WeightsError(_("{path}: holds a {name}, not a state_dict of tensors").format(
                               path=path, name=type(data).__name__))
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
    mismatched = [_("{key} {shape} vs model {expected}").format(key=k, shape=tuple(state[k].shape),
                                                                expected=tuple(v.shape))
                  for k, v in expected.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]
    problems = []
    for label, items in ((N_("missing keys: {keys}"), missing), (N_("unexpected keys: {keys}"), unexpected),
                         (N_("shape mismatches: {keys}"), mismatched)):
        if items:
            shown = ", ".join(items[:3]) + (_(", … ({n} in all)").format(n=len(items)) if len(items) > 3 else "")
            problems.append(_(label).format(keys=shown))
    if problems:
        raise WeightsError(_("{source} do not fit the model: {problems}").format(source=source,
                                                                                problems="; ".join(problems)))


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


def load_pretrained_weights(model: nn.Module, name: str, download: bool = False, progress=None) -> str:
    """The pretrained weights of zoo model ``name`` into ``model`` (torchvision's DEFAULT, or timm's
    default tag for ``timm:NAME``), from the local cache unless ``download`` (``progress(done, total)``
    follows a torchvision download); returns where they came from."""
    if name.startswith("timm:"):
        state, origin = load_timm_pretrained(model, name, download=download)
        apply_state_dict(model, state, source=f"{name}'s pretrained weights")
        return origin
    apply_state_dict(model, load_pretrained(name, download=download, progress=progress), source=f"{name}'s pretrained weights")
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
        where = _("Hugging Face repo {hub_id}").format(hub_id=hub_id) if hub_id else _("its pretrained config")
        raise WeightsError(_("{name}: its pretrained weights ({where}) are not in the local cache; cnnscope never "
                             "downloads unless asked: add --download").format(name=name, where=where))
    try:
        if path is not None and path.endswith(".bin"):
            state = torch.load(path, map_location="cpu", weights_only=True)
        else:
            overlay = {"file": path} if path is not None else None
            state = timm.create_model(arch, pretrained=True, pretrained_cfg_overlay=overlay).state_dict()
    except WeightsError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged cache file or no network: one line either way
        raise WeightsError(_("{name}: cannot read its pretrained weights ({exc})").format(
                               name=name, exc=_first_line(exc))) from exc
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
        detail = _("{model} on {dataset}").format(model=parts[0], dataset=parts[1]) if len(parts) == 2 else "".join(parts)
        if epochs:  # a picture's title, in the reader's language
            count = ngettext("{n} epoch", "{n} epochs", epochs).format(n=epochs)
            detail = _("{detail}, {epochs}").format(detail=detail, epochs=count) if detail else count
        if detail:
            return _("cnnscope train checkpoint {file} ({detail})").format(file=path.name, detail=detail)
        return _("cnnscope train checkpoint {file}").format(file=path.name)
    if isinstance(data, dict) and any(isinstance(data.get(k), dict) for k in _NESTED_KEYS):
        return _("checkpoint {file}").format(file=path.name)
    return f"state_dict {path.name}"


def pretrained_cache_path(name: str) -> Path:
    """Where torch.hub keeps torchvision's DEFAULT weights for ``name`` (may not exist); ``TORCH_HOME``
    is read at call time (``torch.hub.get_dir``)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(_torchvision_weights(name).url).name


@dataclass(frozen=True)
class PretrainedFile:
    """torchvision's DEFAULT weights of one model: where they come from and where the cache keeps them."""

    name: str          # the torchvision model name
    tag: str           # the weights' name, e.g. IMAGENET1K_V1
    url: str
    path: Path         # the torch hub cache file (it may not exist)
    size_mb: float | None  # torchvision's ``_file_size`` (MB), when its metadata has one
    categories: tuple[str, ...] | None = field(default=None, repr=False)  # the output's class names, when known

    @property
    def cached(self) -> bool:
        return self.path.is_file()

    @property
    def size_text(self) -> str:
        return f"{self.size_mb:,.1f} MB" if self.size_mb else "size unknown"


def pretrained_file(name: str) -> PretrainedFile:
    """The DEFAULT pretrained weights of torchvision model ``name``; a model without any is a one-line
    WeightsError (``pretrained_reason`` says why in words)."""
    weights = _torchvision_weights(name)
    size = weights.meta.get("_file_size")
    categories = weights.meta.get("categories")
    return PretrainedFile(name, weights.name, weights.url,
                          Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name,
                          float(size) if size else None, tuple(categories) if categories else None)


def pretrained_reason(name: str) -> str | None:
    """None when ``name`` has torchvision pretrained weights; else why not, in words."""
    try:
        _torchvision_weights(name)
    except WeightsError as error:
        return str(error)
    return None


def _torchvision_weights(name: str):
    from torchvision.models import get_model_weights, list_models

    if name not in list_models():
        raise WeightsError(_("{name} is not a torchvision model, so it has no pretrained weights").format(name=name))
    try:
        weights = get_model_weights(name).DEFAULT
    except (ValueError, KeyError, AttributeError):
        raise WeightsError(_("{name} has no torchvision pretrained weights").format(name=name)) from None
    return weights


def load_pretrained(name: str, download: bool = False, progress=None) -> dict:
    """torchvision's DEFAULT weights from the local torch hub cache; downloads only if asked
    (``download_pretrained``: ``progress(done_bytes, total_bytes)`` follows it)."""
    info = pretrained_file(name)
    if not info.cached:
        if not download:
            raise WeightsError(_("torchvision's pretrained weights for {name} are not in the local cache ({path}); "
                                 "pass --download to fetch them ({size_text}, needs internet)").format(
                                   name=name, path=info.path, size_text=info.size_text))
        download_pretrained(info, progress=progress)
    return _renamed(name, load_state_dict(info.path))


def download_pretrained(info: PretrainedFile, progress=None) -> Path:
    """Fetch ``info``'s file into the torch hub cache, its hash checked as torch.hub's ``check_hash``
    does; a failure is one WeightsError naming the URL and the cache path to put the file at."""
    hashed = torch.hub.HASH_REGEX.search(Path(info.url).name)
    try:
        return download_file(info.url, info.path, hash_prefix=hashed.group(1) if hashed else None,
                             progress=progress)
    except WeightsError as error:
        raise WeightsError(_("{error}; without internet here, fetch that URL elsewhere and put the file at {path}").format(
                               error=error, path=info.path)) from None


def download_file(url: str, path: str | Path, hash_prefix: str | None = None, progress=None,
                  chunk_bytes: int = 1 << 20) -> Path:
    """``url`` into ``path``, in chunks, through a temporary file in the same folder renamed into
    place only when complete and (``hash_prefix``) its SHA-256 starts with that prefix: an
    interrupted or corrupt download never leaves a file at ``path``.  ``progress(done, total)`` is
    called after each chunk (``total`` None when the server does not say).  One-line WeightsError."""
    import hashlib
    import http.client
    import os
    import tempfile
    import urllib.request

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".partial", dir=path.parent)
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - torchvision's URL
                    length = response.headers.get("Content-Length")
                    total = int(length) if length and length.isdigit() else None
                    done = 0
                    while True:
                        block = response.read(chunk_bytes)
                        if not block:
                            break
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress is not None:
                            progress(done, total)
            except (OSError, ValueError, http.client.HTTPException) as exc:  # no network, timeouts, HTTP
                # errors, a bad URL, a connection cut short (IncompleteRead)
                reason = getattr(exc, "reason", None) or exc  # URLError wraps the socket's error
                text = _first_line(reason) if isinstance(reason, BaseException) else str(reason)
                raise WeightsError(_("downloading {url} failed ({text})").format(url=url, text=text)) from None
        if total is not None and done != total:
            raise WeightsError(_("downloading {url} failed (got {done:,} of {total:,} bytes)").format(
                                   url=url, done=done, total=total))
        if hash_prefix and not digest.hexdigest().startswith(hash_prefix):
            raise WeightsError(_("downloading {url} failed: its SHA-256 {hexdigest}… does not start with "
                                 "{hash_prefix}, the prefix in its file name (a damaged download)").format(
                                   url=url, hexdigest=digest.hexdigest()[:12], hash_prefix=hash_prefix))
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path


def _renamed(name: str, state: dict) -> dict:
    """torchvision's densenet files predate its module names (``norm.1`` for ``norm1``): renamed as
    torchvision's own ``densenet._load_state_dict`` does."""
    if not name.startswith("densenet"):
        return state
    import re

    pattern = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")
    renamed = {}
    for key, value in state.items():
        found = pattern.match(key)
        renamed[found.group(1) + found.group(2) if found else key] = value
    return renamed
