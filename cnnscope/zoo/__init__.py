"""Model zoo: tutorial nets, every torchvision classification model, and user files."""

from cnnscope.zoo import torchvision_models, tutorial  # noqa: F401  (register entries)
from cnnscope.zoo.registry import (ModelEntry, build_model, get_entry, list_entries, list_models,
                                   register_model)

__all__ = ["ModelEntry", "build_model", "get_entry", "list_entries", "list_models", "register_model"]
