"""Every torchvision model, built as its default pretrained weights build it.

Classification: weights are never loaded: the builder is called with ``weights=None`` and the
keyword arguments the weights would have set (``aux_logits`` for GoogLeNet and Inception-v3, the
image size of SWAG ViTs, ...), so that parameter counts match torchvision's published
``num_params``.  The natural input is the weights' crop size.

Detection, segmentation, video and optical flow: their builders decide more from the weights
than keyword arguments can say (frozen batch norm and trainable layers in detection backbones,
the auxiliary head of FCN/DeepLabV3), so they are called *with* the DEFAULT weights while
``skip_weight_loading()`` turns the one download-and-load into a no-op.  Natural inputs:

* detection: a list of one 3×S×S image, S the size the model's own transform resizes a square
  image to (``min_size``: 800 for the R-CNNs, RetinaNet and FCOS, 320 for the MobileNet-320
  Faster R-CNN and SSDlite, 300 for SSD300);
* segmentation: 3×520×520 (the weights' ``resize_size``);
* video: 3×16×crop×crop (C×T×H×W, 16 frames, the weights' crop size);
* optical flow: a pair of 3×H×W images (RAFT; see ``OPTICAL_FLOW_SIZE``).
"""

from __future__ import annotations

from cnnscope.zoo.registry import ModelEntry, add_entry
from cnnscope.zoo.scoped_patch import ScopedPatch

GROUP_MODULES = ("detection", "segmentation", "video", "optical_flow")  # each group is its torchvision.models module
DETECTION_SIZES = {"fasterrcnn_mobilenet_v3_large_320_fpn": 320, "ssdlite320_mobilenet_v3_large": 320,
                   "ssd300_vgg16": 300}  # every other detection model: 800
SEGMENTATION_SIZE = 520
VIDEO_FRAMES = 16
OPTICAL_FLOW_SIZE = (368, 768)  # H, W of each image: torchvision's RAFT training crop on Things/Sintel (divisible by 8)


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


_SKIP = object()


def _skip_targets() -> list:
    from torch import nn
    from torchvision.models._api import WeightsEnum

    return [(WeightsEnum, "get_state_dict"), (nn.Module, "load_state_dict")]


def _skipping(get_state_dict, load_state_dict):
    def skipped_get_state_dict(self, *args, **kwargs):
        if _skip.active():
            return _SKIP
        return get_state_dict(self, *args, **kwargs)

    def skipping_load_state_dict(self, state_dict, *args, **kwargs):
        if state_dict is _SKIP:
            return None
        return load_state_dict(self, state_dict, *args, **kwargs)

    return skipped_get_state_dict, skipping_load_state_dict


_skip = ScopedPatch(_skip_targets, _skipping)


def skip_weight_loading():
    """Inside the block (and this thread), a torchvision builder given weights loads none.

    ``WeightsEnum.get_state_dict`` returns a marker instead of downloading, and
    ``nn.Module.load_state_dict`` ignores that marker; both are put back when the last block closes,
    also when it raises (``zoo/scoped_patch.py``, shared with ``meta_init.params_to_meta``)."""
    return _skip()


def _configured_builder(name: str):
    """Built as ``get_model(name, weights=DEFAULT)`` would build it, without loading the weights."""

    def build(**kwargs):
        from torchvision.models import get_model, get_model_weights

        with skip_weight_loading():
            return get_model(name, weights=get_model_weights(name).DEFAULT, **kwargs)

    build.__name__ = name
    return build


def natural_input(group: str, name: str, weights) -> tuple[tuple[int, ...], str]:
    """(input_shape, input_format) of a model of a non-classification group."""
    if group == "detection":
        size = DETECTION_SIZES.get(name, 800)
        return (3, size, size), "image_list"
    if group == "segmentation":
        return (3, SEGMENTATION_SIZE, SEGMENTATION_SIZE), "tensor"
    if group == "video":
        size = crop_size(weights)
        return (3, VIDEO_FRAMES, size, size), "tensor"
    return (3, *OPTICAL_FLOW_SIZE), "image_pair"


def register_all() -> None:
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
    for group in GROUP_MODULES:
        for name in list_models(module=getattr(torchvision.models, group)):
            weights = get_model_weights(name).DEFAULT
            shape, form = natural_input(group, name, weights)
            add_entry(ModelEntry(
                name=name, group=group, builder=_configured_builder(name), input_shape=shape,
                description=f"torchvision {name} (configured as {weights})",
                normalization=normalization(weights), input_format=form,
            ))
