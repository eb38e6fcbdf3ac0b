"""Loading a user's image (PNG/JPEG) as a model input, and a copy for drawing on."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnscope.errors import InputError, UsageError, require_file
from cnnscope.i18n import N_, _

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


MIN_SIDE = 4
MAX_PIXELS = 89_478_485  # PIL's default Image.MAX_IMAGE_PIXELS: larger images are refused, not decoded


def open_image(source: str | Path):
    """An RGB PIL image from a PNG/JPEG path or ``digits:N`` (sample N of the embedded digits).

    16-bit images are scaled to 8 bits, palette and CMYK images converted, transparent pixels
    composited on white; images smaller than 4×4 are refused (nothing to see)."""
    from PIL import Image, UnidentifiedImageError

    if str(source).startswith("digits:"):
        return digits_image(str(source)[len("digits:"):])
    path = Path(source)
    require_file(path, InputError, N_("an image file"), N_("image file"))
    import warnings

    from cnnscope.errors import image_too_large

    limit = Image.MAX_IMAGE_PIXELS or MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > limit:  # before decoding a single pixel
                    raise InputError(_("{path}: {reason}").format(
                        path=path, reason=image_too_large(pixels=image.width * image.height, limit=limit)))
                image.load()
                picture = _to_rgb(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputError(_("{path}: {reason}").format(path=path, reason=image_too_large(str(exc), limit=limit))) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        reason = str(exc).split(" (")[0] if str(exc) else type(exc).__name__
        raise InputError(_("{path}: not a readable image ({reason})").format(path=path, reason=reason)) from None
    if min(picture.size) < MIN_SIDE:
        raise InputError(_("{path}: the image is {width}×{height}; it needs at least {MIN_SIDE}×{MIN_SIDE} pixels "
                           "to show anything").format(
                             path=path, width=picture.width, height=picture.height, MIN_SIDE=MIN_SIDE))
    return picture


def _to_rgb(image):
    from PIL import Image

    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
        return Image.fromarray((array / peak * 255).clip(0, 255).astype(np.uint8)).convert("RGB")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, image.convert("RGBA")).convert("RGB")
    return image.convert("RGB")


def digits_image(index_text: str):
    """Sample ``index`` of scikit-learn's handwritten digits (8×8, values 0..16) as an image."""
    from PIL import Image

    try:
        index = int(index_text)
    except ValueError:
        raise UsageError(_("digits:{index_text}: expected a sample number such as digits:17").format(
                             index_text=index_text)) from None
    from sklearn.datasets import load_digits

    images = load_digits().images
    if not 0 <= index < len(images):
        raise InputError(_("digits:{index}: the digits data set has samples 0..{n}").format(
                             index=index, n=len(images) - 1))
    array = (images[index] / 16.0 * 255).astype(np.uint8)
    return Image.fromarray(array, mode="L").convert("RGB")


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
        raise UsageError(_("cannot feed an RGB image to a model with {channels} input channels").format(
                             channels=channels))
    if mean is not None and std is not None and len(mean) == array.shape[0]:
        array = (array - np.array(mean, dtype=np.float32)[:, None, None]) / np.array(std, dtype=np.float32)[:, None, None]
    return torch.from_numpy(np.ascontiguousarray(array))[None], resized
