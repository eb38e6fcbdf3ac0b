"""``model.pt``: the trained state_dict plus the config needed to rebuild the model.

Layout (a plain dict, loadable with ``torch.load(..., weights_only=True)``)::

    {"format": "cnnscope.train/1",
     "state_dict": {name: tensor, ...},          # CPU, contiguous
     "config": {"model": "lenet5", "model_input_shape": [1, 28, 28] | None,
                "num_classes": 10, "replaced_head": "fc2" | None, "classes": [...],
                "input_shape": [1, 28, 28], "normalization": {"mean": [...], "std": [...]}, ...},
     "epoch": 3}                                 # the epoch whose end state this is (0: initial)

``cnnscope.weights.load_state_dict`` (``--weights``) reads it too, via ``state_dict``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from cnnscope.errors import WeightsError
from cnnscope.i18n import N_, _

FORMAT = "cnnscope.train/1"


@dataclass
class Checkpoint:
    state_dict: dict[str, torch.Tensor]
    config: dict
    epoch: int


def checkpoint_bytes(model: nn.Module, config: dict, epoch: int) -> bytes:
    return state_checkpoint_bytes(model.state_dict(), config, epoch)


def state_checkpoint_bytes(state_dict: dict, config: dict, epoch: int) -> bytes:
    """The same layout from a state_dict (``best.pt``: the best epoch's weights, kept by ``quick_train``)."""
    state = {k: v.detach().to("cpu").contiguous() for k, v in state_dict.items()}
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, "state_dict": state, "config": dict(config), "epoch": int(epoch)}, buffer)
    return buffer.getvalue()


def load_checkpoint(path: str | Path) -> Checkpoint:
    from cnnscope.weights import read_weights_file

    path = Path(path)
    data = read_weights_file(path, what=N_("checkpoint"))
    if not (isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("state_dict"), dict)):
        raise WeightsError(_("{path}: not a cnnscope training checkpoint (no {FORMAT!r} format tag)").format(
                               path=path, FORMAT=FORMAT))
    return Checkpoint(data["state_dict"], dict(data.get("config") or {}), int(data.get("epoch", 0)))


def rebuild_model(checkpoint: Checkpoint | str | Path, device: str = "cpu") -> nn.Module:
    """The trained model: built from ``config["model"]``, head resized as in training, weights loaded."""
    from cnnscope.weights import apply_state_dict
    from cnnscope.sources import load_model
    from cnnscope.train.adapt import replace_head

    if not isinstance(checkpoint, Checkpoint):
        checkpoint = load_checkpoint(checkpoint)
    config = checkpoint.config
    shape = config.get("model_input_shape")
    model = load_model(config["model"], device="cpu", input_shape=tuple(shape) if shape else None).module
    if config.get("replaced_head"):
        replace_head(model, int(config["num_classes"]))
    apply_state_dict(model, checkpoint.state_dict, source=f"the checkpoint's weights for {config['model']}")
    return model.to(device).eval()
