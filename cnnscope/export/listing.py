"""``cnnscope list``: the zoo's entries as grouped text or JSON, each with its natural input."""

from __future__ import annotations

import json

from cnnscope.i18n import _
from cnnscope.zoo.registry import GROUPS


def to_json(entries) -> str:
    return json.dumps([{"name": e.name, "group": e.group, "input_shape": list(e.input_shape),
                        "input_format": e.input_format, "natural_inputs": [list(s) for s in e.natural_inputs()],
                        "description": e.description} for e in entries], indent=2) + "\n"


def to_text(entries, timm_count: int | None = None) -> str:
    """Grouped lines; ``timm_count``: a one-line pointer to timm's models instead of all of them."""
    lines = []
    for group, title in GROUPS:
        members = [e for e in entries if e.group == group]
        if not members:
            continue
        lines.append(_("{group} ({n}):").format(group=_(title), n=len(members)))
        width = max(22, *(len(e.name) for e in members))
        for entry in members:
            # a tutorial net's description is a message (N_); the JSON keeps the English one
            shown = _(entry.description) if entry.description else ""
            lines.append(f"  {entry.name:<{width}} {entry.input_text():<16} {shown}".rstrip())
    if timm_count:
        lines.append(_("timm models ({n:,}): list them with `cnnscope list 'timm:*'` (or a pattern such as "
                       "'timm:*convnext*'); use one as timm:NAME").format(n=timm_count))
    return "".join(line + "\n" for line in lines)
