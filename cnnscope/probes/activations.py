"""Real activations of any row (module or functional) for a real input, and conv weights.

Uses the same tracer as the analysis, so every row name the summary shows -- ``max_pool2d``
in a forward, ``layer1.0.add`` -- can be captured; the model is left as it was found.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from cnnscope.analysis import ops
from cnnscope.analysis.trace import run_trace
from cnnscope.errors import UsageError
from cnnscope.probes.lookup import module_named, traced_row
from cnnscope.i18n import _


def drawable_convs(model: nn.Module) -> list[str]:
    """Names of the convolutions (transposed ones included) whose 1-D or 2-D kernels can be drawn."""
    return [name for name, module in model.named_modules()
            if ops.is_conv_module(module) and len(module.kernel_size) <= 2]


def capture(model: nn.Module, inputs: torch.Tensor, layer: str) -> np.ndarray:
    """The output of row ``layer`` (first call) for ``inputs``, as a numpy array."""
    tracer, _unused = run_trace(model, [inputs], capture=frozenset({layer}))
    if layer in tracer.captured:
        return tracer.captured[layer].detach().float().cpu().numpy()
    traced_row(tracer, layer)  # LayerNotFoundError, with suggestions, when there is no such row
    raise UsageError(_("layer {layer!r} has no tensor output to show").format(layer=layer))


def first_conv_name(model: nn.Module) -> str:
    """The first convolution in execution order would need a trace; definition order is the
    convention the filter figures of papers follow, and for every zoo model they agree."""
    convs = drawable_convs(model)
    if convs:
        return convs[0]
    raise UsageError(_("{name} has no convolution layer to show").format(name=type(model).__name__))


def conv_weight(model: nn.Module, layer: str | None) -> tuple[str, np.ndarray]:
    """(name, weight array of shape out × in/groups × kh × kw) of ``layer`` or the first conv."""
    name = layer if layer is not None else first_conv_name(model)
    module = module_named(model, name, suggest=ops.is_conv_module)
    if not ops.is_conv_module(module):
        raise UsageError(_("{name!r} is a {name2}, not a convolution: filters exist for conv layers").format(
                             name=name, name2=type(module).__name__))
    weight = module.weight.detach().float().cpu().numpy()
    if ops.module_kind(module) == "transposed_conv":
        weight = weight.swapaxes(0, 1)  # (in, out/groups, k...) -> (out/groups, in, k...)
    if weight.ndim == 3:
        weight = weight[:, :, None, :]  # 1-D kernels as one-row images
    if weight.ndim != 4:
        raise UsageError(_("{name!r} has {ndim}-D kernels; only 1-D and 2-D kernels can be drawn").format(
                             name=name, ndim=weight.ndim - 2))
    return name, weight
