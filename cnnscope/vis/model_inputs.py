"""A model input from what a user hands in (a front-end concern: pictures are decoded here, with vis.images): a picture (PNG/JPEG, ``digits:N``), resized and
normalised as the model expects, or a tensor file (``x.pt``, ``x.npy``) used exactly as it is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from cnnscope.errors import InputError, UsageError
from cnnscope.i18n import N_, _

TENSOR_SUFFIXES = (".pt", ".pth", ".npy")


def is_tensor_file(source: str) -> bool:
    return Path(str(source)).suffix.lower() in TENSOR_SUFFIXES


def tensor_input(path: str, expected: tuple[int, ...] | None, dtype: torch.dtype) -> torch.Tensor:
    """The tensor in ``path`` as a batch of one, unchanged but for the model's float type: C×H×W or
    1×C×H×W (``expected``: the model's C×H×W, whose channels must match).  ``.pt`` files are read
    with ``weights_only=True``; ``.npy`` files without pickles."""
    from cnnscope.errors import require_file

    source = Path(path)
    require_file(source, InputError, N_("a tensor file"), N_("tensor file"))
    if source.suffix.lower() == ".npy":
        try:
            array = np.load(source, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise InputError(_("{source}: not a readable .npy array ({value})").format(
                                 source=source, value=str(error).splitlines()[0] or 'empty')) from None
        if not np.issubdtype(array.dtype, np.number):
            raise InputError(_("{source}: holds {dtype} values, not numbers").format(source=source, dtype=array.dtype))
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    else:
        from cnnscope.weights import read_weights_file

        tensor = read_weights_file(source, what=N_("tensor file"))
        if not isinstance(tensor, torch.Tensor):
            raise InputError(_("{source}: holds a {name}, not a tensor (save one with torch.save(x, path))").format(
                                 source=source, name=type(tensor).__name__))
    want = "×".join(map(str, expected)) if expected else "C×H×W"
    shape = "×".join(map(str, tensor.shape)) or "a scalar"
    rank = len(expected) if expected else tensor.dim() - (tensor.dim() > 3)
    if tensor.dim() == rank:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() != rank + 1 or tensor.shape[0] != 1 or (expected and tensor.shape[1] != expected[0]):
        raise InputError(_("{source}: a tensor of shape {shape}; the model takes {want} (or 1×{want})").format(
                             source=source, shape=shape, want=want))
    if not tensor.is_floating_point() or tensor.dtype != dtype:
        tensor = tensor.to(dtype)
    if not bool(torch.isfinite(tensor).all()):
        bad = int((~torch.isfinite(tensor)).sum())
        raise InputError(_("{source}: {bad:,} of its {numel:,} values are NaN or infinite; explain needs finite "
                           "numbers").format(source=source, bad=bad, numel=tensor.numel()))
    return tensor


def picture_input(source: str, channels: int, size: tuple[int, int], mean=None, std=None):
    """(1×C×H×W tensor, the resized picture as H×W×3 floats in 0..1 for drawing)."""
    from cnnscope.vis.images import open_image, to_input

    picture = open_image(source)
    tensor, resized = to_input(picture, channels, size, mean, std)
    return tensor, np.asarray(resized, dtype=np.float32) / 255.0


def drawable(tensor: torch.Tensor) -> np.ndarray | None:
    """A tensor input as a picture to draw on: H×W×3 in 0..1 (each channel stretched to its range)."""
    if tensor.dim() != 4 or tensor.shape[1] not in (1, 3):
        return None
    array = tensor[0].detach().double().cpu().numpy()
    low, high = array.min(), array.max()
    array = (array - low) / (high - low) if high > low else np.zeros_like(array)
    return np.repeat(array, 3, axis=0).transpose(1, 2, 0) if array.shape[0] == 1 else array.transpose(1, 2, 0)


def one_input(loaded) -> None:
    """UsageError unless the model takes one image tensor (explain follows one input)."""
    if loaded.input_format == "image_pair":
        raise UsageError(_("{name} takes two inputs (a pair of frames); explain takes a model with one input").format(
                             name=loaded.name))
    shapes = loaded.natural_inputs()
    if shapes is not None and len(shapes) > 1:
        raise UsageError(_("{name} takes {n} inputs; explain takes a model with one input").format(
                             name=loaded.name, n=len(shapes)))
    required = _required_inputs(loaded.module)
    if len(required) > 1:
        raise UsageError(_("{name} takes {n} inputs ({required}); explain takes a model with one input").format(
                             name=loaded.name, n=len(required), required=', '.join(required)))
    if loaded.input_format == "image_list":
        raise UsageError(_("{name} is a detection model that takes a list of images; explain takes a model with "
                           "one tensor input").format(name=loaded.name))


def run_input(source: str, config: dict):
    """The input a training run's model was fed, for picture ``source``: ``digits:N`` of a run trained
    on digits goes through the training pipeline itself (8×8 values 0..16, resized bilinearly, the
    run's normalisation); any other picture is resized and normalised with the run's statistics.
    (1×C×H×W tensor, H×W×3 picture in 0..1 for drawing)."""
    from cnnscope.train.adapt import InputAdapter

    shape = tuple(config.get("input_shape") or ())
    norm = config.get("normalization") or {}
    mean, std = norm.get("mean"), norm.get("std")
    if len(shape) != 3:
        raise UsageError(_("the run does not record the input shape its model was trained on"))
    if str(source).startswith("digits:") and config.get("dataset") == "digits":
        from cnnscope.train.datasets import load_digits
        from cnnscope.vis.images import digits_image

        digits_image(str(source)[len("digits:"):])  # the same checks of N as everywhere
        raw = load_digits().images[int(str(source)[len("digits:"):])][None]  # the training data itself
        adapter = InputAdapter(1, shape, scale=16.0, mean=tuple(mean) if mean else None,
                               std=tuple(std) if std else None)
        tensor = adapter(raw)
        return tensor, drawable(tensor)
    return picture_input(source, shape[0], shape[1:], mean, std)


def _required_inputs(module) -> list[str]:
    """The names of ``forward``'s positional parameters without a default (what a call must pass)."""
    import inspect

    try:
        parameters = inspect.signature(module.forward).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.default is inspect.Parameter.empty
            and p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
