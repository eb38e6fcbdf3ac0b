"""Loading a user's image (PNG/JPEG) as a model input, and a copy for drawing on."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnscope.errors import UsageError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def open_image(path: str | Path):
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such image file")
    try:
        with Image.open(path) as image:
            image.load()
            return image.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise UsageError(f"{path}: not a readable image ({exc})") from exc


def to_input(image, channels: int, size: tuple[int, int], mean=None, std=None):
    """(1, C, H, W) float tensor resized to ``size`` and the resized RGB picture for drawing."""
    import torch
    from PIL import Image

    height, width = size
    resized = image.resize((width, height), Image.BILINEAR)
    array = np.asarray(resized, dtype=np.float32) / 255.0  # H, W, 3
    if channels == 1:
        array = array @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        array = array[None]
    elif channels == 3:
        array = array.transpose(2, 0, 1)
    else:
        raise UsageError(f"cannot feed an RGB image to a model with {channels} input channels")
    if mean is not None and std is not None and len(mean) == array.shape[0]:
        array = (array - np.array(mean, dtype=np.float32)[:, None, None]) / np.array(std, dtype=np.float32)[:, None, None]
    return torch.from_numpy(np.ascontiguousarray(array))[None], resized
