"""Model zoo: tutorial nets, torchvision's models (classification, detection, segmentation, video,
optical flow), timm models by ``timm:NAME``, and user files.

Importing the package imports no torch: every group registers itself on first need
(``registry.add_lazy_group``), so ``cnnscope list 'timm:*'`` can run from a cached name list.
"""

from cnnscope.zoo import registry as _registry
from cnnscope.zoo.registry import (GROUPS, ModelEntry, build_model, get_entry, list_entries, list_models,
                                   prefix_entries, register_model)


def _load_tutorial() -> None:
    import cnnscope.zoo.tutorial  # noqa: F401  (its decorators register the entries)


def _load_torchvision() -> None:
    from cnnscope.zoo import torchvision_models

    torchvision_models.register_all()


_registry.add_lazy_group(_load_tutorial)
_registry.add_lazy_group(_load_torchvision)

from cnnscope.zoo import timm_models  # noqa: E402,F401  (registers the "timm:" prefix; imports no timm)

__all__ = ["GROUPS", "ModelEntry", "build_model", "get_entry", "list_entries", "list_models", "prefix_entries",
           "register_model"]
