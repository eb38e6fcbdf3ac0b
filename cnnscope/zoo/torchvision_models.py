"""Every torchvision classification model, built as its default pretrained weights build it.

Weights are never loaded: the builder is called with ``weights=None`` and the keyword
arguments the weights would have set (``aux_logits`` for GoogLeNet and Inception-v3, the image
size of SWAG ViTs, ...), so that parameter counts match torchvision's published ``num_params``.
The natural input is the weights' crop size.
"""

from __future__ import annotations

from cnnscope.zoo.registry import ModelEntry, add_entry, add_lazy_group


def weights_config(name: str, weights) -> dict:
    """The constructor kwargs that ``get_model(name, weights=weights)`` uses, without loading."""
    meta = weights.meta
    config: dict = {}
    if meta.get("categories") is not None:  # VGG16's IMAGENET1K_FEATURES has none
        config["num_classes"] = len(meta["categories"])
    if name == "googlenet":
        # Built with aux heads for loading, which are then dropped: the published model has none.
        config.update(aux_logits=False, transform_input=True, init_weights=False)
    elif name == "inception_v3":
        config.update(aux_logits=True, transform_input=True, init_weights=False)
    elif name.startswith("vit_"):
        config["image_size"] = meta["min_size"][0]
    elif name.startswith("maxvit_"):
        config["input_size"] = tuple(meta["min_size"])
    return config


def crop_size(weights) -> int:
    transforms = weights.transforms
    keywords = getattr(transforms, "keywords", {}) or {}
    size = keywords.get("crop_size", 224)
    return int(size[0] if isinstance(size, (tuple, list)) else size)


def normalization(weights) -> tuple:
    keywords = getattr(weights.transforms, "keywords", {}) or {}
    return (tuple(keywords.get("mean", (0.485, 0.456, 0.406))), tuple(keywords.get("std", (0.229, 0.224, 0.225))))


def _builder(name: str):
    def build(**kwargs):
        import torchvision

        return torchvision.models.get_model(name, weights=None, **kwargs)

    build.__name__ = name
    return build


def _register_all() -> None:
    import torchvision
    from torchvision.models import get_model_weights, list_models

    for name in list_models(module=torchvision.models):
        weights = get_model_weights(name).DEFAULT
        add_entry(ModelEntry(
            name=name, group="torchvision", builder=_builder(name),
            input_shape=(3, crop_size(weights), crop_size(weights)),
            description=f"torchvision {name} (configured as {weights})",
            kwargs=weights_config(name, weights), normalization=normalization(weights),
        ))


add_lazy_group(_register_all)
