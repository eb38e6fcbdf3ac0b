"""torch.nn layers rebuilt from the ATen call ``torch.export`` recorded for them.

``torch.export.unflatten`` restores a program's module tree, but each module is an
``InterpreterModule`` running ATen calls: the analysis would see no ``Conv2d`` (no kernel, stride or
padding for the receptive field, no layer type).  A leaf whose recorded type is a ``torch.nn`` layer
(``nn_module_stack``) is rebuilt here as that layer, from its one ATen call's arguments and its own
parameters, which it keeps (the same tensors).  Only classes of ``torch.nn`` are built, looked up by
name in ``torch.nn``; nothing is imported from a name in the file.  A leaf that does not fit (another
call pattern, parameters the layer would not have) stays an ``InterpreterModule``.
"""

from __future__ import annotations

from typing import Any, Callable

from torch import nn

_ACTIVATIONS = {  # class -> the ATen op (in-place variants end in "_")
    "ReLU": "relu", "SiLU": "silu", "Hardswish": "hardswish", "Hardsigmoid": "hardsigmoid", "Mish": "mish",
    "Sigmoid": "sigmoid", "Tanh": "tanh", "GELU": "gelu", "LeakyReLU": "leaky_relu", "ELU": "elu",
    "ReLU6": "hardtanh", "Hardtanh": "hardtanh", "Softmax": "softmax", "LogSoftmax": "log_softmax",
    "Flatten": "flatten", "Dropout": "dropout", "Dropout2d": "feature_dropout", "Identity": "",
}


def rebuilt_layer(type_name: str, leaf: nn.Module) -> nn.Module | None:
    """The ``torch.nn`` layer ``type_name`` (``torch.nn.modules.conv.Conv2d``) equal to ``leaf``, an
    unflattened module; None where it cannot be rebuilt exactly."""
    cls = _torch_nn_class(type_name)
    if cls is None:
        return None
    calls = [node for node in leaf.graph.nodes
             if node.op == "call_function" and getattr(node.target, "__name__", "") != "getitem"]
    if len(calls) > 1 or any(node.op == "call_module" for node in leaf.graph.nodes):
        return None
    arguments = _bound(calls[0]) if calls else None
    op = calls[0].target._schema.name.split("::")[-1] if calls else ""
    try:
        layer = _build(cls, op, arguments, leaf)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError):
        return None
    return layer if layer is not None and _adopt(layer, leaf) else None


def _torch_nn_class(type_name: str) -> type | None:
    module, _, name = type_name.rpartition(".")
    cls = getattr(nn, name, None)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module) and cls.__module__ == module):
        return None
    return cls


def _bound(node) -> dict[str, Any]:
    """The call's arguments by schema name, defaults filled in (export leaves defaults out)."""
    values = {}
    for i, argument in enumerate(node.target._schema.arguments):
        if i < len(node.args):
            values[argument.name] = node.args[i]
        elif argument.name in node.kwargs:
            values[argument.name] = node.kwargs[argument.name]
        elif argument.has_default_value():
            values[argument.name] = argument.default_value
    return values


def _shape(leaf: nn.Module, name: str) -> tuple[int, ...] | None:
    tensor = getattr(leaf, name, None)
    return None if tensor is None else tuple(tensor.shape)


def _build(cls: type, op: str, a: dict | None, leaf: nn.Module) -> nn.Module | None:
    name = cls.__name__
    for builder_op, build in _BUILDERS.get(name, ()):
        if op == builder_op or op == builder_op + "_":
            return build(cls, a, leaf, op.endswith("_"))
    if name in _ACTIVATIONS:
        return _activation(cls, op, a)
    return None


def _conv(cls, a, leaf, _inplace):
    weight = _shape(leaf, "weight")
    groups = a["groups"]
    transposed = "Transpose" in cls.__name__ or a.get("transposed", False)
    channels = (weight[0], weight[1] * groups) if transposed else (weight[1] * groups, weight[0])
    extra = {"output_padding": tuple(a["output_padding"])} if transposed else {}
    padding = a["padding"] if isinstance(a["padding"], str) else tuple(a["padding"])
    return cls(*channels, tuple(weight[2:]), stride=tuple(a["stride"]), padding=padding,
               dilation=tuple(a["dilation"]), groups=groups, bias=a["bias"] is not None, **extra)


def _linear(cls, a, leaf, _inplace):
    weight = _shape(leaf, "weight")
    return cls(weight[1], weight[0], bias=a["bias"] is not None)


def _batch_norm(cls, a, leaf, _inplace):
    features = _shape(leaf, "running_mean") or _shape(leaf, "weight")
    return cls(features[0], eps=a["eps"], momentum=a["momentum"], affine=a["weight"] is not None,
               track_running_stats=a["running_mean"] is not None)


def _layer_norm(cls, a, leaf, _inplace):
    return cls(tuple(a["normalized_shape"]), eps=a["eps"], elementwise_affine=a["weight"] is not None,
               bias=a["bias"] is not None)


def _group_norm(cls, a, leaf, _inplace):
    channels = _shape(leaf, "weight")
    return cls(a["num_groups"], channels[0], eps=a["eps"], affine=True) if channels else None


def _max_pool(cls, a, leaf, _inplace):
    stride = tuple(a["stride"]) or tuple(a["kernel_size"])  # [] means "as the kernel"
    return cls(tuple(a["kernel_size"]), stride=stride, padding=tuple(a["padding"]),
               dilation=tuple(a["dilation"]), ceil_mode=a["ceil_mode"])


def _avg_pool(cls, a, leaf, _inplace):
    stride = tuple(a["stride"]) or tuple(a["kernel_size"])
    return cls(tuple(a["kernel_size"]), stride=stride, padding=tuple(a["padding"]), ceil_mode=a["ceil_mode"],
               count_include_pad=a["count_include_pad"], divisor_override=a["divisor_override"])


def _adaptive(cls, a, leaf, _inplace):
    return cls(tuple(a["output_size"]))


def _activation(cls, op: str, a: dict | None) -> nn.Module | None:
    """Stateless layers: their few settings from the call; no call at all (export dropped an eval-mode
    dropout, or an identity) keeps the class's defaults, which change no count."""
    if a is None:
        return cls() if op == "" and cls.__name__ not in ("Softmax", "LogSoftmax") else None
    if _ACTIVATIONS[cls.__name__].rstrip("_") != op.rstrip("_"):
        return None
    name, inplace = cls.__name__, op.endswith("_")
    if name == "ReLU6":
        return cls(inplace=inplace) if (a["min_val"], a["max_val"]) == (0, 6) else None
    settings: dict[str, Callable[[], nn.Module]] = {
        "Hardtanh": lambda: cls(a["min_val"], a["max_val"], inplace=inplace),
        "GELU": lambda: cls(approximate=a["approximate"]),
        "LeakyReLU": lambda: cls(a["negative_slope"], inplace=inplace),
        "ELU": lambda: cls(a["alpha"], inplace=inplace),
        "Softmax": lambda: cls(dim=a["dim"]), "LogSoftmax": lambda: cls(dim=a["dim"]),
        "Flatten": lambda: cls(a["start_dim"], a["end_dim"]),
        "Dropout": lambda: cls(a["p"], inplace=inplace), "Dropout2d": lambda: cls(a["p"], inplace=inplace),
        "Sigmoid": cls, "Tanh": cls,
    }
    make = settings.get(name)
    return make() if make else cls(inplace=inplace)


_BUILDERS: dict[str, tuple] = {
    **{f"Conv{n}d": ((f"conv{n}d", _conv), ("convolution", _conv)) for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": ((f"conv_transpose{n}d", _conv), ("convolution", _conv)) for n in (1, 2, 3)},
    "Linear": (("linear", _linear),),
    **{f"BatchNorm{n}d": (("batch_norm", _batch_norm), ("_native_batch_norm_legit_no_training", _batch_norm))
       for n in (1, 2, 3)},
    "LayerNorm": (("layer_norm", _layer_norm),),
    "GroupNorm": (("group_norm", _group_norm),),
    **{f"MaxPool{n}d": ((f"max_pool{n}d", _max_pool),) for n in (1, 2, 3)},
    **{f"AvgPool{n}d": ((f"avg_pool{n}d", _avg_pool),) for n in (1, 2, 3)},
    **{f"AdaptiveAvgPool{n}d": ((f"adaptive_avg_pool{n}d", _adaptive), ("_adaptive_avg_pool" + f"{n}d", _adaptive))
       for n in (1, 2, 3)},
    **{f"AdaptiveMaxPool{n}d": ((f"adaptive_max_pool{n}d", _adaptive),) for n in (1, 2, 3)},
}


def _adopt(layer: nn.Module, leaf: nn.Module) -> bool:
    """Give ``layer`` the leaf's own parameters and buffers (same tensors); False when they differ in
    name or shape from what the layer has (then the layer is not the one exported)."""
    mine = dict(layer.named_parameters(recurse=False))
    theirs = dict(leaf.named_parameters(recurse=False))
    if set(mine) != set(theirs) or any(mine[k].shape != theirs[k].shape for k in mine):
        return False
    own_buffers = dict(layer.named_buffers(recurse=False))
    leaf_buffers = dict(leaf.named_buffers(recurse=False))
    if not set(leaf_buffers) <= set(own_buffers) or any(
            own_buffers[k].shape != leaf_buffers[k].shape for k in leaf_buffers):
        return False
    for key, parameter in theirs.items():
        setattr(layer, key, parameter if isinstance(parameter, nn.Parameter) else nn.Parameter(parameter))
    for key, buffer in leaf_buffers.items():
        layer._buffers[key] = buffer
    return True
