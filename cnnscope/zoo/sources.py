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


def load_model(source: str, device: str = "meta") -> LoadedModel:
    if is_file_reference(source):
        module, shape = load_user_model(source, device=device)
        return LoadedModel(module, source.rpartition(":")[2], shape)
    import cnnscope.zoo  # noqa: F401  (registers the entries)
    from cnnscope.zoo.registry import build_model

    entry = get_entry(source)
    return LoadedModel(build_model(source, device=device), source, entry.input_shape, entry.normalization)
