"""``timm:NAME``: any model of timm (PyTorch Image Models), built without pretrained weights.

timm is optional (``pip install "cnnscope[timm]"``).  Importing this module imports neither
torch nor timm: it only registers the ``timm`` prefix with the registry.

* Resolving ``timm:NAME`` imports timm (it is about to build the model anyway) and reads the
  natural input (``input_size``) and normalisation from the model's default pretrained config;
  the model is built with ``timm.create_model(NAME, pretrained=False)``, so nothing is downloaded.
* Listing (``cnnscope list 'timm:*convnext*'``) reads a name list cached per timm version
  (``~/.cache/cnnscope/timm-names-<version>.json``, or beside ``CNNSCOPE_CACHE``'s folder), so
  it imports no torch; the first listing after installing or upgrading timm writes it.
  ``CNNSCOPE_CACHE=0`` turns the file off (the list is then computed every time).
"""

from __future__ import annotations

import difflib
import fnmatch
import json
from importlib import metadata
from pathlib import Path

from cnnscope.errors import ModelNotFoundError
from cnnscope.zoo.registry import ModelEntry, add_prefix
from cnnscope.i18n import _

PREFIX = "timm"
INSTALL_HINT = "timm is not installed: pip install \"cnnscope[timm]\" (or pip install timm)"
DEFAULT_INPUT = (3, 224, 224)


def timm_version() -> str | None:
    try:
        return metadata.version("timm")
    except metadata.PackageNotFoundError:
        return None


def _require_timm() -> str:
    version = timm_version()
    if version is None:
        raise ModelNotFoundError(INSTALL_HINT)
    return version


def _cache_file(version: str) -> Path | None:
    """Beside the report cache (in the parent of its folder), off when it is off."""
    from cnnscope.cache import directory

    reports = directory()
    return None if reports is None else reports.parent / f"timm-names-{version}.json"


def _config(name: str) -> tuple[tuple[int, ...], tuple | None]:
    """(input_size, (mean, std)) from the model's default pretrained config (timm imported)."""
    from timm.models import get_pretrained_cfg

    cfg = get_pretrained_cfg(name)
    if cfg is None:
        return DEFAULT_INPUT, None
    shape = tuple(int(s) for s in (cfg.input_size or DEFAULT_INPUT))
    norm = (tuple(cfg.mean), tuple(cfg.std)) if cfg.mean and cfg.std else None
    return shape, norm


def _compute_names() -> dict[str, list]:
    import timm

    table = {}
    for name in timm.list_models():
        try:
            shape, norm = _config(name)
        except Exception:  # noqa: BLE001 - a config timm cannot give: the default input
            shape, norm = DEFAULT_INPUT, None
        table[name] = [list(shape), [list(norm[0]), list(norm[1])] if norm else None]
    return table


def name_table() -> dict[str, list]:
    """{name: [input_size, [mean, std] or None]} of every timm model, cached per timm version."""
    version = _require_timm()
    path = _cache_file(version)
    if path is not None and path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("timm") == version:
                return data["models"]
        except (OSError, ValueError, KeyError):
            pass  # a damaged file is rewritten below
    table = _compute_names()
    if path is not None:
        from cnnscope.files import write_text_atomic

        try:  # never failing the command on a read-only or full disk
            path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(path, json.dumps({"timm": version, "models": table}))
        except OSError:
            pass
    return table


def _builder(name: str):
    def build(**kwargs):
        import timm

        return timm.create_model(name, pretrained=False, **kwargs)

    build.__name__ = name.replace(".", "_")
    return build


def _entry(name: str, shape, norm) -> ModelEntry:
    return ModelEntry(name=f"{PREFIX}:{name}", group="timm", builder=_builder(name), input_shape=tuple(shape),
                      description=f"timm {name} (no pretrained weights)",
                      normalization=(tuple(norm[0]), tuple(norm[1])) if norm else None)


def resolve(name: str) -> ModelEntry:
    """The entry of ``timm:NAME`` (``NAME`` may carry a pretrained tag: ``convnext_tiny.fb_in22k``)."""
    _require_timm()
    import timm

    if not name or not timm.is_model(name):
        names = timm.list_models()
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        if not close:
            close = [n for n in names if name and name.split("_")[0] in n][:3]
        hint = (_("; did you mean {names}?").format(names=", ".join(PREFIX + ":" + n for n in close)) if close
                else "; `cnnscope list 'timm:*'` shows them all")
        raise ModelNotFoundError(_("unknown timm model {name!r}{hint}").format(name=name, hint=hint))
    shape, norm = _config(name)
    return _entry(name, shape, norm)


def entries(pattern: str = "*") -> list[ModelEntry]:
    """timm entries whose names (without ``timm:``) match ``pattern``, from the cached list."""
    return [_entry(name, shape, norm) for name, (shape, norm) in sorted(name_table().items())
            if fnmatch.fnmatchcase(name, pattern or "*")]


def installed() -> bool:
    return timm_version() is not None


add_prefix(PREFIX, resolve, entries)
