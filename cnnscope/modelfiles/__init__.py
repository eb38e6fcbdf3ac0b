"""Model files people hold (``.onnx`` from either PyTorch exporter, ``.pt2`` from ``torch.export``).

``.pt2`` files are loaded here (``pt2.py``, a loader of ``sources``); ``.onnx`` files are analysed, not
loaded, by ``analysis/onnx_graph.py``, so that ``analysis`` never imports this package's loaders.

This module stays tiny: importing it must not import ``onnx`` or ``torch``; each format's reader is
imported where it is used.
"""

from __future__ import annotations

import os

FILE_SUFFIXES = (".onnx", ".pt2")


def is_model_file(source: object) -> bool:
    """True when ``source`` names a model file by its suffix (case-insensitive), existing or not."""
    if not isinstance(source, (str, os.PathLike)):
        return False
    return os.fspath(source).lower().endswith(FILE_SUFFIXES)
