"""Where a spec location (``layers[3].residual.layers[1].conv``) is, in the words a student reads: the
layer's name as the summary table names it (``3.layers.1``), which entry of which list it is ("the 2nd
layer of the residual block's layers"), and the line of the YAML text it is on."""

from __future__ import annotations

import re

from cnnscope.i18n import _

_STEP = re.compile(r"([A-Za-z_]\w*)((?:\[\d+\])*)")


def steps(location: str) -> list:
    """``layers[3].residual.layers[1].conv`` -> ``["layers", 3, "residual", "layers", 1, "conv"]``."""
    out: list = []
    for part in location.split("."):
        match = _STEP.fullmatch(part)
        if not match:
            return out
        out.append(match.group(1))
        out += [int(n) for n in re.findall(r"\[(\d+)\]", match.group(2))]
    return out


def table_name(location: str) -> str | None:
    """The module name the built network (and so the summary table) gives the layer at ``location``:
    ``layers[3]`` -> ``3``; in a repeat, its first repetition; ``residual.layers[1]`` -> ``.layers.1``;
    ``concat.branches[1][0]`` -> ``.branches.1.0``.  None for a location outside the layer list."""
    path = steps(location)
    if len(path) < 2 or path[0] != "layers" or not isinstance(path[1], int):
        return None
    name, k = str(path[1]), 2
    while k < len(path):
        block = path[k]
        if block == "repeat" and k + 2 < len(path) and isinstance(path[k + 2], int):
            name, k = f"{name}.{path[k + 2]}", k + 3
        elif block == "residual" and k + 2 < len(path) and isinstance(path[k + 2], int):
            name, k = f"{name}.{path[k + 1]}.{path[k + 2]}", k + 3
        elif block == "concat" and k + 3 < len(path) and isinstance(path[k + 3], int):
            name, k = f"{name}.branches.{path[k + 2]}.{path[k + 3]}", k + 4
        else:
            break
    return name


def ordinal(n: int) -> str:
    """1 -> 1st, 2 -> 2nd, 11 -> 11th, 23 -> 23rd (in Chinese 第 1, 第 2: each suffix is a message)."""
    if 10 <= n % 100 <= 20 or n % 10 not in (1, 2, 3):
        return _("{n}th").format(n=n)
    return (_("{n}st"), _("{n}nd"), _("{n}rd"))[n % 10 - 1].format(n=n)


def entry_words(location: str) -> str | None:
    """``the 4th layer`` (of the top-level list), ``the 2nd layer of the residual block's layers``;
    None for a location outside the layer list."""
    path = steps(location)
    if len(path) < 2 or path[0] != "layers" or not isinstance(path[1], int):
        return None
    indices = [(k, p) for k, p in enumerate(path) if isinstance(p, int)]
    k, index = indices[-1]
    if k == 1:
        return _("the {ordinal} layer in the list").format(ordinal=ordinal(index + 1))
    owner = path[k - 1]
    if isinstance(owner, int):  # concat.branches[b][j]
        return _("the {ordinal} layer of branch {branch} of the concat block").format(
            ordinal=ordinal(index + 1), branch=owner + 1)
    block = path[k - 2] if k >= 2 and isinstance(path[k - 2], str) else "block"
    return _("the {ordinal} layer of the {block} block's {owner}").format(
        ordinal=ordinal(index + 1), block=block, owner=owner)


def line_of(text: str, location: str) -> int | None:
    """The 1-based line of ``text`` (YAML or JSON) where the item at ``location`` starts; None where the
    text is not YAML or the location is not in it.  ``yaml.compose`` builds nodes only (no values, no
    tags run, aliases not expanded), so this is cheap and safe on any text."""
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return None
    found = None
    for step in steps(location):
        if isinstance(step, int):
            if not isinstance(node, yaml.SequenceNode) or step >= len(node.value):
                break
            node = node.value[step]
        elif isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == step), None)
            if match is None:
                break
            node = match
        else:
            break
        found = node
    return None if found is None else found.start_mark.line + 1


def heading(location: str, text: str | None = None, layer: str | None = None, kind: str | None = None) -> str | None:
    """``layer 4 (conv, the 5th layer in the list, line 8)``: the layer at ``location`` named as the
    summary table names it (``layer`` when the planner knew it), its kind, which entry it is and, with the
    spec's ``text``, its line; None for a location outside the layer list (the input, the name)."""
    name = layer or table_name(location)
    if name is None:
        return None
    last = steps(location)[-1:] or [None]
    kind = kind or (last[0] if isinstance(last[0], str) and last[0] != "layers" else None)
    words = [w for w in (kind, entry_words(location)) if w]
    line = line_of(text, location) if text else None
    if line:
        words.append(_("line {line}").format(line=line))
    if not words:
        return _("layer {name}").format(name=name)
    # Translators: a spec layer's heading, e.g. "layer 0 (conv, the 1st layer in the list, line 6)"
    return _("layer {name} ({details})").format(name=name, details=_(", ").join(words))
