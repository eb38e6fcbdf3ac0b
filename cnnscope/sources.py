"""Resolve what a user names -- a zoo name or ``file.py:Name`` -- to a module and its input."""

from __future__ import annotations

from dataclasses import dataclass

from cnnscope.zoo.registry import get_entry
from cnnscope.zoo.user_file import is_file_reference, load_user_model


@dataclass
class LoadedModel:
    module: object  # nn.Module
    name: str
    input_shape: tuple[int, ...] | None  # C, H, W (no batch) when known
    normalization: tuple | None = None  # (mean, std) when known


def load_model(source: str, device: str = "meta", input_shape=None) -> LoadedModel:
    """``input_shape`` (C, H, W) matters for specs only: their in_channels/in_features follow it."""
    from cnnscope.spec.compact import looks_compact
    from cnnscope.spec.load import is_spec_file

    if is_spec_file(source) or (looks_compact(source) and not _is_zoo_name(source)):
        from cnnscope.spec.build import build_from_spec

        module, plan = build_from_spec(source, device=device, input_shape=input_shape)
        return LoadedModel(module, plan.name, plan.input, None)
    if is_file_reference(source):
        module, shape = load_user_model(source, device=device)
        return LoadedModel(module, source.rpartition(":")[2], shape)
    import cnnscope.zoo  # noqa: F401  (registers the entries)
    from cnnscope.zoo.registry import build_model

    entry = get_entry(source)
    return LoadedModel(build_model(source, device=device), source, entry.input_shape, entry.normalization)


def _is_zoo_name(source: str) -> bool:
    if not source.replace("_", "").isalnum():  # one-line specs have commas, dashes or brackets
        return False
    import cnnscope.zoo  # noqa: F401
    from cnnscope.zoo.registry import list_models

    return source in list_models()
