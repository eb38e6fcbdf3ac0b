"""``cnnscope list``: the zoo's entries as grouped text or JSON."""

from __future__ import annotations

import json

GROUPS = (("tutorial", "Tutorial nets"), ("torchvision", "torchvision classification models"))


def to_json(entries) -> str:
    return json.dumps([{"name": e.name, "group": e.group, "input_shape": list(e.input_shape),
                        "description": e.description} for e in entries], indent=2) + "\n"


def to_text(entries) -> str:
    lines = []
    for group, title in GROUPS:
        members = [e for e in entries if e.group == group]
        if not members:
            continue
        lines.append(f"{title} ({len(members)}):")
        for entry in members:
            shape = "×".join(map(str, entry.input_shape))
            lines.append(f"  {entry.name:<22} {shape:<12} {entry.description}")
    return "".join(line + "\n" for line in lines)
