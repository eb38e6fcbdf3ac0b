"""Make data and model fit each other: the model's input (size, channels, normalisation) and
its number of classes.

* **Input.** Images are scaled to [0, 1], converted grayscale↔RGB (RGB→gray with the ITU-R 601
  luma weights, gray→RGB by repeating), resized bilinearly (antialiased when shrinking) to the
  model's C×H×W, then normalised: with the model's own mean/std where the zoo knows them
  (torchvision's ImageNet statistics), else with the training split's per-channel statistics.
* **Classes.** When the model's output width differs from the data set's class count, its last
  ``nn.Linear`` is replaced by a freshly initialised one with the right number of outputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from cnnscope.i18n import _
from cnnscope.train.data import TrainData
from cnnscope.train.datasets import ImageSet
from cnnscope.train.errors import ModelDataMismatch

RESIDENT_BYTES = 1 << 30   # adapt up front (float32) when the result stays under this
_LUMA = (0.299, 0.587, 0.114)


@dataclass
class InputAdapter:
    """uint8 (or float) N×C×H×W in source form -> float32 N×C'×H'×W' the model takes."""

    in_channels: int
    shape: tuple[int, int, int]          # C', H', W' the model wants
    scale: float = 255.0
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float() / self.scale
        channels, height, width = self.shape
        if x.shape[1] != channels:
            if x.shape[1] == 1:
                x = x.expand(-1, channels, -1, -1)
            elif x.shape[1] == 3 and channels == 1:
                weights = torch.tensor(_LUMA, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
                x = (x * weights).sum(1, keepdim=True)
            else:
                raise ModelDataMismatch(f"cannot turn {x.shape[1]}-channel images into {channels} channels")
        if tuple(x.shape[2:]) != (height, width):
            shrinking = x.shape[2] > height or x.shape[3] > width
            x = F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False, antialias=shrinking)
        if self.mean is not None:
            mean = torch.tensor(self.mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
            std = torch.tensor(self.std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
            x = (x - mean) / std
        return x.contiguous()

    def apply_in_chunks(self, x: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
        return torch.cat([self(x[i:i + chunk]) for i in range(0, len(x), chunk)]) if len(x) else x.float()


def target_shape(model_shape, images: ImageSet) -> tuple[int, int, int]:
    """The C, H, W the model is fed: its own input when known, else the data's."""
    if model_shape is None:
        return tuple(images.shape)
    shape = tuple(int(v) for v in model_shape)
    if len(shape) != 3:
        raise ModelDataMismatch(f"training needs an image model with a C,H,W input; this one takes {shape}")
    if shape[0] not in (1, 3) and shape[0] != images.shape[0]:
        raise ModelDataMismatch(f"the model takes {shape[0]}-channel images; {images.name} has "
                                f"{images.shape[0]}-channel images")
    return shape


def split(count: int, val_split: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded shuffle, then the first ``round(count·val_split)`` indices are validation."""
    if not 0 <= val_split < 1:
        raise ValueError("val_split must be in [0, 1)")
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    n_val = int(round(count * val_split))
    return order[n_val:], order[:n_val]


def prepare_data(images: ImageSet, shape: tuple[int, int, int], *, val_split: float = 0.2, seed: int = 0,
                 normalization: tuple | None = None, resident_bytes: int = RESIDENT_BYTES) -> TrainData:
    """Split, then adapt once up front (small data) or per batch (large data)."""
    train_idx, val_idx = split(len(images.labels), val_split, seed)
    adapter = InputAdapter(images.shape[0], shape, images.scale)
    notes = []
    if images.shape[0] != shape[0]:
        notes.append(_("{data}: {old}-channel images converted to {new} channels").format(
            data=images.name, old=images.shape[0], new=shape[0]))
    if tuple(images.shape[1:]) != tuple(shape[1:]):
        notes.append(_("{data}: images resized from {old} to {new} (the model's input)").format(
            data=images.name, old=f"{images.shape[1]}×{images.shape[2]}", new=f"{shape[1]}×{shape[2]}"))
    if normalization is not None and len(normalization[0]) == shape[0]:
        adapter.mean, adapter.std = tuple(normalization[0]), tuple(normalization[1])
        note = _("normalised with the model's mean {mean} and std {std}")
    else:
        adapter.mean, adapter.std = channel_stats(adapter, images.images[train_idx[:2048]])
        note = _("normalised with the training split's mean {mean} and std {std}")
    notes.append(note.format(mean=_fmt(adapter.mean), std=_fmt(adapter.std)))
    train_x, val_x = images.images[train_idx], images.images[val_idx]
    adapted_bytes = len(images.labels) * shape[0] * shape[1] * shape[2] * 4
    transform = None
    if adapted_bytes <= resident_bytes:
        train_x, val_x = adapter.apply_in_chunks(train_x), adapter.apply_in_chunks(val_x)
    else:
        transform = adapter
        notes.append(_("{data}: kept as uint8 and adapted batch by batch ({size} GiB as float32)").format(
            data=images.name, size=f"{adapted_bytes / 2**30:.1f}"))
    return TrainData(train_x, images.labels[train_idx], val_x, images.labels[val_idx], transform,
                     list(images.classes), notes, normalization=(adapter.mean, adapter.std))


def channel_stats(adapter: InputAdapter, sample: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and std of ``sample`` after scaling, channel conversion and resizing."""
    plain = InputAdapter(adapter.in_channels, adapter.shape, adapter.scale)
    x = plain.apply_in_chunks(sample, 512).double()
    mean = x.mean(dim=(0, 2, 3))
    std = x.std(dim=(0, 2, 3)).clamp_min(1e-6)
    return tuple(round(float(v), 6) for v in mean), tuple(round(float(v), 6) for v in std)


def _fmt(values) -> str:
    return "(" + ", ".join(f"{v:.3f}" for v in values) + ")"


# --- the model side --------------------------------------------------------------------------

def logits_of(output) -> torch.Tensor:
    """The class scores in a model's output (torchvision's Inception returns a named tuple)."""
    if isinstance(output, torch.Tensor):
        return output
    if hasattr(output, "logits"):
        return output.logits
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    raise ModelDataMismatch(f"the model returns {type(output).__name__}, not a tensor of class scores")


def output_width(model: nn.Module, shape: tuple[int, int, int], source: str = "the model") -> int:
    """Run two zero images through the model (eval mode, no grad) and return its class count."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = logits_of(model(torch.zeros((2, *shape), device=device)))
    except ModelDataMismatch:
        raise
    except Exception as exc:  # noqa: BLE001 - any layer can reject the shape
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelDataMismatch(f"{source} cannot take {'×'.join(map(str, shape))} images: {first}") from exc
    finally:
        model.train(was_training)
    if out.ndim != 2:
        raise ModelDataMismatch(f"{source} outputs shape {tuple(out.shape)} for a batch of 2 images; "
                                "training needs N×classes scores")
    return int(out.shape[1])


def last_linear(model: nn.Module) -> tuple[str, nn.Linear] | None:
    found = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            found = (name, module)
    return found


def replace_head(model: nn.Module, num_classes: int) -> tuple[str, int]:
    """Swap the last ``nn.Linear`` for one with ``num_classes`` outputs; returns (name, old width).

    The new layer is initialised by ``nn.Linear`` itself (from the global RNG, so seeded runs
    stay reproducible), on the old layer's device and dtype."""
    found = last_linear(model)
    if found is None:
        raise ModelDataMismatch("the model has no nn.Linear layer to replace")
    name, old = found
    new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None,
                    device=old.weight.device, dtype=old.weight.dtype)
    parent = model.get_submodule(name.rpartition(".")[0]) if "." in name else model
    setattr(parent, name.rpartition(".")[2], new)
    return name, old.out_features


@dataclass(frozen=True)
class HeadChange:
    layer: str            # module path of the replaced nn.Linear
    old: int              # its out_features
    new: int

    @property
    def note(self) -> str:
        return _("replaced the last Linear layer {layer} ({old} → {new} outputs, freshly initialised) to match the "
                 "data set's {new} classes").format(layer=self.layer, old=self.old, new=self.new)


def fit_classes(model: nn.Module, shape: tuple[int, int, int], num_classes: int,
                source: str = "the model") -> HeadChange | None:
    """Make the model output ``num_classes`` scores; says what it changed, if anything."""
    width = output_width(model, shape, source)
    if width == num_classes:
        return None
    found = last_linear(model)
    if found is None or found[1].out_features != width:
        raise ModelDataMismatch(f"{source} outputs {width} classes, the data set has {num_classes}, and its "
                                "output does not come from a final nn.Linear that could be replaced")
    name, old = replace_head(model, num_classes)
    if output_width(model, shape, source) != num_classes:
        raise ModelDataMismatch(f"replacing {name} did not give {num_classes} outputs; "
                                f"{source} cannot be adapted to {num_classes} classes")
    return HeadChange(name, old, num_classes)
