"""Real activations of any row (module or functional) for a real input, and conv weights.

Uses the same tracer as the analysis, so every row name the summary shows -- ``max_pool2d``
in a forward, ``layer1.0.add`` -- can be captured; the model is left as it was found.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from cnnscope.analysis.trace import run_trace
from cnnscope.errors import UsageError

_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


def _suggest(name: str, names) -> str:
    import difflib

    close = difflib.get_close_matches(name, [n for n in names if n], n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""


def capture(model: nn.Module, inputs: torch.Tensor, layer: str) -> np.ndarray:
    """The output of row ``layer`` (first call) for ``inputs``, as a numpy array."""
    tracer, _ = run_trace(model, [inputs], capture=frozenset({layer}))
    if layer in tracer.captured:
        return tracer.captured[layer].detach().float().cpu().numpy()
    if any(row.name == layer for row in tracer.rows):
        raise UsageError(f"layer {layer!r} has no tensor output to show")
    raise UsageError(f"no layer named {layer!r} in this model{_suggest(layer, [r.name for r in tracer.rows])}")


def first_conv_name(model: nn.Module) -> str:
    """The first convolution in execution order would need a trace; definition order is the
    convention the filter figures of papers follow, and for every zoo model they agree."""
    for name, module in model.named_modules():
        if isinstance(module, _CONVS):
            return name
    raise UsageError(f"{type(model).__name__} has no convolution layer to show")


def conv_weight(model: nn.Module, layer: str | None) -> tuple[str, np.ndarray]:
    """(name, weight array of shape out × in/groups × kh × kw) of ``layer`` or the first conv."""
    name = layer if layer is not None else first_conv_name(model)
    modules = dict(model.named_modules())
    if name not in modules:
        convs = [n for n, m in modules.items() if isinstance(m, _CONVS)]
        raise UsageError(f"no layer named {name!r} in this model{_suggest(name, convs)}")
    module = modules[name]
    if not isinstance(module, _CONVS + (nn.ConvTranspose2d,)):
        raise UsageError(f"{name!r} is a {type(module).__name__}, not a convolution: filters exist for conv layers")
    weight = module.weight.detach().float().cpu().numpy()
    if isinstance(module, nn.ConvTranspose2d):
        weight = weight.transpose(1, 0, 2, 3)  # (in, out, k, k) -> (out, in, k, k)
    if weight.ndim == 3:
        weight = weight[:, :, None, :]  # 1-D kernels as one-row images
    if weight.ndim != 4:
        raise UsageError(f"{name!r} has {weight.ndim - 2}-D kernels; only 1-D and 2-D kernels can be drawn")
    return name, weight
