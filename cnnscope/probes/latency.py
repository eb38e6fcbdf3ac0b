"""Forward latency: the median of repeated timed passes after warm-up, on a chosen device."""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

from cnnscope.errors import UsageError
from cnnscope.i18n import _


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError(_("--device cuda: no CUDA GPU is available here; use --device cpu or auto"))
    try:
        return torch.device(device)
    except RuntimeError:
        raise UsageError(_("--device {device!r}: expected auto, cpu or cuda").format(device=device)) from None


def measure(model: nn.Module, input_shape, device: str = "cpu", warmup: int = 3, repeats: int = 10) -> float:
    """Median milliseconds of one forward pass of ``model`` on zeros of ``input_shape``."""
    target = resolve_device(device)
    model = model.to(target).eval()
    x = torch.randn(tuple(input_shape), device=target)

    def sync():
        if target.type == "cuda":
            torch.cuda.synchronize(target)

    times = []
    with torch.inference_mode():
        for k in range(warmup + repeats):
            sync()
            start = time.perf_counter()
            model(x)
            sync()
            if k >= warmup:
                times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
