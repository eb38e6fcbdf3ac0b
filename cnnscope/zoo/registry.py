"""A strict registry of buildable models: duplicate names raise, lookups suggest.

Entries hold a builder and the model's natural input; building is always explicit about the
device so that analysis can build on ``meta`` (no weights allocated).
"""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass, field
from typing import Callable

from cnnscope.errors import ModelNotFoundError, UsageError
from cnnscope.i18n import N_, _


@dataclass(frozen=True)
class ModelEntry:
    name: str
    group: str  # one of GROUPS: "tutorial", "torchvision" (classification), "detection", ...
    builder: Callable  # keyword-only kwargs -> nn.Module
    input_shape: tuple[int, ...]  # one input without the batch: C, H, W (video: C, T, H, W)
    description: str = ""
    kwargs: dict = field(default_factory=dict)
    normalization: tuple | None = None  # (mean, std) per channel the model was trained with
    # How the model is called: "tensor" (a batch of 1 of ``input_shape``), "image_list" (a list of
    # one C×H×W image: torchvision detection) or "image_pair" (two batches of 1: optical flow).
    input_format: str = "tensor"

    def natural_inputs(self) -> list[tuple[int, ...]]:
        """The shapes ``analyze`` is given by default (a batch of 1; images of a list have none)."""
        return natural_inputs(self.input_shape, self.input_format)

    def input_text(self) -> str:
        """The natural input as shown by ``cnnscope list``: ``3×224×224``, ``[3×800×800]``, ``2 × 3×520×960``."""
        shape = "×".join(map(str, self.input_shape))
        return {"image_list": f"[{shape}]", "image_pair": f"2 × {shape}"}.get(self.input_format, shape)


def natural_inputs(input_shape, input_format: str) -> list[tuple[int, ...]]:
    """The default input shapes of a model called as ``input_format`` with one input of ``input_shape``."""
    if input_format == "image_list":
        return [tuple(input_shape)]
    one = (1, *input_shape)
    return [one, one] if input_format == "image_pair" else [one]


# The groups in the order ``cnnscope list`` shows them: (group, title).
GROUPS = (
    ("tutorial", N_("Tutorial nets")),
    ("torchvision", N_("torchvision classification models")),
    ("detection", N_("torchvision detection models (input: a list of one image)")),
    ("segmentation", N_("torchvision segmentation models")),
    ("video", N_("torchvision video models (input: C×T×H×W clips)")),
    ("optical_flow", N_("torchvision optical-flow models (input: a pair of images)")),
    ("timm", N_("timm models (PyTorch Image Models; built without pretrained weights)")),
)
GROUP_ALIASES = {"classification": "torchvision", "optical-flow": "optical_flow", "flow": "optical_flow"}


_REGISTRY: dict[str, ModelEntry] = {}
_LOADERS: list[Callable[[], None]] = []  # lazy groups (tutorial, torchvision): run in order, on first need
# Namespaces such as "timm:": prefix -> (resolve(name) -> ModelEntry, entries(pattern) -> [ModelEntry]).
# Their names are never loaded into _REGISTRY: timm has over a thousand.
_PREFIXES: dict[str, tuple[Callable, Callable]] = {}


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


def add_prefix(prefix: str, resolve: Callable[[str], ModelEntry], entries: Callable[[str], list]) -> None:
    """Names ``prefix:NAME`` are resolved by ``resolve(NAME)`` and listed by ``entries(pattern)``."""
    if prefix in _PREFIXES:
        raise ValueError(f"the prefix {prefix!r} is already registered")
    _PREFIXES[prefix] = (resolve, entries)


def _prefixed(name: str):
    prefix, colon, rest = name.partition(":")
    return (_PREFIXES.get(prefix), rest) if colon and prefix in _PREFIXES else (None, name)


def is_prefixed(name: str) -> bool:
    """Whether ``name`` is ``prefix:NAME`` of a registered namespace (``timm:resnet50``); the prefixes
    are registered by importing ``cnnscope.zoo``."""
    return _prefixed(name)[0] is not None


def canonical_group(group: str) -> str:
    """``--group`` as given (``classification``, ``optical-flow``, ...) -> a group name; unknown raises."""
    group = GROUP_ALIASES.get(group.lower(), group.lower())
    if group not in {g for g, _unused in GROUPS}:
        names = ", ".join(g for g, _unused in GROUPS)
        raise UsageError(_("unknown group {group!r}; the groups are {names}").format(group=group, names=names))
    return group


def _load_all(until: str | None = None) -> None:
    """Run the pending lazy groups, in order; with ``until``, stop once that name is registered."""
    while _LOADERS and (until is None or until not in _REGISTRY):
        _LOADERS.pop(0)()


def get_entry(name: str) -> ModelEntry:
    namespace, rest = _prefixed(name)
    if namespace is not None:
        return namespace[0](rest)
    if name not in _REGISTRY:
        _load_all(until=name)
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=3, cutoff=0.6)
        hint = (_("; did you mean {names}?").format(names=", ".join(close)) if close
                else _("; `cnnscope list` shows them all"))
        raise ModelNotFoundError(_("unknown model {name!r}{hint}").format(name=name, hint=hint))
    return _REGISTRY[name]


def list_entries(include: str | list[str] | None = None, exclude: str | list[str] | None = None) -> list[ModelEntry]:
    """Entries whose names match any ``include`` pattern and no ``exclude`` pattern (fnmatch).

    A pattern with a registered prefix (``timm:*convnext*``) lists that namespace; plain patterns
    list the registry only (``prefix_entries`` lists a whole namespace)."""
    includes = [include] if isinstance(include, str) else include or ["*"]
    excludes = [exclude] if isinstance(exclude, str) else exclude or []
    plain = [p for p in includes if _prefixed(p)[0] is None]
    found: dict[str, ModelEntry] = {}
    if plain:
        _load_all()
        found.update((name, entry) for name, entry in sorted(_REGISTRY.items())
                     if any(fnmatch.fnmatchcase(name, p) for p in plain))
    for pattern in includes:
        namespace, rest = _prefixed(pattern)
        if namespace is not None:
            found.update((entry.name, entry) for entry in namespace[1](rest))
    return [entry for name, entry in found.items() if not any(fnmatch.fnmatchcase(name, p) for p in excludes)]


def prefix_entries(prefix: str, pattern: str = "*") -> list[ModelEntry]:
    """Every entry of one namespace (``timm``) that matches ``pattern`` (without the prefix)."""
    return _PREFIXES[prefix][1](pattern) if prefix in _PREFIXES else []


def list_models(include: str | list[str] | None = None, exclude: str | list[str] | None = None) -> list[str]:
    return [entry.name for entry in list_entries(include, exclude)]


def build_model(name: str, *, device="cpu", **kwargs):
    """Build a registered model with random weights on ``device`` (``"meta"``: none allocated)."""
    from cnnscope.zoo.meta_init import build_on

    entry = get_entry(name)
    return build_on(device, entry.builder, **{**entry.kwargs, **kwargs})
