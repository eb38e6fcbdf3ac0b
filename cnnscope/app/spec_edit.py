"""The builder's edits of a spec's text: New, the templates, and adding, moving and deleting top-level layers.

An edit reads the text (YAML, JSON or the one-line form, through the same safe parsers as the analysis:
nothing is evaluated), changes the ``layers`` list as data and writes the spec back as tidy YAML: one
layer a line (``- conv: {out: 16, kernel: 3}``), blocks spelled out.  Streamlit-free, so it is tested
directly.  Comments do not survive an edit (the builder says so).
"""

from __future__ import annotations

from cnnscope.app.spec_text import DEFAULT_SPEC
from cnnscope.errors import CnnscopeError
from cnnscope.i18n import N_, _

NEW_SPEC = """name: my_net
input: [1, 28, 28]
layers: []
"""

LENET5 = """# LeNet-5 (LeCun et al., 1998) for 28×28 digits: the first conv pads by 2 so the map is 32×32 as in the paper.
name: lenet5
input: [1, 28, 28]
layers:
  - conv: {out: 6, kernel: 5, padding: 2}
  - tanh
  - avgpool: {kernel: 2, stride: 2}
  - conv: {out: 16, kernel: 5}
  - tanh
  - avgpool: {kernel: 2, stride: 2}
  - flatten
  - linear: {out: 120}
  - tanh
  - linear: {out: 84}
  - tanh
  - linear: {out: 10}
"""

# the app's starting spec, with a line saying what it is
TINY_VGG = "# A tiny VGG: 3×3 convolutions in blocks, each block ending in a 2×2 max-pool.\n" + DEFAULT_SPEC

TINY_RESNET = """# A tiny ResNet: output = layers(x) + shortcut(x).  The second block halves the map and doubles the
# channels, so its shortcut is a 1×1 conv with stride 2 (the first block's shortcut is the identity).
name: tiny_resnet
input: [3, 32, 32]
layers:
  - conv: {out: 16, kernel: 3, padding: 1, bias: false}
  - batchnorm
  - relu
  - residual:
      layers:
        - conv: {out: 16, kernel: 3, padding: 1, bias: false}
        - batchnorm
        - relu
        - conv: {out: 16, kernel: 3, padding: 1, bias: false}
        - batchnorm
  - relu
  - residual:
      layers:
        - conv: {out: 32, kernel: 3, stride: 2, padding: 1, bias: false}
        - batchnorm
        - relu
        - conv: {out: 32, kernel: 3, padding: 1, bias: false}
        - batchnorm
      shortcut:
        - conv: {out: 32, kernel: 1, stride: 2, bias: false}
        - batchnorm
  - relu
  - adaptiveavgpool: {size: 1}
  - flatten
  - linear: {out: 10}
"""

# button label (English, translated where shown) -> (widget key, text)
STARTS = {N_("New"): ("spec_new", NEW_SPEC), "LeNet-5": ("spec_template_lenet5", LENET5),
          N_("Tiny VGG"): ("spec_template_tiny_vgg", TINY_VGG),
          N_("Tiny ResNet"): ("spec_template_tiny_resnet", TINY_RESNET)}

# The form's layer types and their fields: (setting, label, smallest, largest, default).  Every type has
# its own defaults (and the builder its own widget keys): a pool does not inherit a conv's kernel.
FIELDS: dict[str, list[tuple]] = {
    "conv": [("out", N_("out (channels)"), 1, 4096, 16), ("kernel", N_("kernel"), 1, 15, 3),
             ("stride", N_("stride"), 1, 8, 1), ("padding", N_("padding"), 0, 8, 0)],
    "maxpool": [("kernel", N_("kernel"), 1, 15, 2), ("stride", N_("stride"), 1, 15, 2)],
    "avgpool": [("kernel", N_("kernel"), 1, 15, 2), ("stride", N_("stride"), 1, 15, 2)],
    "batchnorm": [],
    "relu": [],
    "tanh": [],
    "dropout": [("p", N_("p (share of values zeroed)"), 0.0, 0.9, 0.5)],
    "flatten": [],
    "adaptiveavgpool": [("size", N_("size (output side)"), 1, 64, 1)],
    "linear": [("out", N_("out (features)"), 1, 100_000, 10)],
}
SPATIAL = ("conv", "maxpool", "avgpool", "adaptiveavgpool")  # they need a map: never after flatten
HEAD = ("flatten", "linear")


class NotEditable(CnnscopeError):
    """The text cannot be edited with the builder's buttons (not YAML, no layer list)."""


def spec_data(text: str) -> dict:
    """The spec's data (name, input, layers ...) with ``layers`` a list; NotEditable says why not."""
    from cnnscope.errors import SpecError
    from cnnscope.sources import is_one_line_spec
    from cnnscope.spec.compact import parse as parse_compact
    from cnnscope.spec.load import parse_text

    try:
        data = parse_compact(text.strip(), name="spec") if is_one_line_spec(text) else parse_text(text)
    except SpecError as error:
        raise NotEditable(_("the buttons edit the layer list once the text reads as a spec ({error})").format(
            error=error)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise NotEditable(_("the buttons edit a spec with name, input and layers (press New to start one)"))
    data = dict(data)
    layers = data.get("layers")
    if layers is None:
        layers = []
    if not isinstance(layers, list):
        raise NotEditable(_("the buttons edit a spec whose layers are a list (each layer a line starting with '- ')"))
    data["layers"] = list(layers)
    return data


def layer_label(item) -> str:
    """``conv {out: 6, kernel: 5}``, ``relu``, ``repeat ×2``: a layer of the list in a few words."""
    if isinstance(item, dict) and len(item) == 1:
        kind, body = next(iter(item.items()))
        if kind == "repeat" and isinstance(body, dict):
            return f"repeat ×{body.get('times', '?')}"
        if kind in ("residual", "concat") or not body:
            return str(kind)
        return f"{kind} {_flow(body)}"
    return _flow(item)


def labels(text: str) -> list[str]:
    """The top-level layers as the Where and Layer boxes list them: ``0 · conv {out: 6, kernel: 5}``
    (the number is the layer's name in the summary table)."""
    return [f"{k} · {layer_label(item)}" for k, item in enumerate(spec_data(text)["layers"])]


def form_item(kind: str, settings: dict):
    """The list item the form adds: ``{"conv": {"out": 16, ...}}``, or ``"relu"`` for a layer without settings."""
    return {kind: dict(settings)} if settings else kind


def default_place(text: str, kind: str) -> int | None:
    """Where the form puts a layer unless told: at the end, except a layer that needs a map (conv, pools),
    which goes before the classifier head (the first global pool, flatten or linear layer; a global pool
    before the first flatten or linear).  The index to insert before; None: at the end."""
    if kind not in SPATIAL:
        return None
    head = HEAD if kind == "adaptiveavgpool" else ("adaptiveavgpool", *HEAD)
    for k, item in enumerate(spec_data(text)["layers"]):
        if (item if isinstance(item, str) else next(iter(item), None) if isinstance(item, dict) else None) in head:
            return k
    return None


def insert(text: str, item, before: int | None = None) -> str:
    data = spec_data(text)
    layers = data["layers"]
    layers.insert(len(layers) if before is None else max(0, min(before, len(layers))), item)
    return dump(data)


def move(text: str, index: int, step: int) -> str:
    """Layer ``index`` moved ``step`` places (−1: up); unchanged at either end."""
    data = spec_data(text)
    layers = data["layers"]
    target = index + step
    if 0 <= index < len(layers) and 0 <= target < len(layers):
        layers[index], layers[target] = layers[target], layers[index]
    return dump(data)


def delete(text: str, index: int) -> str:
    data = spec_data(text)
    if 0 <= index < len(data["layers"]):
        del data["layers"][index]
    return dump(data)


# -- writing the spec back as tidy YAML -------------------------------------------------------------

def dump(data: dict) -> str:
    """``name``, ``input``, ``layers`` (one item a line; blocks spelled out), then any other key."""
    order = [k for k in ("name", "input", "layers") if k in data] + [k for k in data if k not in ("name", "input", "layers")]
    lines = []
    for key in order:
        value = data[key]
        if key == "layers" and isinstance(value, list):
            lines.append("layers:" if value else "layers: []")
            lines += _items(value, 2)
        else:
            lines.append(f"{_flow(key)}: {_flow(value)}")
    return "\n".join(lines) + "\n"


def _items(items: list, indent: int) -> list[str]:
    return [line for item in items for line in _item(item, indent)]


def _item(item, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(item, dict) and len(item) == 1:
        kind, body = next(iter(item.items()))
        if kind in ("repeat", "residual", "concat") and isinstance(body, dict):
            lines = [f"{pad}- {_flow(kind)}:"]
            for key, value in body.items():
                if key in ("layers", "shortcut") and isinstance(value, list) and value:
                    lines += [f"{pad}    {_flow(key)}:", *_items(value, indent + 6)]
                elif key == "branches" and isinstance(value, list) and value:
                    lines += [f"{pad}    branches:", *(f"{pad}      - {_flow(branch)}" for branch in value)]
                else:
                    lines.append(f"{pad}    {_flow(key)}: {_flow(value)}")
            return lines
        if body is None or body == {}:
            return [f"{pad}- {_flow(kind)}"]
        return [f"{pad}- {_flow(kind)}: {_flow(body)}"]
    return [f"{pad}- {_flow(item)}"]


def _flow(value) -> str:
    """``{out: 6, kernel: 5}``, ``[1, 28, 28]``, ``relu``: one value in YAML's flow style, on one line."""
    import yaml

    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**9, allow_unicode=True).strip()
    return text[:-3].strip() if text.endswith("\n...") or text.endswith("...") and "\n" in text else text
