"""The spec vocabulary and its validation: raw YAML/JSON data -> a normalised, checked tree.

Every problem is a :class:`SpecError` naming where it is (``layers[3].residual.layers[1].conv``).
Nothing here evaluates text: values are checked literals (ints, floats, bools, a few strings).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Union

from cnnscope.errors import SpecError
from cnnscope.i18n import _


def _brief(value) -> str:
    """``repr(value)``, cut short: an error line never echoes a huge value (an alias bomb, say)."""
    import reprlib

    brief = reprlib.Repr()
    brief.maxlevel, brief.maxlist, brief.maxtuple, brief.maxdict = 3, 6, 6, 6
    brief.maxstring, brief.maxother = 60, 60
    return brief.repr(value)


# -- value kinds -----------------------------------------------------------------------------------

def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _got(value, key: str) -> str:
    """``got -4``; a number written as text or a missing value in words (``got the text '16': write it
    without quotes, 16``, ``got nothing: write a number after "kernel:"``)."""
    if value is None:
        return f'got nothing: write a number after "{key}:"'
    if isinstance(value, str):
        digits = value.strip()
        if re.fullmatch(r"[+-]?\d+(\.\d*)?", digits):
            return f"got the text {_brief(value)}: write the number without quotes, {key}: {digits}"
        return f"got the text {_brief(value)}: write it in digits, e.g. {key}: {'[1, 28, 28]' if key == 'input' else 3}"
    return f"got {_brief(value)}"


def pos_int(value, where, key):
    if not _is_int(value) or value < 1:
        raise SpecError(_("{key} must be a positive integer, {value}").format(key=key, value=_got(value, key)), where)
    return value


def nonneg_int(value, where, key):
    if not _is_int(value) or value < 0:
        raise SpecError(_("{key} must be a non-negative integer, {value}").format(key=key, value=_got(value, key)), where)
    return value


def _pair(check):
    def parse(value, where, key):
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise SpecError(_("{key} must be an integer or [h, w], got a list of {n}").format(
                                    key=key, n=len(value)), where)
            return tuple(check(v, where, key) for v in value)
        number = check(value, where, key)
        return (number, number)

    return parse


pos_pair = _pair(pos_int)
nonneg_pair = _pair(nonneg_int)


def padding(value, where, key):
    if value in ("same", "valid"):
        return value
    if isinstance(value, str):
        raise SpecError(_("{key} must be an integer, [h, w], 'same' or 'valid', got {value}").format(
                            key=key, value=_brief(value)), where)
    return nonneg_pair(value, where, key)


def boolean(value, where, key):
    if not isinstance(value, bool):
        raise SpecError(_("{key} must be true or false, {value}").format(
                            key=key, value=_got(value, key) if value is None else 'got ' + _brief(value)), where)
    return value


def probability(value, where, key):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise SpecError(_("{key} must be a number in [0, 1), {value}").format(key=key, value=_got(value, key)), where)
    return float(value)


def pos_float(value, where, key):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value != value:
        raise SpecError(_("{key} must be a positive number, {value}").format(key=key, value=_got(value, key)), where)
    return float(value)


def real(value, where, key):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise SpecError(_("{key} must be a number, {value}").format(key=key, value=_got(value, key)), where)
    return float(value)


REQUIRED = object()

# layer type -> {key: (parser, default)}; a default of None means "absent unless given".
LAYERS: dict[str, dict[str, tuple]] = {
    "conv": {"out": (pos_int, REQUIRED), "kernel": (pos_pair, (3, 3)), "stride": (pos_pair, (1, 1)),
             "padding": (padding, (0, 0)), "dilation": (pos_pair, (1, 1)), "groups": (pos_int, 1),
             "bias": (boolean, True)},
    "convtranspose": {"out": (pos_int, REQUIRED), "kernel": (pos_pair, (2, 2)), "stride": (pos_pair, (1, 1)),
                      "padding": (nonneg_pair, (0, 0)), "output_padding": (nonneg_pair, (0, 0)),
                      "dilation": (pos_pair, (1, 1)), "groups": (pos_int, 1), "bias": (boolean, True)},
    "maxpool": {"kernel": (pos_pair, (2, 2)), "stride": (pos_pair, None), "padding": (nonneg_pair, (0, 0)),
                "dilation": (pos_pair, (1, 1)), "ceil_mode": (boolean, False)},
    "avgpool": {"kernel": (pos_pair, (2, 2)), "stride": (pos_pair, None), "padding": (nonneg_pair, (0, 0)),
                "ceil_mode": (boolean, False)},
    "adaptiveavgpool": {"size": (pos_pair, (1, 1))},
    "adaptivemaxpool": {"size": (pos_pair, (1, 1))},
    "batchnorm": {"eps": (pos_float, 1e-5), "momentum": (probability, 0.1)},
    "relu": {}, "tanh": {}, "sigmoid": {}, "gelu": {}, "silu": {}, "identity": {}, "flatten": {},
    "leakyrelu": {"slope": (real, 0.01)},
    "dropout": {"p": (probability, 0.5)},
    "linear": {"out": (pos_int, REQUIRED), "in": (pos_int, None), "bias": (boolean, True)},
}
BLOCKS = ("repeat", "residual", "concat")
TOP_KEYS = ("name", "input", "layers")


@dataclass(frozen=True)
class Limits:
    """Caps that keep a spec (typed in the app, say) from asking for absurd resources."""

    max_depth: int = 8  # nesting of blocks
    max_repeat: int = 64
    max_layers: int = 2000  # after expanding repeats
    max_channels: int = 16384
    max_input_size: int = 4096
    max_params: int = 1_000_000_000
    max_activation_bytes: int = 16 * 2**30


# -- the normalised tree ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Layer:
    kind: str
    args: dict
    where: str


@dataclass(frozen=True)
class Repeat:
    times: int
    body: tuple
    where: str


@dataclass(frozen=True)
class Residual:
    body: tuple
    shortcut: tuple | None
    where: str


@dataclass(frozen=True)
class Concat:
    branches: tuple
    where: str


Node = Union[Layer, Repeat, Residual, Concat]


@dataclass(frozen=True)
class Spec:
    name: str
    input: tuple[int, int, int]
    layers: tuple
    limits: Limits = field(default_factory=Limits)


# PyTorch's and other frameworks' names for the spec's layer types, for "did you mean"
ALIASES = {"conv2d": "conv", "convolution": "conv", "convtranspose2d": "convtranspose", "deconv": "convtranspose",
           "maxpool2d": "maxpool", "pool": "maxpool", "avgpool2d": "avgpool", "batchnorm2d": "batchnorm",
           "batchnorm1d": "batchnorm", "bn": "batchnorm", "fc": "linear", "dense": "linear",
           "adaptiveavgpool2d": "adaptiveavgpool", "gap": "adaptiveavgpool", "globalavgpool": "adaptiveavgpool",
           "adaptivemaxpool2d": "adaptivemaxpool", "flat": "flatten", "softmax": None, "leaky_relu": "leakyrelu"}


def _one_line(text) -> str:
    """A key as the message shows it: a key YAML read across a line break ("ker\\n2") on one line."""
    return " ".join(str(text).split())


def _suggest(word: str, choices) -> str:
    key = re.sub(r"[\s_\-]", "", str(word).lower())
    if key in ALIASES and ALIASES[key] in choices:
        return _(' (did you mean "{name}"?)').format(name=ALIASES[key])
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6) \
        or difflib.get_close_matches(str(word).lower(), list(choices), n=1, cutoff=0.6)
    return _(' (did you mean "{name}"?)').format(name=close[0]) if close else ""


def _list_shape_hint(items, key: str) -> str:
    """Why ``items`` is not a list of layers, in words (``layers:`` with nothing under it, a mapping ...)."""
    if items is None:
        return (f"nothing is listed under {key}: list the layers below it, one per line starting with '- ', "
                "e.g. - conv: {out: 16, kernel: 3}")
    if isinstance(items, dict):
        return (f"{key} holds 'key: value' lines, not a list: start each layer with '- ' (a dash and a space), "
                "e.g. - conv: {out: 16, kernel: 3}")
    return f"{key} must be a list of layers, each on a line starting with '- ', got {_brief(items)}"


SETTINGS_EXAMPLES = {"conv": "{out: 16, kernel: 3}", "convtranspose": "{out: 16, kernel: 2, stride: 2}",
                     "linear": "{out: 10}"}


def validate(data: Any, limits: Limits | None = None) -> Spec:
    limits = limits or Limits()
    if not isinstance(data, dict):
        raise SpecError(_("a spec is a mapping with name, input and layers, got {name}").format(
                            name=type(data).__name__))
    for key in data:
        if key not in TOP_KEYS:
            raise SpecError(_("unknown key \"{key}\"{key2}; a spec has name, input and layers").format(
                                key=key, key2=_suggest(key, TOP_KEYS)))
    name = data.get("name", "model")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        got = 'got nothing: write a name after "name:", e.g. name: my_net' if name is None else f"got {_brief(name)}"
        raise SpecError(_("name must be a short text, {got}").format(got=got), "name")
    if "input" not in data:
        raise SpecError(_("missing input: give the input as [channels, height, width], e.g. input: [3, 32, 32]"))
    shape = data["input"]
    if not isinstance(shape, (list, tuple)) or len(shape) != 3:
        got = ("got nothing: write it after \"input:\", e.g. input: [1, 28, 28]" if shape is None
               else f"got {_brief(shape)}")
        raise SpecError(_("input must be [channels, height, width], {got}").format(got=got), "input")
    shape = tuple(pos_int(v, "input", "input") for v in shape)
    if shape[0] > limits.max_channels or max(shape[1:]) > limits.max_input_size:
        raise SpecError(_("input {shape} is larger than allowed ({max_channels} channels, {max_input_size} pixels "
                          "a side)").format(
                            shape=list(shape), max_channels=limits.max_channels, max_input_size=limits.max_input_size), "input")
    if "layers" not in data:
        raise SpecError(_("missing layers: list the layers, e.g. layers: [conv: {out: 16}, relu]"))
    counter = [0]
    layers = _layer_list(data["layers"], "layers", 0, limits, counter)
    return Spec(name.strip(), shape, layers, limits)


def _layer_list(items, where: str, depth: int, limits: Limits, counter, times: int = 1) -> tuple:
    if not isinstance(items, list):
        raise SpecError(_list_shape_hint(items, where.rsplit(".", 1)[-1].split("[")[0]), where)
    if not items:
        raise SpecError(_("the layer list is empty"), where)
    return tuple(_node(item, f"{where}[{k}]", depth, limits, counter, times) for k, item in enumerate(items))


def _node(item, where: str, depth: int, limits: Limits, counter, times: int) -> Node:
    if isinstance(item, str):
        kind, body = item, None
    elif isinstance(item, dict):
        if len(item) != 1:
            keys = ", ".join(map(str, item)) or "nothing"
            raise SpecError(_("a layer is one key naming its type, got {keys}").format(keys=keys), where)
        kind, body = next(iter(item.items()))
    elif item is None:  # "- " with nothing after it
        raise SpecError(_("a list item with nothing after its '- ': write a layer type (e.g. - relu) or delete the "
                          "line"),
                        where)
    else:
        raise SpecError(_("a layer is a type name or {{type: {{arguments}}}}, got {item}").format(item=_brief(item)), where)
    if not isinstance(kind, str):
        raise SpecError(_("a layer type is a name, got {kind}").format(kind=_brief(kind)), where)
    here = f"{where}.{kind}"
    if kind in BLOCKS:
        if depth + 1 > limits.max_depth:
            raise SpecError(_("blocks are nested more than {max_depth} deep").format(max_depth=limits.max_depth), here)
        return _block(kind, body, here, depth + 1, limits, counter, times)
    if kind not in LAYERS:
        if " - " in kind or "\n" in kind:  # "- relu" lines not lined up: YAML reads them on as one text
            raise SpecError(_("{kind} reads as one layer: the '- ' lines are not lined up; give each layer its own "
                              "line starting with '- ', all at the same indentation").format(kind=_brief(kind)), where)
        raise SpecError(_("unknown layer type \"{kind}\"{kind2}").format(
                            kind=kind, kind2=_suggest(kind, list(LAYERS) + list(BLOCKS))), where)
    counter[0] += times
    if counter[0] > limits.max_layers:
        raise SpecError(_("the network has more than {max_layers} layers").format(max_layers=limits.max_layers), where)
    if body is None:
        body = {}
    example = SETTINGS_EXAMPLES.get(kind, "{out: 16}")
    if not isinstance(body, dict):
        raise SpecError(_("the settings of {kind} are a mapping such as {example}, got {body}").format(
                            kind=kind, example=example, body=_brief(body)), here)
    schema = LAYERS[kind]
    args = {}
    for key, value in body.items():
        if key not in schema:
            glued = re.fullmatch(r"(\w+)\s*:\s*(\S.*)|(\w+)\s+(\S.*)", str(key)) if value is None else None
            if glued:  # {out:6} or {out 6}: YAML reads one key "out:6" with no value
                setting, number = (glued.group(1), glued.group(2)) if glued.group(1) else (glued.group(3), glued.group(4))
                how = "put a space after the colon" if glued.group(1) else "put a colon between a setting and its value"
                raise SpecError(_("\"{key}\" reads as one word: {how}, {setting}: {number}").format(
                                    key=_one_line(key), how=how, setting=setting, number=_one_line(number)), here)
            known = ", ".join(schema) or "no settings"
            raise SpecError(_("unknown argument \"{key}\"{key2}; {kind} takes {known}").format(
                                key=_one_line(key), key2=_suggest(key, schema), kind=kind, known=known), here)
        args[key] = schema[key][0](value, here, key)
    for key, (_unused, default) in schema.items():
        if key not in args:
            if default is REQUIRED:
                if not body:
                    raise SpecError(_("{kind} needs settings such as {example}, found nothing").format(
                                        kind=kind, example=example), here)
                raise SpecError(_("{kind} needs \"{key}\", e.g. {kind}: {example}").format(
                                    kind=kind, key=key, example=example), here)
            args[key] = default
    if kind in ("conv", "convtranspose", "linear") and args["out"] > limits.max_channels:
        raise SpecError(_("out = {out} is more than the {max_channels} allowed").format(
                            out=args['out'], max_channels=limits.max_channels), here)
    return Layer(kind, args, here)


def _block(kind, body, where, depth, limits, counter, times) -> Node:
    if not isinstance(body, dict):
        raise SpecError(_("{kind} takes a mapping, e.g. {BLOCK_EXAMPLES}").format(
                            kind=kind, BLOCK_EXAMPLES=_BLOCK_EXAMPLES[kind]), where)
    allowed = {"repeat": ("times", "layers"), "residual": ("layers", "shortcut"), "concat": ("branches",)}[kind]
    for key in body:
        if key not in allowed:
            raise SpecError(_("unknown key \"{key}\"{key2}; {kind} takes {allowed}").format(
                                key=key, key2=_suggest(key, allowed), kind=kind, allowed=", ".join(allowed)), where)
    if kind == "repeat":
        if "times" not in body:
            raise SpecError(_("repeat needs \"times\""), where)
        count = pos_int(body["times"], where, "times")
        if count > limits.max_repeat:
            raise SpecError(_("times = {count} is more than the {max_repeat} allowed").format(
                                count=count, max_repeat=limits.max_repeat), where)
        if "layers" not in body:
            raise SpecError(_("repeat needs \"layers\""), where)
        return Repeat(count, _layer_list(body["layers"], f"{where}.layers", depth, limits, counter, times * count), where)
    if kind == "residual":
        if "layers" not in body:
            raise SpecError(_("residual needs \"layers\""), where)
        layers = _layer_list(body["layers"], f"{where}.layers", depth, limits, counter, times)
        shortcut = body.get("shortcut")
        if shortcut is not None:
            shortcut = _layer_list(shortcut, f"{where}.shortcut", depth, limits, counter, times)
        return Residual(layers, shortcut, where)
    branches = body.get("branches")
    if not isinstance(branches, list) or len(branches) < 2:
        raise SpecError(_("concat needs branches: a list of at least two layer lists"), where)
    return Concat(tuple(_layer_list(b, f"{where}.branches[{k}]", depth, limits, counter, times)
                        for k, b in enumerate(branches)), where)


_BLOCK_EXAMPLES = {
    "repeat": "{times: 2, layers: [conv: {out: 64}, relu]}",
    "residual": "{layers: [conv: {out: 64, padding: 1}], shortcut: [conv: {out: 64, kernel: 1}]}",
    "concat": "{branches: [[conv: {out: 16, kernel: 1}], [conv: {out: 16, kernel: 3, padding: 1}]]}",
}
