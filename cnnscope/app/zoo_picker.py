"""The sidebar's list of zoo models: every name, in the zoo's group order, and its label."""

from __future__ import annotations

import streamlit as st

from cnnscope.i18n import N_, _

# The sidebar's model list, in this order of the zoo's groups (then timm's names, when installed).
PICKER_GROUPS = ("tutorial", "torchvision", "segmentation", "detection", "video", "optical_flow")
# Translators: a zoo group's tag after a model's name in the model list (typing it finds the group)
GROUP_TAGS = {"tutorial": N_("tutorial"), "segmentation": N_("segmentation"), "detection": N_("detection"),
              "video": N_("video"), "optical_flow": N_("optical flow")}


@st.cache_data(show_spinner=False)
def zoo_names() -> dict[str, list[str]]:
    from cnnscope.zoo import list_entries

    groups: dict[str, list[str]] = {"tutorial": [], "torchvision": []}
    for entry in list_entries():
        groups.setdefault(entry.group, []).append(entry.name)
    return groups


@st.cache_data(show_spinner=False)
def picker_names() -> list[str]:
    """Every zoo name the app offers, grouped: tutorial, classification, segmentation, detection,
    video, optical flow, then ``timm:NAME`` when timm is installed."""
    groups = zoo_names()
    names = [name for group in PICKER_GROUPS for name in groups.get(group, [])]
    names += [name for group, members in groups.items() if group not in PICKER_GROUPS for name in members]
    return names + _timm_names()


def _timm_names() -> list[str]:
    """Every ``timm:NAME`` when timm is installed (from the cached name list), else none."""
    from cnnscope.zoo import prefix_entries
    from cnnscope.zoo.timm_models import installed

    return [entry.name for entry in prefix_entries("timm")] if installed() else []


@st.cache_data(show_spinner=False)
def _tags() -> dict[str, str]:
    return {name: GROUP_TAGS[group] for group, names in zoo_names().items() if group in GROUP_TAGS for name in names}


def picker_label(name: str) -> str:
    """``r3d_18 · video`` (classification and timm names as they are), so that typing a group finds it."""
    tag = _tags().get(name)
    return f"{name} · {_(tag)}" if tag else name


def entry_group(name: str) -> str:
    from cnnscope.zoo import get_entry

    return get_entry(name).group
