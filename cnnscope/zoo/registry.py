"""A strict registry of buildable models: duplicate names raise, lookups suggest.

Entries hold a builder and the model's natural input; building is always explicit about the
device so that analysis can build on ``meta`` (no weights allocated).
"""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass, field
from typing import Callable

from cnnscope.errors import ModelNotFoundError


@dataclass(frozen=True)
class ModelEntry:
    name: str
    group: str  # "tutorial" | "torchvision"
    builder: Callable  # keyword-only kwargs -> nn.Module
    input_shape: tuple[int, ...]  # C, H, W
    description: str = ""
    kwargs: dict = field(default_factory=dict)
    normalization: tuple | None = None  # (mean, std) per channel the model was trained with


_REGISTRY: dict[str, ModelEntry] = {}
_LOADERS: list[Callable[[], None]] = []  # lazy groups (torchvision): registered on first need
_loaded = False


def register_model(name: str, *, group: str, input_shape: tuple[int, ...], description: str = "", **kwargs):
    """Decorator: register ``builder`` under ``name``; a second registration of a name raises."""

    def decorator(builder):
        add_entry(ModelEntry(name, group, builder, tuple(input_shape), description, kwargs))
        return builder

    return decorator


def add_entry(entry: ModelEntry) -> None:
    if entry.name in _REGISTRY:
        raise ValueError(f"a model named {entry.name!r} is already registered")
    _REGISTRY[entry.name] = entry


def add_lazy_group(loader: Callable[[], None]) -> None:
    _LOADERS.append(loader)


def _load_all() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for loader in _LOADERS:
            loader()


def get_entry(name: str) -> ModelEntry:
    if name not in _REGISTRY:
        _load_all()
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `cnnscope list` shows them all"
        raise ModelNotFoundError(f"unknown model {name!r}{hint}")
    return _REGISTRY[name]


def list_entries(include: str | list[str] | None = None, exclude: str | list[str] | None = None) -> list[ModelEntry]:
    """Entries whose names match any ``include`` pattern and no ``exclude`` pattern (fnmatch)."""
    _load_all()
    includes = [include] if isinstance(include, str) else include or ["*"]
    excludes = [exclude] if isinstance(exclude, str) else exclude or []
    return [
        entry for name, entry in sorted(_REGISTRY.items())
        if any(fnmatch.fnmatchcase(name, p) for p in includes)
        and not any(fnmatch.fnmatchcase(name, p) for p in excludes)
    ]


def list_models(include: str | list[str] | None = None, exclude: str | list[str] | None = None) -> list[str]:
    return [entry.name for entry in list_entries(include, exclude)]


def build_model(name: str, *, device="cpu", **kwargs):
    """Build a registered model with random weights on ``device`` (``"meta"``: none allocated)."""
    from cnnscope.zoo.meta_init import build_on

    entry = get_entry(name)
    return build_on(device, entry.builder, **{**entry.kwargs, **kwargs})
