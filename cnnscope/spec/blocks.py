"""The two modules a spec needs beyond torch.nn; the generated code defines identical ones."""

from __future__ import annotations

import torch
from torch import nn


class Residual(nn.Module):
    """``layers(x) + shortcut(x)``; the shortcut is nn.Identity unless the spec gives one."""

    def __init__(self, layers: nn.Module, shortcut: nn.Module | None = None):
        super().__init__()
        self.layers = layers
        self.shortcut = shortcut if shortcut is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x) + self.shortcut(x)


class Concat(nn.Module):
    """Branches on the same input, concatenated on channels (dim 1)."""

    def __init__(self, *branches: nn.Module):
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.branches], dim=1)


class SpecModel(nn.Sequential):
    """A network built from a spec; ``input_shape`` is its (C, H, W)."""

    def __init__(self, *layers: nn.Module, name: str = "model", input_shape=(3, 32, 32)):
        super().__init__(*layers)
        self.spec_name = name
        self.input_shape = tuple(input_shape)
