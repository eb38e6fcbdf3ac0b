"""Resolve what a user names -- a zoo name, ``timm:NAME``, ``file.py:Name``, a spec file or a
one-line spec -- to a module and its input."""

from __future__ import annotations

from dataclasses import dataclass

from cnnscope.zoo.registry import get_entry, is_prefixed, natural_inputs
from cnnscope.zoo.user_file import is_file_reference, load_user_model, missing_name


@dataclass
class LoadedModel:
    module: object  # nn.Module
    name: str
    input_shape: tuple[int, ...] | None  # C, H, W (no batch) when known
    normalization: tuple | None = None  # (mean, std) when known
    input_format: str = "tensor"  # "tensor", "image_list" (detection) or "image_pair" (optical flow)

    def natural_inputs(self) -> list[tuple[int, ...]] | None:
        """The input shapes ``analyze`` uses when none is given (see ``ModelEntry.natural_inputs``)."""
        return None if self.input_shape is None else natural_inputs(self.input_shape, self.input_format)


def load_model(source: str, device: str = "meta", input_shape=None) -> LoadedModel:
    """``input_shape`` (C, H, W) matters for specs only: their in_channels/in_features follow it."""
    from cnnscope.spec.compact import looks_compact
    from cnnscope.spec.load import is_spec_file

    if _is_prefixed_name(source):  # timm:NAME, or another namespace of the zoo
        return _from_zoo(source, device)
    if is_spec_file(source) or (looks_compact(source) and not _is_zoo_name(source)):
        from cnnscope.spec.build import build_from_spec

        module, plan = build_from_spec(source, device=device, input_shape=input_shape)
        return LoadedModel(module, plan.name, plan.input, None)
    if is_file_reference(source):
        module, shape = load_user_model(source, device=device)
        return LoadedModel(module, source.rpartition(":")[2], shape)
    missing_name(source)  # `net.py` without `:Name`: say what to write
    return _from_zoo(source, device)


def _from_zoo(source: str, device: str) -> LoadedModel:
    import cnnscope.zoo  # noqa: F401  (registers the groups and the timm: prefix)
    from cnnscope.zoo.meta_init import build_on

    entry = get_entry(source)
    module = build_on(device, entry.builder, **entry.kwargs)
    return LoadedModel(module, source, entry.input_shape, entry.normalization, entry.input_format)


def _is_prefixed_name(source: str) -> bool:
    """``prefix:NAME`` of a namespace the zoo registered (``registry.add_prefix``), and not a path."""
    import cnnscope.zoo  # noqa: F401  (registers the prefixes; imports no torch, no timm)

    from cnnscope.spec.load import is_spec_file

    return is_prefixed(source) and "/" not in source and not source.endswith(".py") and not is_spec_file(source)


def _is_zoo_name(source: str) -> bool:
    if not source.replace("_", "").isalnum():  # one-line specs have commas, dashes or brackets
        return False
    import cnnscope.zoo  # noqa: F401
    from cnnscope.zoo.registry import list_models

    return source in list_models()
